"""The meter polling cost: the agent's CPU with a sim meter and with an SDM630 polled every second over Modbus RTU
(pymodbus on one end of a socat pty pair), no CSMS. Usage: Scripts/measure-meter-cpu.py [SECONDS] [AGENT]."""
import json, os, pathlib, subprocess, sys, tempfile, time, signal
root = str(pathlib.Path(__file__).resolve().parents[1])
agent = sys.argv[2] if len(sys.argv) > 2 else root + "/.build/debug/station-agent"
d = tempfile.mkdtemp(prefix="meter-cpu-")
def board(meter):
    b = json.load(open(root + "/boards/sim.json"))
    b["evses"][0]["meter"] = meter
    path = f"{d}/board-{meter['type']}.json"
    json.dump(b, open(path, "w"))
    return path
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().split(")")[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def run(path, seconds):
    data = f"{d}/data-{os.path.basename(path)}"
    subprocess.run(["rm", "-rf", data]); os.makedirs(data)
    p = subprocess.Popen([agent, "run", "--csms-url", "ws://127.0.0.1:9", "--station-id", "CPU", "--board", path,
                          "--device-model", root + "/device-model.json", "--data-dir", data, "--log-level", "error"],
                         stderr=open(f"{d}/agent.log", "w"))
    time.sleep(3)
    c0 = cpu(p.pid); t0 = time.time()
    time.sleep(seconds)
    c1 = cpu(p.pid); t1 = time.time()
    status = subprocess.run([agent, "sim", "--data-dir", data, "status"], capture_output=True, text=True).stdout
    p.send_signal(signal.SIGTERM); p.wait(10)
    return (c1 - c0) / (t1 - t0) * 100, status
seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
socat = subprocess.Popen(["socat", f"pty,raw,echo=0,link={d}/station", f"pty,raw,echo=0,link={d}/meter"])
time.sleep(0.5)
peer = subprocess.Popen([root + "/.venv/bin/python", root + "/Tests/integration/modbus_peer.py", "--port", f"{d}/meter", "--map", "sdm630"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
peer.stdout.readline()
try:
    base, _ = run(board({"type": "sim"}), seconds)
    polled, status = run(board({"type": "modbus-rtu", "device": f"{d}/station", "map": "sdm630", "pollIntervalMs": 1000}), seconds)
    print(f"agent CPU over {seconds}s: sim meter {base:.3f}%, SDM630 polled every 1 s over Modbus RTU {polled:.3f}% ")
    print("energyWh from the meter:", [e["energyWh"] for e in json.loads(status)["evses"]] if status.startswith("{") else status[:200])
finally:
    peer.terminate(); socat.terminate()

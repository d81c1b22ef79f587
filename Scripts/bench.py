#!/usr/bin/env python3
"""`make bench`: start-up latency, idle memory and idle CPU of the release station agent.

Measured against a minimal CSMS on loopback (websockets, answering every CALL the station makes):
  * start -> BootNotification: from just before the process is spawned to the BootNotification frame arriving at
    the CSMS, over several runs with a fresh data directory each time (factory fresh) and with a reused one; with the
    reused one also the CPU time all the agent's threads used until then (scheduler counters, hardly load-dependent);
  * idle memory: once booted and idle with the sim board's 2 EVSEs, `Anonymous:` and `Rss:` from
    /proc/PID/smaps_rollup;
  * idle CPU: user+system CPU time the agent uses over an idle window (event driven: should be ~0);
  * the durable outbox: fsync'd TransactionEvent enqueues per second through the station's store, side by side with a
    raw SQLite insert-and-commit loop on the same disk (`station-bench enqueue`);
  * replay: 10,000 queued TransactionEvents delivered to the CSMS after boot (events/s, and the agent's CPU time as a
    share of the replay's wall time);
  * idle memory with 100,000 events queued (the CSMS keeps the boot Pending, so nothing drains);
  * the binary: size stripped, and whether ICU's data is linked in;
  * with TLS (security profile 2, a PKI generated on the spot): the agent's own figure for connect + TLS handshake +
    upgrade (its log line), over the first connection and reconnects the CSMS forces, and idle memory connected.
  * the device model: a FullInventory GetBaseReport (to its CALLRESULT, and to the last NotifyReport page received)
    and a 50-item SetVariables (to its CALLRESULT), each CSMS CALL on an idle connected station.
Figures are printed as min / median / max; nothing here is an assertion.
"""
import argparse
import asyncio
import datetime
import json
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import websockets

ROOT = pathlib.Path(__file__).resolve().parent.parent


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def results(boot_status):
    return {
        "BootNotification": lambda: {"currentTime": now_iso(), "interval": 300, "status": boot_status},
        "Heartbeat": lambda: {"currentTime": now_iso()},
    }


class BenchCSMS:
    def __init__(self, boot_status="Accepted", expect_events=0):
        self.results = results(boot_status)
        self.boot_at = None
        self.frames = 0
        self.idle = asyncio.Event()
        self.boot = asyncio.Event()
        self.expect_events = expect_events
        self.events = 0
        self.pid = None  # the agent's, once started: its CPU time is read when the BootNotification arrives
        self.boot_cpu_ms = None
        self.first_event_at = None
        self.last_event_at = None
        self.replayed = asyncio.Event()

    async def handler(self, ws):
        try:
            await self.serve(ws)
        except websockets.ConnectionClosed:
            pass

    async def serve(self, ws):
        async for text in ws:
            received = time.monotonic_ns()
            message = json.loads(text)
            self.frames += 1
            if message[0] == 2:
                action = message[2]
                if action == "BootNotification" and self.boot_at is None:
                    self.boot_at = received
                    self.boot_cpu_ms = thread_cpu_ms(self.pid) if self.pid else None
                    self.boot.set()
                if action == "TransactionEvent":
                    self.events += 1
                    self.first_event_at = self.first_event_at or received
                    self.last_event_at = received
                    if self.events == self.expect_events:
                        self.replayed.set()
                await ws.send(json.dumps([3, message[1], self.results.get(action, dict)()]))
                if action == "StatusNotification" and message[3].get("evseId") == 2:
                    self.idle.set()


class DeviceModelCSMS(BenchCSMS):
    """Answers like BenchCSMS; `ask` sends a CALL to the station and returns its answer; the NotifyReport pages are
    counted per requestId and `report_done` is set when the last one (tbc false) arrives."""

    def __init__(self):
        super().__init__()
        self.ws = None
        self.answers = {}
        self.report_done = asyncio.Event()
        self.report_pages = 0

    async def serve(self, ws):
        self.ws = ws
        async for text in ws:
            received = time.monotonic_ns()
            message = json.loads(text)
            if message[0] in (3, 4):
                future = self.answers.pop(message[1], None)
                if future:
                    future.set_result((received, message))
                continue
            action = message[2]
            if action == "BootNotification":
                self.boot.set()
            if action == "NotifyReport":
                self.report_pages += 1
                if not message[3].get("tbc", False):
                    self.report_done_at = received
                    self.report_done.set()
            await ws.send(json.dumps([3, message[1], self.results.get(action, dict)()]))
            if action == "StatusNotification" and message[3].get("evseId") == 2:
                self.idle.set()

    async def ask(self, action, payload):
        message_id = f"bench-{time.monotonic_ns()}"
        future = asyncio.get_running_loop().create_future()
        self.answers[message_id] = future
        sent = time.monotonic_ns()
        await self.ws.send(json.dumps([2, message_id, action, payload]))
        received, answer = await asyncio.wait_for(future, 10)
        assert answer[0] == 3, answer
        return sent, received, answer


async def device_model_run(agent, data_dir, port, runs):
    """FullInventory GetBaseReport and a 50-item SetVariables against an idle, connected station."""
    csms = DeviceModelCSMS()
    server = await websockets.serve(csms.handler, "127.0.0.1", port, subprotocols=["ocpp2.0.1"])
    process = subprocess.Popen(agent_args(agent, port, data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    answered, reported, pages, set50 = [], [], [], []
    try:
        await asyncio.wait_for(csms.idle.wait(), 10)
        await asyncio.sleep(0.5)
        for run in range(runs):
            csms.report_done.clear()
            csms.report_pages = 0
            sent, received, _ = await csms.ask("GetBaseReport", {"requestId": run, "reportBase": "FullInventory"})
            await asyncio.wait_for(csms.report_done.wait(), 10)
            answered.append((received - sent) / 1e6)
            reported.append((csms.report_done_at - sent) / 1e6)
            pages.append(csms.report_pages)
            items = [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"},
                      "attributeValue": str(60 + i)} for i in range(50)]
            sent, received, answer = await csms.ask("SetVariables", {"setVariableData": items})
            assert all(r["attributeStatus"] == "Accepted" for r in answer[2]["setVariableResult"]), answer
            set50.append((received - sent) / 1e6)
    finally:
        stop(process)
        server.close()
        await server.wait_closed()
    return answered, reported, pages, set50


def memory_kib(pid):
    rollup = pathlib.Path(f"/proc/{pid}/smaps_rollup").read_text()
    fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:] if line.split()[1].isdigit()}
    return fields.get("Anonymous"), fields.get("Rss")


def thread_cpu_ms(pid):
    """CPU time of all the process's threads so far, in ms, from the scheduler's own ns counters: unlike the wall
    time to the BootNotification, it hardly depends on what else the machine runs, so it compares across hours."""
    total = 0
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):
            pass
    return total / 1e6


def cpu_seconds(pid):
    stat = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def agent_args(agent, port, data_dir):
    return [
        agent, "run", "--csms-url", f"ws://127.0.0.1:{port}/ocpp", "--station-id", "BENCH",
        "--board", str(ROOT / "boards/sim.json"), "--device-model", str(ROOT / "device-model.json"),
        "--data-dir", str(data_dir), "--log-level", "warning",
    ]


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


async def one_run(agent, data_dir, port, measure_idle, idle_seconds):
    csms = BenchCSMS()
    server = await websockets.serve(csms.handler, "127.0.0.1", port, subprotocols=["ocpp2.0.1"])
    args = agent_args(agent, port, data_dir)
    started = time.monotonic_ns()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    csms.pid = process.pid
    result = {}
    try:
        await asyncio.wait_for(csms.boot.wait(), 10)
        result["boot_ms"] = (csms.boot_at - started) / 1e6
        result["boot_cpu_ms"] = csms.boot_cpu_ms
        if measure_idle:
            await asyncio.wait_for(csms.idle.wait(), 10)
            await asyncio.sleep(1.0)
            result["anonymous_kib"], result["rss_kib"] = memory_kib(process.pid)
            frames_before = csms.frames
            cpu_before = cpu_seconds(process.pid)
            await asyncio.sleep(idle_seconds)
            result["idle_cpu_percent"] = 100 * (cpu_seconds(process.pid) - cpu_before) / idle_seconds
            result["idle_frames"] = csms.frames - frames_before
    finally:
        stop(process)
        server.close()
        await server.wait_closed()
    return result


def fill(bench_tool, data_dir, count):
    data_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([bench_tool, "fill", "--db", str(data_dir / "station.db"), "--count", str(count)], check=True,
                   stdout=subprocess.DEVNULL)


async def replay_run(agent, bench_tool, data_dir, port, count):
    """`count` queued TransactionEvents, then the agent boots against a CSMS that accepts everything."""
    fill(bench_tool, data_dir, count)
    csms = BenchCSMS(expect_events=count)
    server = await websockets.serve(csms.handler, "127.0.0.1", port, subprotocols=["ocpp2.0.1"])
    process = subprocess.Popen(agent_args(agent, port, data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await asyncio.wait_for(csms.boot.wait(), 10)
        cpu_at_boot = cpu_seconds(process.pid)
        await asyncio.wait_for(csms.replayed.wait(), 600)
        wall = (csms.last_event_at - csms.boot_at) / 1e9
        cpu = cpu_seconds(process.pid) - cpu_at_boot
        return {"events": count, "seconds": wall, "rate": count / wall, "cpu_share": cpu / wall}
    finally:
        stop(process)
        server.close()
        await server.wait_closed()


async def queued_idle_run(agent, bench_tool, data_dir, port, count, settle_seconds=3.0):
    """Memory once booted (Pending, so nothing drains) with `count` events queued."""
    fill(bench_tool, data_dir, count)
    csms = BenchCSMS(boot_status="Pending")
    server = await websockets.serve(csms.handler, "127.0.0.1", port, subprotocols=["ocpp2.0.1"])
    process = subprocess.Popen(agent_args(agent, port, data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await asyncio.wait_for(csms.boot.wait(), 30)
        await asyncio.sleep(settle_seconds)
        return memory_kib(process.pid)
    finally:
        stop(process)
        server.close()
        await server.wait_closed()


async def tls_run(agent, work, port, reconnects=5, settle_seconds=3.0):
    """Security profile 2 against a wss:// CSMS; returns (handshake ms list, anonymous KiB, rss KiB)."""
    import ssl
    sys.path.insert(0, str(ROOT / "Tests" / "integration"))
    from pki import PKI
    from conftest import device_model_with
    pki = PKI(work / "pki")
    context = pki.server_context()
    model = device_model_with(work, {("OCPPCommCtrlr", "RetryBackOffWaitMinimum", None): "1",
                                     ("OCPPCommCtrlr", "RetryBackOffRandomRange", None): "0"}, name="tls-model.json")
    csms = BenchCSMS()
    sockets = []

    async def handler(ws):
        sockets.append(ws)
        await csms.handler(ws)
    server = await websockets.serve(handler, "127.0.0.1", port, subprotocols=["ocpp2.0.1"], ssl=context)
    args = agent_args(agent, port, work / "tls-data")
    args[args.index("--csms-url") + 1] = f"wss://localhost:{port}/ocpp"
    args[args.index("--device-model") + 1] = str(model)
    args[args.index("--log-level") + 1] = "info"
    args += ["--security-profile", "2", "--basic-auth-password", "bench-password-0123", "--ca-file", str(pki.root.path)]
    log = work / "tls-agent.log"
    with open(log, "wb") as err:
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
    try:
        await asyncio.wait_for(csms.idle.wait(), 20)
        for _ in range(reconnects):
            count = len(sockets)
            await sockets[-1].close()
            deadline = time.monotonic() + 20
            while len(sockets) == count and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        await asyncio.sleep(settle_seconds)
        anonymous, rss = memory_kib(process.pid)
    finally:
        stop(process)
        server.close()
        await server.wait_closed()
    times = [float(line.rsplit(": ", 1)[1].split()[0]) for line in log.read_text().splitlines()
             if "TLS handshake, upgrade:" in line]
    return times, anonymous, rss


async def print_tls(agent, work, port):
    times, anonymous, rss = await tls_run(agent, work, port)
    print(f"TLS (profile 2): connect + handshake + upgrade, first (overlapping start-up) {times[0]:.0f} ms, "
          f"reconnects {summary(times[1:], 'ms')}; idle connected: Anonymous {anonymous / 1024:.2f} MiB, "
          f"Rss {rss / 1024:.2f} MiB")


def footprint(agent):
    stripped = pathlib.Path(tempfile.mkdtemp(prefix="ocpp-strip-")) / "station-agent"
    try:
        subprocess.run(["strip", "-o", str(stripped), agent], check=True)
        symbols = subprocess.run(["nm", agent], capture_output=True, text=True).stdout
        icu = any("icudt" in line for line in symbols.splitlines())
        return os.path.getsize(agent), os.path.getsize(stripped), icu
    finally:
        shutil.rmtree(stripped.parent, ignore_errors=True)


def summary(values, unit):
    values = sorted(values)
    return f"min {values[0]:.2f} {unit}, median {statistics.median(values):.2f} {unit}, max {values[-1]:.2f} {unit} ({len(values)} runs)"


async def print_device_model(agent, data_dir, options):
    answered, reported, pages, set50 = await device_model_run(agent, data_dir, options.port, options.runs)
    print(f"GetBaseReport FullInventory -> CALLRESULT: {summary(answered, 'ms')}")
    print(f"GetBaseReport FullInventory -> last of {pages[0]} NotifyReport pages received: {summary(reported, 'ms')}")
    print(f"SetVariables with 50 items (persistent: one commit) -> CALLRESULT: {summary(set50, 'ms')}")


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent", default=str(ROOT / ".build/release/station-agent"))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=9911)
    parser.add_argument("--bench-tool", default=str(ROOT / ".build/release/station-bench"))
    parser.add_argument("--enqueue-count", type=int, default=2000)
    parser.add_argument("--replay-count", type=int, default=10_000)
    parser.add_argument("--queued-count", type=int, default=100_000)
    parser.add_argument("--only", choices=["idle", "tls"], help="only the idle memory run, or only the TLS run")
    parser.add_argument("--only-device-model", action="store_true", help="only the device-model figures")
    options = parser.parse_args()
    agent = str(pathlib.Path(options.agent).resolve())
    if options.only_device_model:
        work = pathlib.Path(tempfile.mkdtemp(prefix="ocpp-bench-"))
        try:
            await print_device_model(agent, work / "device-model", options)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    bench_tool = str(pathlib.Path(options.bench_tool).resolve())
    work = pathlib.Path(tempfile.mkdtemp(prefix="ocpp-bench-"))
    try:
        if options.only == "idle":
            idle = await one_run(agent, work / "idle", options.port, True, options.idle_seconds)
            print(f"idle, connected, 2 EVSEs: Anonymous {idle['anonymous_kib'] / 1024:.2f} MiB, Rss {idle['rss_kib'] / 1024:.2f} MiB")
            return
        if options.only == "tls":
            await print_tls(agent, work, options.port)
            return
        fresh, reused, reused_cpu = [], [], []
        reused_dir = work / "reused"
        for run in range(options.runs):
            fresh_dir = work / f"fresh-{run}"
            fresh.append((await one_run(agent, fresh_dir, options.port, False, 0))["boot_ms"])
            result = await one_run(agent, reused_dir, options.port, False, 0)
            reused.append(result["boot_ms"])
            reused_cpu.append(result["boot_cpu_ms"])
        idle = await one_run(agent, work / "idle", options.port, True, options.idle_seconds)
        size = os.path.getsize(agent)
        print(f"agent binary: {agent} ({size / 1e6:.1f} MB)")
        print(f"start -> BootNotification on the wire, fresh data dir: {summary(fresh, 'ms')}")
        print(f"start -> BootNotification on the wire, reused data dir: {summary(reused, 'ms')}")
        print(f"CPU time to that BootNotification, all threads, reused data dir: {summary(reused_cpu, 'ms')}")
        print(f"idle, connected, 2 EVSEs: Anonymous {idle['anonymous_kib'] / 1024:.2f} MiB, Rss {idle['rss_kib'] / 1024:.2f} MiB")
        print(f"idle CPU over {options.idle_seconds:.0f} s: {idle['idle_cpu_percent']:.3f} % ({idle['idle_frames']} frames sent)")
        size, stripped, icu = footprint(agent)
        print(f"binary: {size / 1e6:.1f} MB, {stripped / 1e6:.1f} MB stripped, ICU data {'linked' if icu else 'absent'}")
        # The durable outbox: the station's store against a raw SQLite loop, on the same disk (the work folder).
        (work / "enqueue").mkdir()
        print(subprocess.run([bench_tool, "enqueue", "--dir", str(work / "enqueue"), "--count", str(options.enqueue_count)],
                             check=True, capture_output=True, text=True).stdout.rstrip())
        replay = await replay_run(agent, bench_tool, work / "replay", options.port, options.replay_count)
        print(f"replay of {replay['events']} queued TransactionEvents after boot: {replay['seconds']:.2f} s = "
              f"{replay['rate']:.0f} events/s, agent CPU {100 * replay['cpu_share']:.1f} % of that time")
        anonymous, rss = await queued_idle_run(agent, bench_tool, work / "queued", options.port, options.queued_count)
        print(f"idle with {options.queued_count} events queued: Anonymous {anonymous / 1024:.2f} MiB, Rss {rss / 1024:.2f} MiB")
        await print_tls(agent, work, options.port)
        await print_device_model(agent, work / "device-model", options)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())

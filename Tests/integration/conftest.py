"""Fixtures: a CSMS per test, and the station agent binary started against it with its own data directory."""
import json
import os
import pathlib
import signal
import socket
import subprocess
import time

import pytest

from csms import CSMS, ROOT

AGENT = os.environ.get("STATION_AGENT", str(ROOT / ".build" / "debug" / "station-agent"))
BOARD = ROOT / "boards" / "sim.json"
DEVICE_MODEL = ROOT / "device-model.json"

# Short timings so the suite runs fast; each test can override.
FAST = {
    ("OCPPCommCtrlr", "RetryBackOffWaitMinimum", None): "1",
    ("OCPPCommCtrlr", "RetryBackOffRandomRange", None): "0",
    ("OCPPCommCtrlr", "MessageTimeout", "Default"): "5",
}


def device_model_with(directory, changes):
    """A copy of device-model.json with the Actual value of (component, variable, instance) changed."""
    model = json.loads(DEVICE_MODEL.read_text())
    for (component, variable, instance), value in changes.items():
        found = False
        for c in model:
            if c["name"] != component:
                continue
            for v in c["variables"]:
                if v["name"] == variable and v.get("instance") == instance:
                    for attribute in v["variableAttribute"]:
                        if attribute.get("type", "Actual") == "Actual":
                            attribute["value"] = value
                            found = True
        assert found, f"{component}.{variable}({instance}) not in device-model.json"
    path = pathlib.Path(directory) / "device-model.json"
    path.write_text(json.dumps(model, indent=1))
    return path


class Agent:
    def __init__(self, tmp_path, args, name):
        self.data_dir = tmp_path / f"data-{name}"
        self.stdout_path = tmp_path / f"{name}.stdout"
        self.stderr_path = tmp_path / f"{name}.stderr"
        self.args = args
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [AGENT] + self.args, stdout=open(self.stdout_path, "wb"), stderr=open(self.stderr_path, "wb"),
            stdin=subprocess.DEVNULL)
        return self

    @property
    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def sim(self, request, timeout=10):
        """Sends one request line to DIR/sim.sock and returns the parsed reply."""
        path = str(self.data_dir / "sim.sock")
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(timeout)
                    s.connect(path)
                    s.sendall((json.dumps(request) + "\n").encode())
                    data = b""
                    while not data.endswith(b"\n"):
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    return json.loads(data)
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise AssertionError(f"no sim socket at {path}; stderr: {self.stderr[-2000:]}")
                time.sleep(0.02)

    def terminate(self, timeout=5):
        """SIGTERM; returns (exit code, seconds taken)."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - started

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(6)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def csms():
    server = CSMS().start()
    yield server
    server.stop()
    assert not server.violations, "invalid frames from the station:\n" + "\n".join(server.violations)


@pytest.fixture
def agent(tmp_path, csms):
    """agent(**options) starts the agent against `csms`; options: station_id, model (changes), data_dir, extra."""
    started = []

    def start(station_id="CS001", model=None, data_dir=None, extra=(), url=None, name=None):
        name = name or f"agent{len(started)}"
        changes = dict(FAST)
        changes.update(model or {})
        model_path = device_model_with(tmp_path, changes)
        instance = Agent(tmp_path, [], name)
        if data_dir is not None:
            instance.data_dir = data_dir
        instance.args = [
            "run", "--csms-url", url or csms.url, "--station-id", station_id, "--board", str(BOARD),
            "--device-model", str(model_path), "--data-dir", str(instance.data_dir), "--log-level", "debug",
            *extra,
        ]
        started.append(instance)
        return instance.start()

    yield start
    for instance in started:
        instance.stop()


def run_agent(args, timeout=10):
    """Runs the agent to completion (for bad-input tests)."""
    return subprocess.run([AGENT] + args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def boot_accepted(csms, start=0):
    """Waits for the boot sequence of an accepted station: BootNotification, SecurityEventNotification, 2 statuses."""
    boot = csms.wait_call("BootNotification", start=start)
    csms.wait_call("SecurityEventNotification", start=start)
    for evse in (1, 2):
        csms.wait_call("StatusNotification", lambda p, e=evse: p["evseId"] == e, start=start)
    return boot

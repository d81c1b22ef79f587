"""Fixtures: a CSMS per test (`csms`), the station agent binary started against it with its own data directory
(`agent`), and `device_model_with` for device models with changed values.

The binary is $STATION_AGENT, by default <repo>/.build/debug/station-agent (repo = two levels above this file).
Every frame the station sends to any CSMS created during a test is checked (see csms.py); a test with a protocol
violation fails. A failing test's report shows the agent's stderr, its log files and the last frames.
"""
import json
import os
import pathlib
import signal
import socket
import subprocess
import time

import pytest

import csms as csms_module
from csms import CSMS, ROOT

AGENT = os.environ.get("STATION_AGENT") or str(ROOT / ".build" / "debug" / "station-agent")
BOARD = ROOT / "boards" / "sim.json"
DEVICE_MODEL = ROOT / "device-model.json"

# Short timings so the suite runs fast (reconnect back-off 1 s, no random part); each test can add or override.
FAST = {
    ("OCPPCommCtrlr", "RetryBackOffWaitMinimum", None): "1",
    ("OCPPCommCtrlr", "RetryBackOffRandomRange", None): "0",
    ("OCPPCommCtrlr", "MessageTimeout", "Default"): "5",
}


def device_model_with(directory, changes, name="device-model.json", components=(), without_evses=()):
    """A copy of device-model.json in `directory` with the Actual value of each (component, variable, instance)
    changed to the given string; instance None means the variable without an instance; `components` (entries in
    the file's shape) are appended; the EVSE and Connector components of the EVSE ids in `without_evses` are left
    out. Returns the path."""
    model = [c for c in json.loads(DEVICE_MODEL.read_text()) if c.get("evse", {}).get("id") not in without_evses]
    model += list(components)
    for (component, variable, instance), value in changes.items():
        found = False
        for c in model:
            if c["name"] != component or c.get("instance") is not None:
                continue
            for v in c["variables"]:
                if v["name"] == variable and v.get("instance") == instance:
                    for attribute in v["variableAttribute"]:
                        if attribute.get("type", "Actual") == "Actual":
                            attribute["value"] = value
                            found = True
        assert found, f"{component}.{variable}[{instance}] has no Actual attribute in device-model.json"
    path = pathlib.Path(directory) / name
    path.write_text(json.dumps(model, indent=1))
    return path


class Agent:
    """One run of `station-agent run`: .proc (Popen), .data_dir, .sim(request), .terminate(), .kill(), .stderr."""

    def __init__(self, tmp_path, name, data_dir=None, station_id="CS001"):
        self.name = name
        self.station_id = station_id
        self.data_dir = pathlib.Path(data_dir) if data_dir is not None else tmp_path / f"data-{name}"
        self.stdout_path = tmp_path / f"{name}.stdout"
        self.stderr_path = tmp_path / f"{name}.stderr"
        self.args = []
        self.proc = None
        self.exit_expected = False

    def start(self):
        """Starts the process. Every running CSMS now expects a BootNotification first from this station (B01.FR.08)."""
        for server in csms_module.ALL:
            if server.running:
                server.expect_boot(self.station_id)
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen([AGENT] + self.args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        self.exit_expected = False
        return self

    def kill(self):
        """SIGKILL (a power cut, as far as the agent can tell) and wait for the process to be gone."""
        self.exit_expected = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait(10)

    @property
    def stderr(self):
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def logs(self):
        """The text of the agent's *.log files in its data directory."""
        if not self.data_dir.is_dir():
            return ""
        return "".join(p.read_text(errors="replace") for p in sorted(self.data_dir.glob("*.log")))

    def sim(self, request, timeout=10):
        """Sends one request line to DIR/sim.sock and returns the parsed reply line. Waits (bounded) for the socket."""
        path = str(self.data_dir / "sim.sock")
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(max(0.1, deadline - time.monotonic()))
                    s.connect(path)
                    s.sendall((json.dumps(request) + "\n").encode())
                    data = b""
                    while not data.endswith(b"\n"):
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    assert data.count(b"\n") == 1, f"sim.sock: expected one reply line, got {data!r}"
                    return json.loads(data)
            except (FileNotFoundError, ConnectionRefusedError):
                # Nothing to wait on but the socket file appearing: poll with a deadline.
                if self.proc.poll() is not None:
                    raise AssertionError(f"agent exited with {self.proc.returncode}: {self.stderr[-2000:]}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"no sim socket at {path} within {timeout} s; stderr: {self.stderr[-2000:]}")
                time.sleep(0.02)

    def terminate(self, timeout=5):
        """SIGTERM; returns (exit code, seconds taken). subprocess.TimeoutExpired if it takes longer than timeout."""
        started = time.monotonic()
        self.exit_expected = True
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - started

    def unexpected_exit(self):
        """A message if the agent exited although no test stopped it (CSMS waits end early on it)."""
        if self.exit_expected or self.proc is None or self.proc.poll() is None:
            return None
        return f"agent {self.name} exited with code {self.proc.returncode}; stderr: {self.stderr[-1500:]!r}"

    def stop(self):
        """Teardown: SIGTERM, then SIGKILL after 6 s."""
        self.exit_expected = True
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(6)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def require_agent():
    if not os.access(AGENT, os.X_OK):
        pytest.fail(f"no station-agent binary at {AGENT}: build it (swift build) or set STATION_AGENT", False)


@pytest.fixture
def csms():
    """A CSMS (BootNotification Accepted, interval 300), started for the test and stopped after it."""
    server = CSMS().start()
    yield server
    server.stop()


@pytest.fixture
def agent(request, tmp_path, csms):
    """agent(station_id="CS001", model={changes}, data_dir=None, extra=[flags], url=None, components=[...],
    without_evses=[ids]) starts
    `station-agent run` against `csms` (or `url`) with the FAST device model plus `model` changes and `components`
    appended; stopped (SIGTERM, SIGKILL) after."""
    require_agent()
    started = []
    request.node._agents = started

    def start(station_id="CS001", model=None, data_dir=None, extra=(), url=None, name=None, log_level="debug",
              components=(), without_evses=(), board=None):
        name = name or f"agent{len(started)}"
        changes = dict(FAST)
        changes.update(model or {})
        model_path = device_model_with(tmp_path, changes, name=f"{name}-device-model.json", components=components,
                                       without_evses=without_evses)
        instance = Agent(tmp_path, name, data_dir, station_id)
        instance.args = [
            "run", "--csms-url", url or csms.url, "--station-id", station_id, "--board", str(board or BOARD),
            "--device-model", str(model_path), "--data-dir", str(instance.data_dir), "--log-level", log_level,
            *extra,
        ]
        started.append(instance)
        if url is None:
            csms.watchers.append(instance.unexpected_exit)
        return instance.start()

    yield start
    for instance in started:
        instance.stop()


def run_agent(args, timeout=10):
    """Runs the agent to completion (bad-input tests); returns (CompletedProcess, seconds)."""
    require_agent()
    started = time.monotonic()
    done = subprocess.run([AGENT] + args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return done, time.monotonic() - started


def boot_accepted(csms, start=0, timeout=10):
    """Waits for the boot sequence of an accepted station: BootNotification, SecurityEventNotification and a
    StatusNotification for each of the two connectors. Returns the BootNotification frame."""
    boot = csms.wait_call("BootNotification", start=start, timeout=timeout)
    csms.wait_call("SecurityEventNotification", start=start, timeout=timeout)
    for evse in (1, 2):
        csms.wait_call("StatusNotification", lambda p, e=evse: p["evseId"] == e, start=start, timeout=timeout)
    return boot


# --- protocol violations fail the test -----------------------------------------------------------------------------

def _violations_since(item):
    first = getattr(item, "_csms_first", 0)
    reported = getattr(item, "_violations_reported", set())
    found = []
    for server in csms_module.ALL[first:]:
        for text in list(server.violations):
            if (id(server), text) not in reported:
                reported.add((id(server), text))
                found.append(text)
    item._violations_reported = reported
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    item._csms_first = len(csms_module.ALL)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    found = _violations_since(item)
    if found:
        raise AssertionError("the station sent invalid frames:\n" + "\n".join(found))
    return result


@pytest.fixture(autouse=True)
def no_protocol_violations(request):
    """Autouse: frames the station sent while the test was being torn down are checked too."""
    yield
    found = _violations_since(request.node)
    if found:
        pytest.fail("the station sent invalid frames (during teardown):\n" + "\n".join(found), False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        for a in getattr(item, "_agents", []):
            report.sections.append((f"agent {a.name} stderr (last 4000 chars)", a.stderr[-4000:]))
            logs = a.logs()
            if logs:
                report.sections.append((f"agent {a.name} *.log (last 6000 chars)", logs[-6000:]))
        for server in csms_module.ALL[getattr(item, "_csms_first", 0):]:
            lines = "\n".join(f"{f.at:.3f} #{f.connection} {f.line()[:400]}" for f in server.frames[-40:])
            report.sections.append((f"CSMS :{server.port} last frames", lines or "(no frames)"))
            report.sections.append((f"CSMS :{server.port} connection events", "\n".join(server.events[-40:])))
    return report


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A PKI the tests generate (pki.py): root CA, CSMS server and station certificates, one per test module."""
    from pki import PKI
    return PKI(tmp_path_factory.mktemp("pki"))


def security_log(station):
    """The station's security log in its data directory ("" before the first event)."""
    path = station.data_dir / "security.log"
    return path.read_text() if path.exists() else ""


def wait_for(condition, timeout, what):
    """Polls `condition` every 50 ms; AssertionError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")

"""Bad input: the agent refuses to start within a few seconds, exit code non-zero, and ONE clear line on stderr that
names the file or flag (and where it helps the field and the reason), no stack trace."""
import json

import pytest

from conftest import BOARD, DEVICE_MODEL, run_agent

TRACE_MARKERS = ("Fatal error", "Stack dump", "Backtrace", "Current stack trace", "#0 ", "Traceback", "panic")


def args(tmp_path, **override):
    """`run` arguments that would start fine; override a flag with a value, or drop it with None."""
    values = {
        "--csms-url": "ws://127.0.0.1:9/ocpp", "--station-id": "CS001", "--board": str(BOARD),
        "--device-model": str(DEVICE_MODEL), "--data-dir": str(tmp_path / "data"),
    }
    values.update(override)
    result = ["run"]
    for key, value in values.items():
        if value is not None:
            result += [key, value]
    return result


def refused(result, *mentions):
    done, seconds = result
    assert done.returncode != 0, f"exit code 0; stderr {done.stderr!r}"
    assert seconds < 5, f"took {seconds:.1f} s to refuse"
    text = done.stderr[:-1] if done.stderr.endswith("\n") else done.stderr
    assert text.strip() and "\n" not in text, f"stderr must be one non-empty line: {done.stderr!r}"
    for word in mentions:
        assert word in text, f"{word!r} not in {text!r}"
    for marker in TRACE_MARKERS:
        assert marker not in done.stderr, f"stack trace / crash marker {marker!r} in {done.stderr!r}"
    return text


def write(path, text):
    path.write_text(text)
    return str(path)


def board_with(tmp_path, mutate):
    board = json.loads(BOARD.read_text())
    mutate(board)
    return write(tmp_path / "board.json", json.dumps(board))


def model_with(tmp_path, component, variable, **attribute):
    """device-model.json with fields of the Actual attribute of component.variable changed, as dm.json."""
    model = json.loads(DEVICE_MODEL.read_text())
    [v] = [v for c in model if c["name"] == component for v in c["variables"] if v["name"] == variable]
    v["variableAttribute"][0].update(attribute)
    return write(tmp_path / "dm.json", json.dumps(model))


# --- the cases of the brief -----------------------------------------------------------------------------------------

def test_missing_board_file(tmp_path):
    refused(run_agent(args(tmp_path, **{"--board": str(tmp_path / "nope.json")})), "nope.json")


def test_board_file_not_json(tmp_path):
    refused(run_agent(args(tmp_path, **{"--board": write(tmp_path / "b.json", "{ not json")})), "b.json")


def test_board_bad_connector_type(tmp_path):
    path = board_with(tmp_path, lambda b: b["evses"][1]["connectors"][0].update(type="cType9"))
    line = refused(run_agent(args(tmp_path, **{"--board": path})), "board.json", "cType9")
    assert "type" in line


def test_device_model_bad_mutability(tmp_path):
    path = model_with(tmp_path, "OCPPCommCtrlr", "HeartbeatInterval", mutability="Sometimes")
    refused(run_agent(args(tmp_path, **{"--device-model": path})), "dm.json", "mutability", "Sometimes")


def test_device_model_integer_value_not_an_integer(tmp_path):
    path = model_with(tmp_path, "OCPPCommCtrlr", "HeartbeatInterval", value="abc")
    refused(run_agent(args(tmp_path, **{"--device-model": path})), "dm.json", "HeartbeatInterval", "abc")


def test_data_dir_is_a_regular_file(tmp_path):
    refused(run_agent(args(tmp_path, **{"--data-dir": write(tmp_path / "f", "x")})), "--data-dir")


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/ocpp", "https://127.0.0.1:9/ocpp", "127.0.0.1:9"])
def test_csms_url_must_be_websocket(tmp_path, url):
    refused(run_agent(args(tmp_path, **{"--csms-url": url})), "--csms-url")


def test_corrupt_state_file_is_reported_and_left_unchanged(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    garbage = b"this is not a database" + bytes(range(256)) * 40
    (data / "station.db").write_bytes(garbage)
    refused(run_agent(args(tmp_path)), "station.db")
    assert (data / "station.db").read_bytes() == garbage
    assert sorted(p.name for p in data.iterdir()) == ["station.db"]


def test_security_profile_2_needs_wss(tmp_path):
    refused(run_agent(args(tmp_path) + ["--security-profile", "2", "--basic-auth-password", "x" * 16]), "wss://")


def test_unknown_flag_and_missing_flag(tmp_path):
    refused(run_agent(args(tmp_path) + ["--frobnicate"]), "--frobnicate")
    refused(run_agent(args(tmp_path, **{"--station-id": None})), "--station-id")


# --- further cases: behaviour the README documents ------------------------------------------------------------------

def test_device_model_without_message_timeout(tmp_path):
    model = json.loads(DEVICE_MODEL.read_text())
    for c in model:
        c["variables"] = [v for v in c["variables"] if v["name"] != "MessageTimeout"]
    path = write(tmp_path / "dm.json", json.dumps(model))
    refused(run_agent(args(tmp_path, **{"--device-model": path})), "dm.json", "MessageTimeout")


def test_device_model_and_board_disagree(tmp_path):
    path = board_with(tmp_path, lambda b: b.update(evses=b["evses"][:1]))
    refused(run_agent(args(tmp_path, **{"--board": path})), "EVSE")


def test_data_dir_with_unknown_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("hello")
    refused(run_agent(args(tmp_path)), "--data-dir", "notes.txt")
    assert (data / "notes.txt").read_text() == "hello"


def test_corrupt_sim_board_state_is_reported_and_kept(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "sim-board.json").write_text('{"version": 1, "evses": "nope"}')
    refused(run_agent(args(tmp_path)), "sim-board.json")
    assert (data / "sim-board.json").read_text() == '{"version": 1, "evses": "nope"}'


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    from pki import PKI
    return PKI(tmp_path_factory.mktemp("pki"))


def test_bad_security_flags_are_refused_naming_flag_or_file(tmp_path, pki):
    """A00 provisioning: bad security input refuses to start, naming the flag or file and the reason; the password
    never appears."""
    wss = {"--csms-url": "wss://localhost:9/ocpp"}
    password = ["--basic-auth-password", "secret-password-0123"]
    refused(run_agent(args(tmp_path) + ["--security-profile", "1"]), "--basic-auth-password")
    line = refused(run_agent(args(tmp_path) + ["--basic-auth-password", "secret-pass"]), "--basic-auth-password", "16")
    assert "secret-pass" not in line
    refused(run_agent(args(tmp_path, **wss) + password), "--ca-file")
    refused(run_agent(args(tmp_path, **wss) + password + ["--ca-file", str(tmp_path / "missing.pem")]),
            "--ca-file", "missing.pem", "No such file")
    garbage = write(tmp_path / "garbage.pem", "not a certificate\n")
    refused(run_agent(args(tmp_path, **wss) + password + ["--ca-file", str(garbage)]), "garbage.pem")
    cert, _ = pki.station
    _, other_key = pki.other_station
    refused(run_agent(args(tmp_path, **wss) + ["--ca-file", str(pki.root.path), "--client-cert", str(cert),
                                               "--client-key", str(other_key)]), "does not match")
    refused(run_agent(args(tmp_path, **wss) + ["--security-profile", "3", "--ca-file", str(pki.root.path)]),
            "--client-cert")
    # Nothing was created: bad input changes nothing.
    assert not (tmp_path / "data").exists()


def test_bad_input_leaves_an_older_state_file_unmigrated(tmp_path):
    """A station.db of schema version 1 (before the outbox) is upgraded only once every input validated: an agent that
    refuses to start changes nothing it was given."""
    import sqlite3
    data = tmp_path / "data"
    data.mkdir()
    db = sqlite3.connect(data / "station.db")
    db.executescript("""
        PRAGMA journal_mode = WAL;
        PRAGMA application_id = 1329811536;
        CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        CREATE TABLE variables (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        PRAGMA user_version = 1;
    """)
    db.close()
    before = (data / "station.db").read_bytes()
    text = refused(run_agent(args(tmp_path, **{"--device-model": model_with(tmp_path, "OCPPCommCtrlr", "HeartbeatInterval", mutability="Sometimes")})), "dm.json")
    assert "mutability" in text
    assert (data / "station.db").read_bytes() == before
    db = sqlite3.connect(data / "station.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    db.close()

"""Bad input: the agent refuses to start, exit code non-zero, one clear line on stderr naming the file or flag."""
import json
import pathlib

import pytest

from conftest import BOARD, DEVICE_MODEL, run_agent


def args(tmp_path, **override):
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


def refused(done, *mentions):
    assert done.returncode != 0, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, f"stderr must be one line: {done.stderr!r}"
    line = lines[0]
    for word in mentions:
        assert word in line, f"{word!r} not in {line!r}"
    assert "Fatal error" not in done.stderr and "Stack" not in done.stderr
    return line


def write(path, text):
    path.write_text(text)
    return str(path)


def board_with(tmp_path, mutate):
    board = json.loads(BOARD.read_text())
    mutate(board)
    return write(tmp_path / "board.json", json.dumps(board))


def model_with(tmp_path, mutate):
    model = json.loads(DEVICE_MODEL.read_text())
    mutate(model)
    return write(tmp_path / "dm.json", json.dumps(model))


def test_missing_board_file(tmp_path):
    refused(run_agent(args(tmp_path, **{"--board": str(tmp_path / "nope.json")})), "nope.json")


def test_board_not_json(tmp_path):
    refused(run_agent(args(tmp_path, **{"--board": write(tmp_path / "b.json", "{ not json")})), "b.json")


def test_board_bad_connector_type(tmp_path):
    path = board_with(tmp_path, lambda b: b["evses"][1]["connectors"][0].update(type="cType9"))
    refused(run_agent(args(tmp_path, **{"--board": path})), "board.json", "evses[1].connectors[0].type", "cType9")


def test_device_model_bad_mutability(tmp_path):
    def mutate(model):
        model[1]["variables"][0]["variableAttribute"][0]["mutability"] = "Sometimes"
    path = model_with(tmp_path, mutate)
    refused(run_agent(args(tmp_path, **{"--device-model": path})), "dm.json", "mutability", "Sometimes")


def test_device_model_integer_value_not_an_integer(tmp_path):
    def mutate(model):
        model[1]["variables"][0]["variableAttribute"][0]["value"] = "abc"
    path = model_with(tmp_path, mutate)
    refused(run_agent(args(tmp_path, **{"--device-model": path})), "dm.json", "HeartbeatInterval", "abc")


def test_device_model_without_message_timeout(tmp_path):
    def mutate(model):
        model[1]["variables"] = [v for v in model[1]["variables"] if v["name"] != "MessageTimeout"]
    path = model_with(tmp_path, mutate)
    refused(run_agent(args(tmp_path, **{"--device-model": path})), "dm.json", "MessageTimeout")


def test_device_model_and_board_disagree(tmp_path):
    path = board_with(tmp_path, lambda b: b.update(evses=b["evses"][:1]))
    refused(run_agent(args(tmp_path, **{"--board": path})), "EVSE")


def test_data_dir_is_a_file(tmp_path):
    refused(run_agent(args(tmp_path, **{"--data-dir": write(tmp_path / "f", "x")})), "--data-dir")


def test_data_dir_with_unknown_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("hello")
    refused(run_agent(args(tmp_path)), "--data-dir", "notes.txt")


def test_csms_url_must_be_websocket(tmp_path):
    refused(run_agent(args(tmp_path, **{"--csms-url": "http://127.0.0.1:9/ocpp"})), "--csms-url")


def test_corrupt_state_file_is_reported_and_kept(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    garbage = b"this is not a database" + bytes(range(256)) * 40
    (data / "station.db").write_bytes(garbage)
    refused(run_agent(args(tmp_path)), "station.db")
    assert (data / "station.db").read_bytes() == garbage


def test_corrupt_sim_board_state_is_reported_and_kept(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "sim-board.json").write_text('{"version": 1, "evses": "nope"}')
    refused(run_agent(args(tmp_path)), "sim-board.json")
    assert (data / "sim-board.json").read_text() == '{"version": 1, "evses": "nope"}'


@pytest.mark.parametrize("flags", [
    ["--security-profile", "2"],
    ["--basic-auth-password", "secret-password"],
    ["--ca-file", "/tmp/ca.pem"],
])
def test_security_flags_are_not_supported_yet(tmp_path, flags):
    line = refused(run_agent(args(tmp_path) + flags), flags[0], "not supported yet")
    assert "secret-password" not in line


def test_unknown_flag_and_missing_flag(tmp_path):
    refused(run_agent(args(tmp_path) + ["--frobnicate"]), "--frobnicate")
    refused(run_agent(args(tmp_path, **{"--station-id": None})), "--station-id")

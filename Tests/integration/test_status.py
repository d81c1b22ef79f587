"""StatusNotification on every change of a connector, driven through the simulated board's socket and its CLI."""
import json
import subprocess

from conftest import AGENT, boot_accepted


def test_plug_unplug_fault_and_clear_fault(csms, agent):
    station = agent()
    boot_accepted(csms)
    steps = [
        ({"cmd": "plug", "evse": 1}, 1, "Occupied"),
        ({"cmd": "unplug", "evse": 1}, 1, "Available"),
        ({"cmd": "fault", "evse": 2, "kind": "ground-fault"}, 2, "Faulted"),
        ({"cmd": "clear-fault", "evse": 2}, 2, "Available"),
    ]
    for request, evse, expected in steps:
        mark = csms.mark()
        reply = station.sim(request)
        assert reply["ok"] is True, reply
        status = csms.wait_call("StatusNotification", start=mark)
        got = (status.payload["evseId"], status.payload["connectorId"], status.payload["connectorStatus"])
        assert got == (evse, 1, expected), f"after {request}"
    status = station.sim({"cmd": "status"})
    assert status["ok"] is True
    assert [e["evse"] for e in status["evses"]] == [1, 2]
    assert [e["connectors"][0]["status"] for e in status["evses"]] == ["Available", "Available"]
    # One StatusNotification per change, no duplicates: 2 at boot + 4 changes.
    assert csms.actions_from_station().count("StatusNotification") == 6


def test_every_fault_kind_faults_the_connector(csms, agent):
    station = agent()
    boot_accepted(csms)
    for kind in ("overcurrent", "meter-lost", "emergency-stop"):
        mark = csms.mark()
        assert station.sim({"cmd": "fault", "evse": 1, "kind": kind})["ok"] is True
        status = csms.wait_call("StatusNotification", lambda p: p["evseId"] == 1, start=mark)
        assert status.payload["connectorStatus"] == "Faulted", kind
        mark = csms.mark()
        assert station.sim({"cmd": "clear-fault", "evse": 1})["ok"] is True
        status = csms.wait_call("StatusNotification", lambda p: p["evseId"] == 1, start=mark)
        assert status.payload["connectorStatus"] == "Available", kind


def test_fault_wins_over_a_plugged_cable(csms, agent):
    station = agent()
    boot_accepted(csms)
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 2})
    csms.wait_call("StatusNotification", lambda p: p["connectorStatus"] == "Occupied", start=mark)
    station.sim({"cmd": "fault", "evse": 2, "kind": "overcurrent"})
    csms.wait_call("StatusNotification", lambda p: p["connectorStatus"] == "Faulted", start=mark)
    mark = csms.mark()
    station.sim({"cmd": "clear-fault", "evse": 2})
    status = csms.wait_call("StatusNotification", start=mark)
    assert (status.payload["evseId"], status.payload["connectorStatus"]) == (2, "Occupied")


def test_sim_socket_rejects_bad_requests(csms, agent):
    station = agent()
    boot_accepted(csms)
    for request in ({"cmd": "plug", "evse": 9}, {"cmd": "no-such-command"}, {"evse": 1}):
        reply = station.sim(request)
        assert reply["ok"] is False and isinstance(reply.get("error"), str) and reply["error"], reply
    # The board still works after bad requests.
    mark = csms.mark()
    assert station.sim({"cmd": "plug", "evse": 1})["ok"] is True
    csms.wait_call("StatusNotification", lambda p: p["connectorStatus"] == "Occupied", start=mark)


def test_the_sim_cli_drives_the_board(csms, agent):
    station = agent()
    boot_accepted(csms)
    mark = csms.mark()
    done = subprocess.run([AGENT, "sim", "--data-dir", str(station.data_dir), "plug", "--evse", "2"],
                          capture_output=True, text=True, timeout=10)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True
    status = csms.wait_call("StatusNotification", start=mark)
    assert (status.payload["evseId"], status.payload["connectorStatus"]) == (2, "Occupied")
    shown = subprocess.run([AGENT, "sim", "--data-dir", str(station.data_dir), "status"],
                           capture_output=True, text=True, timeout=10)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["evses"][1]["connectors"][0]["status"] == "Occupied"
    bad = subprocess.run([AGENT, "sim", "--data-dir", str(station.data_dir), "plug", "--evse", "9"],
                         capture_output=True, text=True, timeout=10)
    assert bad.returncode != 0 and json.loads(bad.stdout)["ok"] is False


def test_trigger_status_notification_and_heartbeat(csms, agent):
    agent()
    boot_accepted(csms)
    answer = csms.call("TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}})
    assert answer.payload["status"] == "Accepted"
    status = csms.wait_call("StatusNotification", start=csms.index(answer))
    assert status.payload["evseId"] == 1
    answer = csms.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
    assert answer.payload["status"] == "Accepted"
    csms.wait_call("Heartbeat", start=csms.index(answer))
    # F06.FR.17: no BootNotification on request once accepted.
    answer = csms.call("TriggerMessage", {"requestedMessage": "BootNotification"})
    assert answer.payload["status"] == "Rejected"

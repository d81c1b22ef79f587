"""StatusNotification on every change, driven through the simulated board's socket and CLI."""
import subprocess

from conftest import AGENT, boot_accepted


def test_plug_unplug_fault_and_clear(csms, agent):
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
        assert (status.payload["evseId"], status.payload["connectorStatus"]) == (evse, expected)
    status = station.sim({"cmd": "status"})
    assert status["ok"] is True
    assert [e["connectors"][0]["status"] for e in status["evses"]] == ["Available", "Available"]


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
    csms.wait_call("StatusNotification", lambda p: p["connectorStatus"] == "Occupied", start=mark)


def test_the_sim_cli_drives_the_board(csms, agent):
    station = agent()
    boot_accepted(csms)
    mark = csms.mark()
    done = subprocess.run([AGENT, "sim", "--data-dir", str(station.data_dir), "plug", "--evse", "2"],
                          capture_output=True, text=True, timeout=10)
    assert done.returncode == 0, done.stderr
    assert '"ok":true' in done.stdout
    status = csms.wait_call("StatusNotification", start=mark)
    assert (status.payload["evseId"], status.payload["connectorStatus"]) == (2, "Occupied")
    bad = subprocess.run([AGENT, "sim", "--data-dir", str(station.data_dir), "plug", "--evse", "9"],
                         capture_output=True, text=True, timeout=10)
    assert bad.returncode != 0 and '"ok":false' in bad.stdout


def test_trigger_status_notification_and_heartbeat(csms, agent):
    agent()
    boot_accepted(csms)
    answer = csms.call("TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}})
    assert answer.payload["status"] == "Accepted"
    status = csms.wait_call("StatusNotification", start=csms.frames.index(answer))
    assert status.payload["evseId"] == 1
    answer = csms.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
    assert answer.payload["status"] == "Accepted"
    csms.wait_call("Heartbeat", start=csms.frames.index(answer))
    # F06.FR.17: no BootNotification on request once accepted.
    answer = csms.call("TriggerMessage", {"requestedMessage": "BootNotification"})
    assert answer.payload["status"] == "Rejected"
    answer = csms.call("TriggerMessage", {"requestedMessage": "MeterValues"})
    assert answer.payload["status"] == "NotImplemented"

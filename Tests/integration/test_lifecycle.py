"""SIGTERM, restart with the same data directory, and Reset re-executing the agent."""
from conftest import boot_accepted


def test_sigterm_stops_within_5_seconds_and_leaves_no_wal(csms, agent):
    station = agent()
    boot_accepted(csms)
    code, seconds = station.terminate(timeout=6)
    assert code == 0
    assert seconds < 5
    csms.wait_disconnected(timeout=2)
    names = sorted(p.name for p in station.data_dir.iterdir())
    assert not [n for n in names if n.endswith("-wal") or n.endswith("-shm")], names
    assert "sim.sock" not in names


def test_same_data_dir_is_the_same_station(csms, agent, tmp_path):
    station = agent()
    boot_accepted(csms)
    station.sim({"cmd": "plug", "evse": 1})
    csms.wait_call("StatusNotification", lambda p: p["connectorStatus"] == "Occupied")
    csms.call("SetVariables", {"setVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}, "attributeValue": "123"}]})
    assert station.terminate()[0] == 0
    mark = csms.mark()
    agent(data_dir=station.data_dir)
    boot = csms.wait_call("BootNotification", start=mark)
    assert boot.payload["reason"] == "PowerUp"
    # The hardware kept its state: the cable is still in.
    csms.wait_call("StatusNotification", lambda p: p["evseId"] == 1 and p["connectorStatus"] == "Occupied", start=mark)
    # The CSMS's change to a persistent variable survived.
    answer = csms.call("GetVariables", {"getVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}]})
    assert answer.payload["getVariableResult"][0]["attributeValue"] == "123"


def test_reset_reexecutes_and_boots_with_remote_reset(csms, agent):
    station = agent()
    boot_accepted(csms)
    answer = csms.call("Reset", {"type": "Immediate"})
    assert answer.payload["status"] == "Accepted"
    mark = csms.mark()
    boot = csms.wait_call("BootNotification", start=mark, timeout=15)
    # B01.FR.09 / B11.FR.04: the reboot is announced with RemoteReset, then the reset security event.
    assert boot.payload["reason"] == "RemoteReset"
    security = csms.wait_call("SecurityEventNotification", start=mark)
    assert security.payload["type"] == "ResetOrReboot"
    assert station.proc.poll() is None  # the same process, re-executed in place
    # Reset of a single EVSE is not supported (B11.FR.09).
    csms.wait_call("StatusNotification", lambda p: p["evseId"] == 2, start=mark)
    answer = csms.call("Reset", {"type": "OnIdle", "evseId": 1})
    assert answer.payload["status"] == "Rejected"

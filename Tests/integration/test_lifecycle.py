"""SIGTERM, restart with the same data directory, and Reset re-executing the agent."""
from conftest import boot_accepted


def test_sigterm_exits_0_within_5_s_closes_websocket_and_leaves_no_wal(csms, agent):
    station = agent()
    boot_accepted(csms)
    code, seconds = station.terminate(timeout=8)
    assert code == 0
    assert seconds < 5, f"took {seconds:.2f} s"
    conn = csms.wait_disconnected(timeout=2)
    # A normal WebSocket close (the station's close frame), not a dropped TCP connection.
    assert conn.close_code is not None, "the station closed the TCP connection without a WebSocket close frame"
    assert conn.close_code in (1000, 1001), conn.close_code
    names = sorted(p.name for p in station.data_dir.iterdir())
    assert not [n for n in names if n.endswith("-wal") or n.endswith("-shm")], names
    assert "sim.sock" not in names, names


def test_same_data_dir_is_the_same_station(csms, agent):
    station = agent()
    boot_accepted(csms)
    station.sim({"cmd": "plug", "evse": 1})
    csms.wait_call("StatusNotification", lambda p: p["connectorStatus"] == "Occupied")
    answer = csms.call("SetVariables", {"setVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}, "attributeValue": "123"}]})
    assert answer.payload["setVariableResult"][0]["attributeStatus"] == "Accepted"
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


def test_RESET_immediate_reexecs_and_boots_with_remote_reset(csms, agent):
    """Reset {type: Immediate}: Accepted, the agent re-executes itself (same process id, same args, same DIR) and
    boots again with reason RemoteReset, followed by SecurityEventNotification ResetOrReboot (B11, B01.FR.03)."""
    station = agent()
    boot_accepted(csms)
    station.sim({"cmd": "plug", "evse": 2})
    csms.wait_call("StatusNotification", lambda p: p["connectorStatus"] == "Occupied")
    answer = csms.call("Reset", {"type": "Immediate"})
    assert answer.type == 3 and answer.payload["status"] == "Accepted", answer.text
    mark = csms.mark()
    conn = csms.wait_connected(count=2, timeout=15)
    boot = csms.wait_call("BootNotification", start=mark, timeout=15)
    assert boot.connection == conn.number
    assert boot.payload["reason"] == "RemoteReset"
    assert boot.payload["chargingStation"]["model"] == "ocpp-station-sim"
    security = csms.wait_call("SecurityEventNotification", start=mark)
    assert security.payload["type"] == "ResetOrReboot"
    statuses = {e: csms.wait_call("StatusNotification", lambda p, e=e: p["evseId"] == e, start=mark) for e in (1, 2)}
    assert boot.at < security.at < min(s.at for s in statuses.values())
    # Same data directory: the board state survived the reboot.
    assert statuses[2].payload["connectorStatus"] == "Occupied"
    assert statuses[1].payload["connectorStatus"] == "Available"
    # Re-executed in place: the process we started is still the agent.
    assert station.proc.poll() is None
    assert station.sim({"cmd": "status"})["ok"] is True
    # The first connection was closed before the reboot's connection was opened.
    assert csms.connections[0].closed_at is not None and csms.connections[0].closed_at <= conn.opened_at


def test_reset_of_one_evse_is_accepted_and_of_an_unknown_one_rejected(csms, agent):
    """B11.FR.08/10: EVSE.AllowReset is true, an idle EVSE's reset is Accepted without a reboot; an unknown EVSE:
    Rejected."""
    station = agent()
    boot_accepted(csms)
    answer = csms.call("Reset", {"type": "OnIdle", "evseId": 1})
    assert answer.type == 3 and answer.payload["status"] == "Accepted"
    answer = csms.call("Reset", {"type": "OnIdle", "evseId": 7})
    assert answer.type == 3 and answer.payload["status"] == "Rejected"
    assert station.proc.poll() is None

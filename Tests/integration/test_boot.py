"""Block B: boot Accepted / Pending / Rejected (Part 2 B01-B03), heartbeats (B01.FR.04), configuration (B05)."""
import time

from conftest import boot_accepted

GET_HEARTBEAT_INTERVAL = {"getVariableData": [
    {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}


def test_boot_accepted_identity_security_event_and_statuses(csms, agent):
    agent()
    boot = csms.wait_call("BootNotification")
    # B01.FR.01 / B01.FR.09: PowerUp on a factory-fresh data directory; identity from the device model.
    assert boot.payload["reason"] == "PowerUp"
    assert boot.payload["chargingStation"]["model"] == "ocpp-station-sim"
    assert boot.payload["chargingStation"]["vendorName"] == "ocpp-station"
    security = csms.wait_call("SecurityEventNotification")
    assert security.payload["type"] == "StartupOfTheDevice"
    # B01.FR.05: a StatusNotification per connector after the boot was accepted: EVSE 1 and 2, connector 1 each.
    statuses = [csms.wait_call("StatusNotification", lambda p, e=e: p["evseId"] == e) for e in (1, 2)]
    assert [(s.payload["evseId"], s.payload["connectorId"], s.payload["connectorStatus"]) for s in statuses] == [
        (1, 1, "Available"), (2, 1, "Available")]
    # Order: BootNotification first (B01.FR.08: nothing before it was accepted), then the security event, then the
    # statuses.
    calls = csms.calls_from_station()
    assert calls[0] is boot
    accepted = csms.answer_to(boot)
    assert accepted.payload["status"] == "Accepted"
    assert all(f.at > accepted.at for f in calls[1:])
    assert boot.at < security.at < min(s.at for s in statuses)
    # The station id is the last path segment of the connection URL (Part 4 section 3.1.1).
    assert csms.connections[0].path == "/ocpp/CS001"
    assert csms.connections[0].subprotocol == "ocpp2.0.1"


def test_heartbeat_follows_the_boot_interval(csms, agent):
    interval = 2
    csms.boot_interval = interval
    station = agent()
    boot_accepted(csms)
    # B01.FR.04: the interval of the response is the heartbeat interval; a Heartbeat only after `interval` seconds
    # in which the station sent nothing.
    first = csms.wait_call("Heartbeat", timeout=interval + 4)
    before = [f for f in csms.frames[: csms.index(first)] if f.direction == "in"]
    idle = first.at - before[-1].at
    assert interval - 0.3 <= idle <= interval + 1.5, f"first Heartbeat {idle:.2f} s after the last message"
    second = csms.wait_call("Heartbeat", start=csms.index(first) + 1, timeout=interval + 4)
    assert interval - 0.3 <= second.at - first.at <= interval + 1.5, f"{second.at - first.at:.2f} s between beats"
    # Another message in the middle of an interval postpones the next Heartbeat: half an interval after the second
    # Heartbeat the cable goes in (a deliberate pause: there is no event to wait for).
    time.sleep(interval / 2)
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    status = csms.wait_call("StatusNotification", start=mark)
    third = csms.wait_call("Heartbeat", start=mark, timeout=interval + 4)
    assert interval - 0.3 <= third.at - status.at <= interval + 1.5, \
        f"Heartbeat {third.at - status.at:.2f} s after the StatusNotification"


def boot_answered(csms, agent, status, interval):
    """Starts the agent against a CSMS answering BootNotification with `status`; the first boot and its answer."""
    csms.boot_status, csms.boot_interval = status, interval
    agent()
    first = csms.wait_call("BootNotification")
    return first, csms.answer_to(first)


def test_pending_retries_answers_and_sends_nothing_else(csms, agent):
    interval = 2
    first, pending = boot_answered(csms, agent, "Pending", interval)
    # B02.FR.01: the CSMS may read and change the configuration while Pending; the station answers.
    answer = csms.call("GetVariables", GET_HEARTBEAT_INTERVAL)
    assert answer.type == 3 and answer.payload["getVariableResult"][0]["attributeStatus"] == "Accepted"
    answer = csms.call("SetVariables", {"setVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}, "attributeValue": "61"}]})
    assert answer.type == 3 and answer.payload["setVariableResult"][0]["attributeStatus"] == "Accepted"
    # B02.FR.05: RequestStartTransaction / RequestStopTransaction are Rejected while Pending.
    answer = csms.call("RequestStartTransaction", {"idToken": {"idToken": "ABC", "type": "ISO14443"}, "remoteStartId": 1})
    assert answer.type == 3 and answer.payload["status"] == "Rejected"
    answer = csms.call("RequestStopTransaction", {"transactionId": "T1"})
    assert answer.type == 3 and answer.payload["status"] == "Rejected"
    # B02.FR.04 / B02.FR.08: BootNotification again after the interval, not earlier, with a new message id.
    second = csms.wait_call("BootNotification", start=csms.index(first) + 1, timeout=interval + 5)
    waited = second.at - pending.at
    assert interval - 0.2 <= waited <= interval + 2.0, f"second BootNotification {waited:.2f} s after Pending"
    assert second.id != first.id
    # B02.FR.02: nothing else was sent unprompted (the CSMS also checks this frame by frame).
    assert set(csms.actions_from_station()) == {"BootNotification"}
    # B02.FR.06: the connection stays open.
    assert len(csms.connections) == 1 and csms.connections[0].closed_at is None
    # Accept from the next BootNotification on: the boot completes (B01).
    csms.answer_to(second)
    csms.boot_status = "Accepted"
    mark = csms.mark()
    boot = boot_accepted(csms, start=mark, timeout=interval + 8)
    assert boot.payload["reason"] == "PowerUp"


def test_pending_station_sends_triggered_messages(csms, agent):
    csms.boot_status, csms.boot_interval = "Pending", 30
    agent()
    csms.answer_to(csms.wait_call("BootNotification"))
    answer = csms.call("TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": 2, "connectorId": 1}})
    assert answer.payload["status"] == "Accepted"
    # B02.FR.02: a message the CSMS triggered may be sent while Pending.
    status = csms.wait_call("StatusNotification", start=csms.index(answer))
    assert (status.payload["evseId"], status.payload["connectorId"]) == (2, 1)


def test_rejected_sends_only_boot_notifications_and_refuses_calls(csms, agent):
    interval = 2
    first, rejected = boot_answered(csms, agent, "Rejected", interval)
    # B03.FR.08: any CALL from the CSMS gets CALLERROR SecurityError.
    answer = csms.call("GetVariables", GET_HEARTBEAT_INTERVAL)
    assert (answer.type, answer.error_code) == (4, "SecurityError"), answer.text
    answer = csms.call("TriggerMessage", {"requestedMessage": "StatusNotification"})
    assert (answer.type, answer.error_code) == (4, "SecurityError"), answer.text
    # B03.FR.02 / B03.FR.06: nothing before the interval expired, then a BootNotification, and nothing else.
    second = csms.wait_call("BootNotification", start=csms.index(first) + 1, timeout=interval + 5)
    waited = second.at - rejected.at
    assert interval - 0.2 <= waited <= interval + 2.0, f"second BootNotification {waited:.2f} s after Rejected"
    assert set(csms.actions_from_station()) == {"BootNotification"}


def test_set_variables_changes_the_heartbeat_interval(csms, agent):
    csms.boot_interval = 300
    agent()
    boot_accepted(csms)
    answer = csms.call("SetVariables", {"setVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}, "attributeValue": "1"},
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "MessageTimeout", "instance": "Default"},
         "attributeValue": "9"},
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}, "attributeValue": "x",
         "attributeType": "Target"},
        {"component": {"name": "NoSuchController"}, "variable": {"name": "HeartbeatInterval"}, "attributeValue": "1"},
    ]})
    statuses = [r["attributeStatus"] for r in answer.payload["setVariableResult"]]
    # B05.FR.10, B05.FR.09 (ReadOnly), B05.FR.06, B05.FR.04
    assert statuses == ["Accepted", "Rejected", "NotSupportedAttributeType", "UnknownComponent"]
    csms.wait_call("Heartbeat", start=csms.index(answer), timeout=4)
    answer = csms.call("GetVariables", GET_HEARTBEAT_INTERVAL)
    assert answer.payload["getVariableResult"][0]["attributeValue"] == "1"

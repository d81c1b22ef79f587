"""Block B: boot Accepted / Pending / Rejected (B01-B03) and heartbeats (G02)."""
import time

from conftest import boot_accepted


def test_boot_accepted_identity_security_event_and_statuses(csms, agent):
    agent()
    boot = csms.wait_call("BootNotification")
    # B01.FR.09: PowerUp on a factory-fresh data directory; identity from the device model.
    assert boot.payload["reason"] == "PowerUp"
    assert boot.payload["chargingStation"]["model"] == "ocpp-station-sim"
    assert boot.payload["chargingStation"]["vendorName"] == "ocpp-station"
    security = csms.wait_call("SecurityEventNotification")
    assert security.payload["type"] == "StartupOfTheDevice"
    # B01.FR.05: a StatusNotification per connector, after the boot was accepted.
    statuses = [csms.wait_call("StatusNotification", lambda p, e=e: p["evseId"] == e) for e in (1, 2)]
    assert all(s.payload["connectorStatus"] == "Available" and s.payload["connectorId"] == 1 for s in statuses)
    assert boot.at < security.at < min(s.at for s in statuses)
    # The station id is the last path segment of the URL.
    assert csms.station_paths[0] == "/ocpp/CS001"


def test_heartbeat_follows_the_boot_interval(csms, agent):
    csms.boot_interval = 2
    agent()
    boot_accepted(csms)
    first = csms.wait_call("Heartbeat", timeout=6)
    second = csms.wait_call("Heartbeat", start=csms.frames.index(first) + 1, timeout=6)
    # B01.FR.04: the interval from the response; heartbeat only after an interval with nothing sent.
    assert 1.5 <= second.at - first.at <= 3.5
    last_before = max(f.at for f in csms.frames[: csms.frames.index(first)] if f.direction == "in")
    assert first.at - last_before >= 1.5


def test_pending_retries_answers_and_sends_nothing_else(csms, agent):
    csms.boot_status, csms.boot_interval = "Pending", 1
    agent()
    first = csms.wait_call("BootNotification")
    csms.wait_for(lambda f: f.direction == "out" and f.type == 3 and f.id == first.id)
    # B02.FR.01: the CSMS may read the configuration while Pending.
    answer = csms.call("GetVariables", {"getVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})
    assert answer.type == 3 and answer.payload["getVariableResult"][0]["attributeStatus"] == "Accepted"
    # B02.FR.05: RequestStartTransaction is Rejected while Pending.
    answer = csms.call("RequestStartTransaction", {"idToken": {"idToken": "ABC", "type": "ISO14443"}, "remoteStartId": 1})
    assert answer.type == 3 and answer.payload["status"] == "Rejected"
    answer = csms.call("RequestStopTransaction", {"transactionId": "T1"})
    assert answer.type == 3 and answer.payload["status"] == "Rejected"
    # B02.FR.08: BootNotification again after the interval, not earlier (B02.FR.04).
    second = csms.wait_call("BootNotification", start=csms.frames.index(first) + 1, timeout=5)
    assert second.at - first.at >= 0.9
    assert second.id != first.id
    # B02.FR.02: nothing else was sent unprompted.
    assert {f.action for f in csms.calls_from_station()} == {"BootNotification"}
    # Accept: the boot completes (switch only once the second one was answered Pending).
    csms.wait_for(lambda f: f.direction == "out" and f.type == 3 and f.id == second.id)
    csms.boot_status = "Accepted"
    mark = csms.mark()
    boot_accepted(csms, start=mark)


def test_pending_station_sends_triggered_messages(csms, agent):
    csms.boot_status, csms.boot_interval = "Pending", 30
    agent()
    csms.wait_call("BootNotification")
    answer = csms.call("TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": 2, "connectorId": 1}})
    assert answer.payload["status"] == "Accepted"
    # B02.FR.02: a message the CSMS triggered may be sent while Pending.
    status = csms.wait_call("StatusNotification", start=csms.frames.index(answer))
    assert status.payload["evseId"] == 2


def test_rejected_sends_only_boot_notifications_and_refuses_calls(csms, agent):
    csms.boot_status, csms.boot_interval = "Rejected", 1
    agent()
    first = csms.wait_call("BootNotification")
    csms.wait_for(lambda f: f.direction == "out" and f.type == 3 and f.id == first.id)
    # B03.FR.08: any CALL from the CSMS gets CALLERROR SecurityError.
    answer = csms.call("GetVariables", {"getVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})
    assert answer.type == 4 and answer.message[2] == "SecurityError"
    second = csms.wait_call("BootNotification", start=csms.frames.index(first) + 1, timeout=5)
    # B03.FR.02: nothing before the interval expired, and nothing but BootNotification.
    assert second.at - first.at >= 0.9
    assert {f.action for f in csms.calls_from_station()} == {"BootNotification"}


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
    csms.wait_call("Heartbeat", start=csms.frames.index(answer), timeout=4)

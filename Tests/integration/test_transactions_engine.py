"""Smoke test of the transaction engine (block E, J, C01, F01/F03) against the `ocpp` CSMS: every frame is checked
against the official schemas by the CSMS."""
import time

from conftest import boot_accepted
from csms import CSMS

SAMPLE_EVERY_SECOND = {("SampledDataCtrlr", "TxUpdatedInterval", None): "1"}


def wait_for_evse(station, evse, condition, timeout=5):
    """The sim board's status of `evse` once `condition` holds (AssertionError after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while True:
        status = station.sim({"cmd": "status"})["evses"][evse - 1]
        if condition(status):
            return status
        assert time.monotonic() < deadline, f"EVSE {evse}: {status}"
        time.sleep(0.02)


def transaction_events(csms, transaction_id, start=0):
    return [f for f in csms.calls_from_station(start) if f.action == "TransactionEvent"
            and f.payload["transactionInfo"]["transactionId"] == transaction_id]


def test_plug_tap_charge_unplug(csms, agent):
    station = agent(model=SAMPLE_EVERY_SECOND)
    boot_accepted(csms)
    csms.wait_call("StatusNotification", lambda p: p["evseId"] == 2)
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    csms.wait_call("StatusNotification", lambda p: p["connectorStatus"] == "Occupied", start=mark)
    station.sim({"cmd": "tap", "idToken": "CARD-1", "evse": 1})
    # C01: the card is authorized by the CSMS, then the transaction starts (default TxStartPoint PowerPathClosed).
    csms.wait_call("Authorize", start=mark)
    started = csms.wait_call("TransactionEvent", lambda p: p["eventType"] == "Started", start=mark)
    assert started.payload["seqNo"] == 0
    assert started.payload["triggerReason"] == "Authorized"
    assert started.payload["idToken"] == {"idToken": "CARD-1", "type": "ISO14443"}
    assert started.payload["evse"] == {"id": 1, "connectorId": 1}
    assert started.payload["meterValue"][0]["sampledValue"][0]["context"] == "Transaction.Begin"
    transaction_id = started.payload["transactionInfo"]["transactionId"]
    # The event is queued before the cable is locked (the station acts after the event is on disk); the interlock
    # closes the contactor only once the EV asks for energy (state C).
    evse = wait_for_evse(station, 1, lambda e: e["locked"])
    assert evse["transactionId"] == transaction_id
    assert not evse["contactorClosed"]
    station.sim({"cmd": "ev-charge", "evse": 1, "watts": 11000})
    wait_for_evse(station, 1, lambda e: e["contactorClosed"])
    csms.wait_call("TransactionEvent", lambda p: p["transactionInfo"].get("chargingState") == "Charging", start=mark)
    # J02: periodic samples every TxUpdatedInterval.
    periodic = csms.wait_call("TransactionEvent", lambda p: p["triggerReason"] == "MeterValuePeriodic", start=mark,
                              timeout=5)
    assert periodic.payload["meterValue"][0]["sampledValue"][0]["context"] == "Sample.Periodic"
    station.sim({"cmd": "unplug", "evse": 1})
    ended = csms.wait_call("TransactionEvent", lambda p: p["eventType"] == "Ended", start=mark)
    assert ended.payload["transactionInfo"]["stoppedReason"] == "EVDisconnected"
    assert ended.payload["meterValue"][-1]["sampledValue"][0]["context"] == "Transaction.End"
    events = transaction_events(csms, transaction_id, mark)
    assert [e.payload["seqNo"] for e in events] == list(range(len(events)))
    assert [e.payload["eventType"] for e in events].count("Started") == 1
    assert events[-1] is ended
    # The register never goes back, read by the time of each sample; energy flowed while the EV charged.
    readings = sorted((v["timestamp"], s["value"]) for e in events for v in e.payload.get("meterValue", [])
                      for s in v["sampledValue"] if s.get("measurand") == "Energy.Active.Import.Register")
    energy = [value for _, value in readings]
    assert energy == sorted(energy) and energy[-1] > energy[0]
    evse = wait_for_evse(station, 1, lambda e: not e["contactorClosed"] and not e["locked"])
    assert evse["transactionId"] is None


def test_remote_start_and_stop(csms, agent):
    station = agent()
    boot_accepted(csms)
    csms.wait_call("StatusNotification", lambda p: p["evseId"] == 2)
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 2})
    answer = csms.call("RequestStartTransaction", {"idToken": {"idToken": "APP-7", "type": "Central"},
                                                   "remoteStartId": 42, "evseId": 2})
    assert answer.payload["status"] == "Accepted"
    started = csms.wait_call("TransactionEvent", lambda p: p["eventType"] == "Started", start=mark)
    assert started.payload["triggerReason"] == "RemoteStart"
    assert started.payload["transactionInfo"]["remoteStartId"] == 42
    transaction_id = started.payload["transactionInfo"]["transactionId"]
    # F01.FR.24: the EVSE has an authorized transaction now.
    again = csms.call("RequestStartTransaction", {"idToken": {"idToken": "APP-8", "type": "Central"},
                                                  "remoteStartId": 43, "evseId": 2})
    assert again.payload["status"] == "Rejected"
    # E14: the transaction is ongoing.
    status = csms.call("GetTransactionStatus", {"transactionId": transaction_id})
    assert status.payload["ongoingIndicator"] is True
    # F06.FR.06/07: triggered TransactionEvent and MeterValues.
    mark = csms.mark()
    assert csms.call("TriggerMessage", {"requestedMessage": "TransactionEvent", "evse": {"id": 2}}).payload["status"] == "Accepted"
    triggered = csms.wait_call("TransactionEvent", lambda p: p["triggerReason"] == "Trigger", start=mark)
    assert triggered.payload["transactionInfo"]["chargingState"] == "SuspendedEV"
    assert csms.call("TriggerMessage", {"requestedMessage": "TransactionEvent", "evse": {"id": 1}}).payload["status"] == "Rejected"
    assert csms.call("TriggerMessage", {"requestedMessage": "MeterValues", "evse": {"id": 1}}).payload["status"] == "Accepted"
    meter = csms.wait_call("MeterValues", start=mark)
    assert meter.payload["evseId"] == 1
    assert meter.payload["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
    stop = csms.call("RequestStopTransaction", {"transactionId": transaction_id})
    assert stop.payload["status"] == "Accepted"
    ended = csms.wait_call("TransactionEvent", lambda p: p["eventType"] == "Ended", start=mark)
    assert ended.payload["triggerReason"] == "RemoteStop"
    assert ended.payload["transactionInfo"]["stoppedReason"] == "Remote"
    unknown = csms.call("RequestStopTransaction", {"transactionId": transaction_id})
    assert unknown.payload["status"] == "Rejected"
    status = csms.call("GetTransactionStatus", {"transactionId": transaction_id})
    assert status.payload["ongoingIndicator"] is False


def test_session_while_offline_is_delivered_after_reconnect(csms, agent):
    station = agent()
    boot_accepted(csms)
    csms.wait_call("StatusNotification", lambda p: p["evseId"] == 2)
    port = csms.port
    csms.stop()
    station.sim({"cmd": "plug", "evse": 1})
    station.sim({"cmd": "tap", "idToken": "CARD-OFF", "evse": 1})
    station.sim({"cmd": "unplug", "evse": 1})
    later = CSMS(port=port).start()
    try:
        events = [later.wait_call("TransactionEvent", lambda p, k=kind: p["eventType"] == k, timeout=20)
                  for kind in ("Started", "Ended")]
        # E12.FR.01/02: generated offline; seqNo gap-free; nothing but the outbox and statuses before them.
        assert all(e.payload.get("offline") is True for e in events)
        ids = {e.payload["transactionInfo"]["transactionId"] for e in events}
        assert len(ids) == 1
        all_events = transaction_events(later, ids.pop())
        assert [e.payload["seqNo"] for e in all_events] == list(range(len(all_events)))
        assert "BootNotification" not in later.actions_from_station()
    finally:
        later.stop()


def start_session(csms, station, evse=1, token="CARD-1"):
    """Plug and tap on `evse`; returns the Started event."""
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": evse})
    station.sim({"cmd": "tap", "idToken": token, "evse": evse})
    return csms.wait_call("TransactionEvent", lambda p: p["eventType"] == "Started", start=mark)


def test_kill_during_a_session_ends_it_with_power_loss(csms, agent):
    station = agent()
    boot_accepted(csms)
    started = start_session(csms, station)
    transaction_id = started.payload["transactionInfo"]["transactionId"]
    station.sim({"cmd": "ev-charge", "evse": 1})
    charging = csms.wait_call("TransactionEvent", lambda p: p["transactionInfo"].get("chargingState") == "Charging")
    station.exit_expected = True
    station.proc.kill()
    station.proc.wait(5)
    mark = csms.mark()
    again = agent(data_dir=station.data_dir, name="restarted")
    boot = csms.wait_call("BootNotification", start=mark, timeout=15)
    assert boot.payload["reason"] == "PowerUp"
    # Our power-loss rule: the transaction left open is ended, seqNo continuing, with the last persisted reading.
    ended = csms.wait_call("TransactionEvent", lambda p: p["eventType"] == "Ended", start=mark)
    assert ended.payload["transactionInfo"]["transactionId"] == transaction_id
    assert ended.payload["transactionInfo"]["stoppedReason"] == "PowerLoss"
    assert ended.payload["triggerReason"] == "AbnormalCondition"
    assert ended.payload["seqNo"] == charging.payload["seqNo"] + 1
    assert ended.payload["meterValue"][-1]["sampledValue"][0]["context"] == "Transaction.End"
    # No power path survives the restart: the contactor opened, the cable unlocked.
    evse = wait_for_evse(again, 1, lambda e: not e["contactorClosed"] and not e["locked"])
    assert evse["transactionId"] is None


def test_immediate_reset_ends_the_transaction_first(csms, agent):
    station = agent()
    boot_accepted(csms)
    started = start_session(csms, station, evse=2)
    transaction_id = started.payload["transactionInfo"]["transactionId"]
    answer = csms.call("Reset", {"type": "Immediate"})
    assert answer.payload["status"] == "Accepted"
    # B12.FR.04: Ended (ImmediateReset, ResetCommand) before the reboot.
    ended = csms.wait_call("TransactionEvent", lambda p: p["eventType"] == "Ended")
    assert ended.payload["transactionInfo"]["transactionId"] == transaction_id
    assert ended.payload["transactionInfo"]["stoppedReason"] == "ImmediateReset"
    assert ended.payload["triggerReason"] == "ResetCommand"
    mark = csms.mark()
    boot = csms.wait_call("BootNotification", start=mark, timeout=15)
    assert boot.payload["reason"] == "RemoteReset"
    assert ended.at < boot.at
    csms.wait_call("SecurityEventNotification", lambda p: p["type"] == "ResetOrReboot", start=mark)
    assert not any(f.action == "TransactionEvent" for f in csms.calls_from_station(mark))


def test_on_idle_reset_is_scheduled_until_the_session_ends(csms, agent):
    station = agent()
    boot_accepted(csms)
    start_session(csms, station)
    answer = csms.call("Reset", {"type": "OnIdle"})
    assert answer.payload["status"] == "Scheduled"  # B12.FR.01
    mark = csms.mark()
    station.sim({"cmd": "unplug", "evse": 1})
    ended = csms.wait_call("TransactionEvent", lambda p: p["eventType"] == "Ended", start=mark)
    assert ended.payload["transactionInfo"]["stoppedReason"] == "EVDisconnected"
    boot = csms.wait_call("BootNotification", start=mark, timeout=15)
    assert boot.payload["reason"] == "ScheduledReset"


def test_the_same_card_stops_the_session(csms, agent):
    station = agent()
    boot_accepted(csms)
    started = start_session(csms, station, token="CARD-9")
    mark = csms.mark()
    station.sim({"cmd": "tap", "idToken": "CARD-9", "evse": 1})
    # E07.FR.01/02/05, E08.FR.01: no Authorize for the same idToken; Ended with StopAuthorized, Local, the idToken.
    ended = csms.wait_call("TransactionEvent", lambda p: p["eventType"] == "Ended", start=mark)
    assert ended.payload["transactionInfo"]["transactionId"] == started.payload["transactionInfo"]["transactionId"]
    assert ended.payload["triggerReason"] == "StopAuthorized"
    assert ended.payload["transactionInfo"]["stoppedReason"] == "Local"
    assert ended.payload["idToken"]["idToken"] == "CARD-9"
    assert "Authorize" not in csms.actions_from_station(mark)
    wait_for_evse(station, 1, lambda e: not e["contactorClosed"] and not e["locked"])  # E08.FR.03

"""Helpers for the transaction tests: device-model changes for TxCtrlr and friends, and waits for TransactionEvents."""
import time

TOKEN = {"idToken": "TAG0001", "type": "ISO14443"}
# E13 in test time: 3 attempts, 1 s x preceding attempts between them; MessageTimeout 2 s (set csms.message_timeout
# to QUICK_TIMEOUT too, for its one-CALL-at-a-time check).
QUICK_TIMEOUT = 2
QUICK_RETRIES = {("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent"): "3",
                 ("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent"): "1",
                 ("OCPPCommCtrlr", "MessageTimeout", "Default"): str(QUICK_TIMEOUT)}


def tx_points(start, stop, **more):
    """Device-model changes: TxCtrlr.TxStartPoint / TxStopPoint (comma-separated MemberList values), plus
    {("Component", "Variable", instance): value} given as `more` dicts."""
    changes = {("TxCtrlr", "TxStartPoint", None): start, ("TxCtrlr", "TxStopPoint", None): stop}
    for extra in more.values():
        changes.update(extra)
    return changes


def tap(station, evse=1, token=TOKEN):
    return station.sim({"cmd": "tap", "idToken": token["idToken"], "type": token["type"], "evse": evse})


def wait_tx(csms, event_type=None, start=0, where=None, timeout=10, transaction_id=None):
    """The first TransactionEvent from index `start` with that eventType (any if None), transaction and payload."""
    def match(p):
        return ((event_type is None or p["eventType"] == event_type)
                and (transaction_id is None or p["transactionInfo"]["transactionId"] == transaction_id)
                and (where is None or where(p)))
    return csms.wait_call("TransactionEvent", match, start=start, timeout=timeout)


def tx_events(csms, transaction_id=None, start=0):
    """TransactionEvent CALLs from index `start` (of one transaction if given), arrival order."""
    return [f for f in csms.calls_from_station(start) if f.action == "TransactionEvent"
            and (transaction_id is None or f.payload["transactionInfo"]["transactionId"] == transaction_id)]


def tid(frame):
    return frame.payload["transactionInfo"]["transactionId"]


def assert_ledger_ok(csms, **options):
    problems = csms.ledger.problems(**options)
    assert not problems, "TransactionEvent ledger:\n" + "\n".join(problems) + "\n" + csms.ledger.summary()


def sim_evse(station, evse):
    """The sim status of one EVSE: plugged, contactorClosed, locked, transactionId, energyWh ..."""
    return next(e for e in station.sim({"cmd": "status"})["evses"] if e["evse"] == evse)


def wait_evse(station, evse, condition, what, timeout=5):
    """Polls the sim status of `evse` until condition(status) (the board has no frame to wait for: the station acts on
    it after the event is on disk); AssertionError naming `what` and the last status after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        state = sim_evse(station, evse)
        if condition(state):
            return state
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s; EVSE {evse}: {state}"
        time.sleep(0.02)


def unplug_ends_transaction(csms, station, evse=1):
    """Cable out with TxStopPoint EVConnected: Ended with stoppedReason EVDisconnected (E06.FR.02/08); then the
    ledger must be whole. Returns the Ended frame."""
    mark = csms.mark()
    station.sim({"cmd": "unplug", "evse": evse})
    ended = wait_tx(csms, "Ended", start=mark)
    assert ended.payload["transactionInfo"].get("stoppedReason") == "EVDisconnected", ended.line()
    assert_ledger_ok(csms)
    return ended


def settle(csms):
    """A round trip: TriggerMessage(Heartbeat) and the Heartbeat it asks for, answered. The station sends one CALL at
    a time, so every answer the CSMS sent before has reached it (nothing in flight when the test cuts the line)."""
    mark = csms.mark()
    answer = csms.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
    assert answer.payload["status"] == "Accepted", answer.text
    csms.answer_to(csms.wait_call("Heartbeat", start=mark))

"""Offline behaviour (E11, E12, E13, A04.FR.02, B04): what the station does while the CSMS is down, refuses or does
not answer, and what it delivers once it is back. The CSMS's ledger checks every transaction (one Started, one Ended,
gap-free seqNo, no duplicate except identical retransmissions)."""
import datetime
import time

from conftest import boot_accepted
from transactions import (QUICK_RETRIES, QUICK_TIMEOUT, assert_ledger_ok, settle, tx_events, tx_points,
                          wait_evse, wait_tx)


def wall(timestamp):
    return datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def offline_session(csms, station):
    """With the CSMS down: cable in, the EV charges, cable out on EVSE 1; returns once the station saw each step."""
    settle(csms)
    csms.refuse_connections()
    csms.wait_disconnected(timeout=5)
    station.sim({"cmd": "plug", "evse": 1})
    wait_evse(station, 1, lambda e: e["transactionId"] is not None, "the offline transaction started")
    station.sim({"cmd": "ev-charge", "evse": 1, "watts": 7400})
    station.sim({"cmd": "unplug", "evse": 1})
    wait_evse(station, 1, lambda e: e["transactionId"] is None, "the offline transaction ended")


def test_E12_offline_session_delivered_after_reconnect_with_offline_true_gap_free_and_B04_FR_02_status(csms, agent):
    """E12.FR.01/02 (E11.FR.01/02): a session while the CSMS is down is queued and delivered after the reconnect,
    every event with offline=true, seqNo 0..n, Started first, Ended last; no BootNotification (same process).
    B04.FR.02 (offline shorter than OfflineThreshold, 60 s): StatusNotification for the connector that changed, with
    its current status (Available), not a replay of the intermediate Occupied; none for the unchanged EVSE 2."""
    station = agent(model=tx_points("EVConnected", "EVConnected"))
    boot_accepted(csms)
    offline_session(csms, station)
    mark = csms.mark()
    csms.accept_connections()
    csms.wait_connected(count=2, timeout=10)
    ended = wait_tx(csms, "Ended", start=mark, timeout=15)
    events = tx_events(csms, start=mark)
    assert [e.payload["seqNo"] for e in events] == list(range(len(events))), [e.line() for e in events]
    assert events[0].payload["eventType"] == "Started" and events[-1] is ended
    online = [e.line() for e in events if e.payload.get("offline") is not True]
    assert not online, online
    assert ended.payload["transactionInfo"]["stoppedReason"] == "EVDisconnected"
    assert "BootNotification" not in csms.actions_from_station(start=mark)
    assert_ledger_ok(csms)
    status = csms.wait_call("StatusNotification", lambda p: p["evseId"] == 1, start=mark)
    assert status.payload["connectorStatus"] == "Available", status.line()
    statuses = [(f.payload["evseId"], f.payload["connectorStatus"]) for f in csms.calls_from_station(mark)
                if f.action == "StatusNotification"]
    assert statuses == [(1, "Available")], statuses


def test_B04_FR_01_offline_longer_than_offline_threshold_reports_every_connector(csms, agent):
    """B04.FR.01: offline longer than OfflineThreshold (1 s here): StatusNotification with the current status of every
    connector after the reconnect."""
    station = agent(model={("OCPPCommCtrlr", "OfflineThreshold", None): "1"})
    boot_accepted(csms)
    settle(csms)
    csms.refuse_connections()
    csms.wait_disconnected(timeout=5)
    station.sim({"cmd": "plug", "evse": 2})
    time.sleep(1.5)  # the precondition is elapsed offline time: nothing to wait for but the clock
    mark = csms.mark()
    csms.accept_connections()
    for evse, current in ((1, "Available"), (2, "Occupied")):
        status = csms.wait_call("StatusNotification", lambda p, e=evse: p["evseId"] == e, start=mark, timeout=10)
        assert status.payload["connectorStatus"] == current, status.line()


def test_B04_FR_02_offline_shorter_than_offline_threshold_reports_only_changed_connectors(csms, agent):
    """B04.FR.02: offline shorter than OfflineThreshold (60 s): after the reconnect a StatusNotification with the
    current status of the connector that changed (EVSE 2, Occupied), none for the unchanged EVSE 1."""
    station = agent()
    boot_accepted(csms)
    settle(csms)
    csms.refuse_connections()
    csms.wait_disconnected(timeout=5)
    station.sim({"cmd": "plug", "evse": 2})
    mark = csms.mark()
    csms.accept_connections()
    status = csms.wait_call("StatusNotification", lambda p: p["evseId"] == 2, start=mark, timeout=10)
    assert status.payload["connectorStatus"] == "Occupied"
    settle(csms)
    assert [f.payload["evseId"] for f in csms.calls_from_station(mark) if f.action == "StatusNotification"] == [2]


def test_E13_transaction_event_answered_with_callerror_is_retried_then_discarded(csms, agent):
    """E13.FR.02/03/04: MessageAttempts[TransactionEvent] 3, MessageAttemptInterval 1 s: the Started the CSMS answers
    with CALLERROR is sent 3 times in all, each time with a new message id (Part 4 4.1.4) and the same payload,
    waiting interval x preceding transmissions (1 s, then 2 s), then discarded; the next event follows."""
    csms.message_timeout = QUICK_TIMEOUT
    station = agent(model=tx_points("EVConnected", "EVConnected", extra=QUICK_RETRIES))
    boot_accepted(csms)
    csms.error_actions = {"TransactionEvent": "InternalError"}
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    sends = [wait_tx(csms, "Started", start=mark)]
    for _ in range(2):
        sends.append(wait_tx(csms, "Started", start=csms.index(sends[-1]) + 1, timeout=8))
    csms.answer_to(sends[-1])
    assert len({f.id for f in sends}) == 3
    assert all(f.payload == sends[0].payload for f in sends), [f.line() for f in sends]
    for n, (before, after) in enumerate(zip(sends, sends[1:]), start=1):
        waited = after.at - csms.answer_to(before).at
        assert 1.0 * n - 0.2 <= waited <= 1.0 * n + 3, f"attempt {n + 1} {waited:.2f} s after failure {n} (E13.FR.03)"
    csms.error_actions = {}
    station.sim({"cmd": "unplug", "evse": 1})
    ended = wait_tx(csms, "Ended", start=csms.index(sends[-1]) + 1, timeout=10)
    assert ended.payload["seqNo"] == 1
    assert len([f for f in tx_events(csms) if f.payload["eventType"] == "Started"]) == 3, "E13.FR.04: discarded"


def test_E13_unanswered_transaction_event_is_retransmitted_unchanged(csms, agent):
    """A TransactionEvent without answer within MessageTimeout (2 s) is sent again (Part 2 E 1.3.1, E13) with a new
    message id and the identical payload; the CSMS counts it once (at-least-once delivery)."""
    csms.message_timeout = QUICK_TIMEOUT
    station = agent(model=tx_points("EVConnected", "EVConnected", extra=QUICK_RETRIES))
    boot_accepted(csms)
    csms.drop_next = {"TransactionEvent": 1}
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    first = wait_tx(csms, "Started", start=mark)
    again = wait_tx(csms, "Started", start=csms.index(first) + 1, timeout=10)
    assert again.id != first.id and again.payload == first.payload
    assert again.at - first.at >= 2 - 0.2, "retransmitted before MessageTimeout"
    station.sim({"cmd": "unplug", "evse": 1})
    wait_tx(csms, "Ended", start=mark)
    assert_ledger_ok(csms)


def test_E11_connection_closed_after_each_transaction_event_loses_nothing(csms, agent):
    """The CSMS closes the connection right after receiving each TransactionEvent (unanswered): the station
    reconnects and sends it again until answered; the ledger is whole."""
    station = agent(model=tx_points("EVConnected", "EVConnected"))
    boot_accepted(csms)
    csms.close_after_actions = {"TransactionEvent"}
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    wait_tx(csms, "Started", start=mark)
    station.sim({"cmd": "unplug", "evse": 1})
    csms.wait_connected(count=2, timeout=10)
    csms.close_after_actions = set()
    ended = wait_tx(csms, "Ended", start=mark, timeout=15)
    csms.answer_to(ended)
    assert_ledger_ok(csms)


def test_A04_FR_02_security_event_raised_offline_is_delivered_with_its_original_time(csms, agent):
    """A04.FR.02: the StartupOfTheDevice event, raised while the CSMS is unreachable, is queued and delivered after
    the boot is accepted, stamped with the time it happened, not the time it was sent."""
    csms.refuse_connections()
    raised_after = time.time()
    agent()
    time.sleep(2.0)  # the station is offline for 2 s: nothing to wait for but the clock
    mark = csms.mark()
    csms.accept_connections()
    boot_accepted(csms, start=mark, timeout=10)
    event = csms.wait_call("SecurityEventNotification", start=mark)
    assert event.payload["type"] == "StartupOfTheDevice"
    happened = wall(event.payload["timestamp"])
    assert raised_after - 0.5 <= happened <= raised_after + 1.5, f"stamped {happened - raised_after:.2f} s after start"
    assert event.wall - happened >= 1.5, "stamped when sent, not when it happened"


def test_A04_FR_02_security_event_survives_kill_9_before_delivery(csms, agent):
    """A04.FR.02 and the project's power-loss rule: a security event raised, then the agent killed before it could be
    delivered; after the restart (CSMS up) it is delivered with its original time, before the new boot's event."""
    csms.refuse_connections()
    raised_after = time.time()
    station = agent()
    time.sleep(1.0)  # long enough for the start-up to be recorded; the CSMS is down, so nothing can be delivered
    station.kill()
    restarted = time.time()
    csms.accept_connections()
    station.start()
    boot_accepted(csms, timeout=10)
    csms.wait_until(lambda: len([f for f in csms.calls_from_station() if f.action == "SecurityEventNotification"]) >= 2,
                    timeout=10, what="both StartupOfTheDevice events")
    times = [wall(f.payload["timestamp"]) for f in csms.calls_from_station() if f.action == "SecurityEventNotification"]
    assert raised_after - 0.5 <= times[0] <= restarted, f"first stamped {times[0] - raised_after:.2f} s after start"
    assert times[1] >= restarted - 0.5

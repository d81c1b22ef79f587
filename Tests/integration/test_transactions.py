"""Transactions end to end (Part 2 block E, F01-F03, E14), written from the specification: the sim board plays the EV
driver and the EV, the CSMS checks every frame and keeps the TransactionEvent ledger (one Started, one Ended,
gap-free seqNo, nothing duplicated, energy never decreasing)."""
import itertools
import time

import pytest

from conftest import boot_accepted
from transactions import (QUICK_RETRIES, QUICK_TIMEOUT, TOKEN, assert_ledger_ok, sim_evse, tap, tid, tx_events,
                          tx_points, unplug_ends_transaction, wait_evse, wait_tx)

POINTS = ("EVConnected", "Authorized", "PowerPathClosed", "EnergyTransfer")
# The event of the driver's script that meets each TxStartPoint (E01.FR.02/03/05/06) and each TxStopPoint
# (E06.FR.02/03/06/07), and the triggerReason it carries (E01.FR.15, TriggerReasonEnumType).
START_STEP = {"EVConnected": "plug", "Authorized": "tap", "PowerPathClosed": "tap", "EnergyTransfer": "charge"}
START_TRIGGER = {"EVConnected": {"CablePluggedIn"}, "Authorized": {"Authorized"},
                 # the power path closes because of the authorization (the later of the two conditions)
                 "PowerPathClosed": {"Authorized", "ChargingStateChanged"},
                 "EnergyTransfer": {"ChargingStateChanged"}}
STOP_STEP = {"EVConnected": "unplug", "Authorized": "tap-stop", "PowerPathClosed": "tap-stop",
             "EnergyTransfer": "suspend"}


def run_session(csms, station, start, stop):
    """The driver's script on EVSE 1, in the order the start point needs (IdToken first for Authorized, E03; cable
    first otherwise, E02), then the step that meets the stop point, then the cable out. Returns {step: mark}."""
    order = ["tap", "plug"] if start == "Authorized" else ["plug", "tap"]
    steps = order + ["charge", STOP_STEP[stop]] + ([] if stop == "EVConnected" else ["unplug"])
    marks = {}
    for step in steps:
        marks[step] = csms.mark()
        if step == "plug":
            station.sim({"cmd": "plug", "evse": 1})
            csms.wait_call("StatusNotification", lambda p: p["evseId"] == 1 and p["connectorStatus"] == "Occupied",
                           start=marks[step])
        elif step == "tap":
            tap(station)
            authorize = csms.wait_call("Authorize", start=marks[step])
            assert authorize.payload["idToken"] == TOKEN
            csms.answer_to(authorize)
        elif step == "tap-stop":
            tap(station)
        elif step == "charge":
            station.sim({"cmd": "ev-charge", "evse": 1, "watts": 11000})
        elif step == "suspend":
            station.sim({"cmd": "ev-suspend", "evse": 1})
        elif step == "unplug":
            station.sim({"cmd": "unplug", "evse": 1})
        if step == START_STEP[start] or step in ("charge",) or step == STOP_STEP[stop]:
            # Each of these steps produces a TransactionEvent (Started, ChargingStateChanged, Ended): wait for it so the
            # next step cannot be confused with this one.
            wait_tx(csms, start=marks[step])
    return marks


@pytest.mark.parametrize("start,stop", list(itertools.product(POINTS, POINTS)),
                         ids=[f"start-{a}-stop-{b}" for a, b in itertools.product(POINTS, POINTS)])
def test_E01_E06_tx_start_and_stop_points(csms, agent, start, stop):
    """E01 (TxStartPoint) x E06 (TxStopPoint): Started exactly when the start point is met, Ended exactly when the stop
    point is met, with the evse after the EV connected (E01.FR.16), the idToken after authorization (E01.FR.10,
    E03.FR.01), chargingState in Started (E01.FR.18), the triggerReason of the event (E01.FR.15), stoppedReason
    (E06.FR.08, E07.FR.04/05), no Authorize for the stopping tap (E07.FR.01), contactor open and cable unlocked after
    the end (E06.FR.10)."""
    station = agent(model=tx_points(start, stop))
    boot_accepted(csms)
    marks = run_session(csms, station, start, stop)
    ended = wait_tx(csms, "Ended")
    events = tx_events(csms)
    assert len({tid(e) for e in events}) == 1, [e.line() for e in events]
    started = events[0]
    assert started.payload["eventType"] == "Started"
    # Started exactly at the step that meets the start point (not before it)
    assert csms.index(started) >= marks[START_STEP[start]], f"Started before the {START_STEP[start]} step"
    assert started.payload["triggerReason"] in START_TRIGGER[start], started.line()
    assert "chargingState" in started.payload["transactionInfo"], "E01.FR.18/E02.FR.13: Started carries chargingState"
    assert started.payload["seqNo"] == 0
    # Ended exactly at the step that meets the stop point
    stop_mark = marks[STOP_STEP[stop]]
    assert csms.index(ended) >= stop_mark, f"Ended before the {STOP_STEP[stop]} step"
    info = ended.payload["transactionInfo"]
    if STOP_STEP[stop] == "unplug":
        assert ended.payload["triggerReason"] == "EVCommunicationLost", ended.line()
        assert info.get("stoppedReason") == "EVDisconnected", ended.line()  # E06.FR.08, ReasonEnumType
    elif STOP_STEP[stop] == "tap-stop":
        assert ended.payload["triggerReason"] == "StopAuthorized", ended.line()  # E07.FR.02
        assert info.get("stoppedReason", "Local") == "Local", ended.line()  # E07.FR.04/05
        assert "Authorize" not in csms.actions_from_station(start=stop_mark), "E07.FR.01: no Authorize to stop"
    else:  # energy transfer stopped by the EV (ev-suspend)
        assert ended.payload["triggerReason"] in ("ChargingStateChanged", "StopAuthorized"), ended.line()
        assert info.get("stoppedReason") == "StoppedByEV", ended.line()
    # E01.FR.16: the first event after the EV connected carries evse and connector
    after_plug = next(e for e in events if csms.index(e) >= marks["plug"])
    assert after_plug.payload.get("evse") == {"id": 1, "connectorId": 1}, after_plug.line()
    # E01.FR.10 / E03.FR.01: the first event after the authorization carries the idToken
    authorized = csms.wait_call("Authorize", start=marks["tap"])
    after_tap = next(e for e in events if csms.index(e) > csms.index(authorized))
    assert after_tap.payload.get("idToken") == TOKEN, after_tap.line()
    # E01.FR.18: charging was reported once the EV drew power
    assert any(e.payload["transactionInfo"].get("chargingState") == "Charging" for e in events), \
        [e.line() for e in events]
    # contactor open, cable unlocked once it is over (E06.FR.10, E07.FR.07); nothing after Ended (the ledger)
    wait_evse(station, 1, lambda e: not e["contactorClosed"] and not e["locked"] and e["transactionId"] is None,
              "contactor open, cable unlocked, no transaction")
    assert_ledger_ok(csms)


def test_E06_data_signed_is_no_tx_stop_point(csms, agent):
    """Errata 2025-02 deleted E06.FR.05: DataSigned has no meaning as a TxStopPoint, so SetVariables is Rejected;
    as a TxStartPoint it is a value of the MemberList."""
    agent()
    boot_accepted(csms)
    answer = csms.call("SetVariables", {"setVariableData": [
        {"component": {"name": "TxCtrlr"}, "variable": {"name": "TxStopPoint"}, "attributeValue": "DataSigned"},
        {"component": {"name": "TxCtrlr"}, "variable": {"name": "TxStopPoint"},
         "attributeValue": "EVConnected,Authorized"}]})
    assert [r["attributeStatus"] for r in answer.payload["setVariableResult"]] == ["Rejected", "Accepted"]


def test_E01_tx_points_set_by_set_variables_apply_to_the_next_transaction(csms, agent):
    """TxStartPoint/TxStopPoint changed at run time (SetVariables, B05) decide the next transaction: Authorized start,
    so a plug alone starts nothing and the tap starts it."""
    station = agent(model=tx_points("EVConnected", "EVConnected"))
    boot_accepted(csms)
    answer = csms.call("SetVariables", {"setVariableData": [
        {"component": {"name": "TxCtrlr"}, "variable": {"name": "TxStartPoint"}, "attributeValue": "Authorized"},
        {"component": {"name": "TxCtrlr"}, "variable": {"name": "TxStopPoint"}, "attributeValue": "Authorized"}]})
    assert [r["attributeStatus"] for r in answer.payload["setVariableResult"]] == ["Accepted", "Accepted"]
    marks = run_session(csms, station, "Authorized", "Authorized")
    ended = wait_tx(csms, "Ended")
    started = wait_tx(csms, "Started")
    assert csms.index(started) > marks["tap"] and started.payload["triggerReason"] == "Authorized"
    assert ended.payload["triggerReason"] == "StopAuthorized"
    assert_ledger_ok(csms)


# --- E05: the CSMS answers Invalid in TransactionEventResponse ------------------------------------------------------

def invalid_session(csms, agent, stop, stop_on_invalid, max_energy=None):
    """A transaction started on plug (EVConnected); the tap is Accepted by Authorize, but the CSMS answers the
    TransactionEvent that carries the idToken with idTokenInfo Invalid (E05.FR.01). Returns (station, that event)."""
    extra = {("TxCtrlr", "StopTxOnInvalidId", None): stop_on_invalid}
    if max_energy is not None:
        extra[("TxCtrlr", "MaxEnergyOnInvalidId", None)] = max_energy
    station = agent(model=tx_points("EVConnected", stop, extra=extra))
    boot_accepted(csms)
    csms.transaction_status = "Invalid"
    station.sim({"cmd": "plug", "evse": 1})
    wait_tx(csms, "Started")
    station.sim({"cmd": "ev-charge", "evse": 1, "watts": 11000})
    mark = csms.mark()
    tap(station)
    with_token = wait_tx(csms, start=mark, where=lambda p: "idToken" in p)
    answer = csms.answer_to(with_token)
    assert answer.payload["idTokenInfo"]["status"] == "Invalid"
    return station, with_token


def test_E05_FR_10_invalid_id_token_ends_the_transaction_when_stop_point_has_authorized(csms, agent):
    station, with_token = invalid_session(csms, agent, "EVConnected,Authorized", "true")
    ended = wait_tx(csms, "Ended", start=csms.index(with_token) + 1)
    assert ended.payload["triggerReason"] == "Deauthorized", ended.line()
    assert ended.payload["transactionInfo"].get("stoppedReason") == "DeAuthorized", ended.line()
    wait_evse(station, 1, lambda e: not e["contactorClosed"], "E05.FR.10: contactor open")
    station.sim({"cmd": "unplug", "evse": 1})
    assert_ledger_ok(csms)


def test_E05_FR_09_invalid_id_token_deauthorizes_but_keeps_the_transaction_when_stop_point_is_ev_connected(
        csms, agent):
    station, with_token = invalid_session(csms, agent, "EVConnected", "true")
    after = csms.index(with_token) + 1
    deauthorized = wait_tx(csms, "Updated", start=after, where=lambda p: p["triggerReason"] == "Deauthorized")
    # the same or the next event reports chargingState EVConnected (preferred) or SuspendedEVSE
    states = [e.payload["transactionInfo"].get("chargingState")
              for e in tx_events(csms, start=csms.index(deauthorized))]
    assert next(s for s in states if s) in ("EVConnected", "SuspendedEVSE"), states
    wait_evse(station, 1, lambda e: not e["contactorClosed"], "E05.FR.09: the energy transfer stops")
    assert not [e for e in tx_events(csms, start=after) if e.payload["eventType"] == "Ended"]
    # The deauthorization did not end the transaction; the cable out did: EVDisconnected (E06.FR.02/08).
    unplug_ends_transaction(csms, station)


def test_E05_FR_02_invalid_id_token_without_stop_tx_on_invalid_id_suspends_the_evse(csms, agent):
    """StopTxOnInvalidId false and MaxEnergyOnInvalidId 0 (exceeded at once): energy stops, Updated with
    triggerReason ChargingStateChanged and chargingState SuspendedEVSE; the transaction goes on."""
    station, with_token = invalid_session(csms, agent, "EVConnected", "false", max_energy="0")
    suspended = wait_tx(csms, "Updated", start=csms.index(with_token) + 1,
                        where=lambda p: p["transactionInfo"].get("chargingState") == "SuspendedEVSE")
    assert suspended.payload["triggerReason"] == "ChargingStateChanged", suspended.line()
    wait_evse(station, 1, lambda e: not e["contactorClosed"], "E05.FR.02: energy delivery stops")
    unplug_ends_transaction(csms, station)


# --- F01-F03: remote start and stop ---------------------------------------------------------------------------------

REMOTE = {"extra": {("AuthCtrlr", "AuthorizeRemoteStart", None): "false"}}


def test_F02_remote_start_first_then_F03_remote_stop(csms, agent):
    """F02: RequestStartTransaction before the cable: Accepted; the transaction's first event carries remoteStartId
    (F02.FR.01), triggerReason RemoteStart (F01.FR.19) and the idToken of the request (F01.FR.04). F03: the
    transactionId stops it: Accepted (F03.FR.07), Ended with RemoteStop/Remote (F03.FR.03)."""
    station = agent(model=tx_points("EVConnected,Authorized", "EVConnected,Authorized", **REMOTE))
    boot_accepted(csms)
    answer = csms.call("RequestStartTransaction", {"idToken": TOKEN, "remoteStartId": 42, "evseId": 1})
    assert answer.type == 3 and answer.payload["status"] == "Accepted", answer.text
    started = wait_tx(csms, "Started")
    assert started.payload["transactionInfo"].get("remoteStartId") == 42, started.line()
    assert started.payload["triggerReason"] == "RemoteStart", started.line()
    assert started.payload.get("idToken") == TOKEN, started.line()
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    plugged = wait_tx(csms, "Updated", start=mark, where=lambda p: p["triggerReason"] == "CablePluggedIn")
    assert plugged.payload.get("evse") == {"id": 1, "connectorId": 1}
    station.sim({"cmd": "ev-charge", "evse": 1, "watts": 7000})
    wait_tx(csms, "Updated", start=mark, where=lambda p: p["transactionInfo"].get("chargingState") == "Charging")
    wait_evse(station, 1, lambda e: e["contactorClosed"], "contactor closed while charging")
    mark = csms.mark()
    answer = csms.call("RequestStopTransaction", {"transactionId": tid(started)})
    assert answer.type == 3 and answer.payload["status"] == "Accepted", answer.text
    ended = wait_tx(csms, "Ended", start=mark)
    assert ended.payload["triggerReason"] == "RemoteStop" and \
        ended.payload["transactionInfo"]["stoppedReason"] == "Remote", ended.line()
    wait_evse(station, 1, lambda e: not e["contactorClosed"], "contactor open after the remote stop")
    station.sim({"cmd": "unplug", "evse": 1})
    assert_ledger_ok(csms)


def test_F01_FR_13_remote_start_adopts_the_unauthorized_transaction_of_the_plugged_evse(csms, agent):
    """F01: cable first (Started on EVConnected, not authorized), then RequestStartTransaction for that EVSE: Accepted
    with the transactionId of the open transaction (F01.FR.13); its next event carries remoteStartId (F01.FR.25),
    triggerReason RemoteStart (F01.FR.19) and the idToken."""
    station = agent(model=tx_points("EVConnected", "EVConnected", **REMOTE))
    boot_accepted(csms)
    station.sim({"cmd": "plug", "evse": 1})
    started = wait_tx(csms, "Started")
    mark = csms.mark()
    answer = csms.call("RequestStartTransaction", {"idToken": TOKEN, "remoteStartId": 7, "evseId": 1})
    assert answer.payload == {"status": "Accepted", "transactionId": tid(started)}, answer.text
    following = wait_tx(csms, start=mark, transaction_id=tid(started))
    assert following.payload["triggerReason"] == "RemoteStart", following.line()
    assert following.payload["transactionInfo"].get("remoteStartId") == 7, following.line()
    assert following.payload.get("idToken") == TOKEN, following.line()
    station.sim({"cmd": "unplug", "evse": 1})
    wait_tx(csms, "Ended")
    assert_ledger_ok(csms)


def test_F01_FR_23_24_remote_start_rejected_on_faulted_or_authorized_occupied_evse(csms, agent):
    station = agent(model=tx_points("EVConnected", "EVConnected", **REMOTE))
    boot_accepted(csms)
    station.sim({"cmd": "fault", "evse": 2, "kind": "ground-fault"})
    csms.wait_call("StatusNotification", lambda p: p["evseId"] == 2 and p["connectorStatus"] == "Faulted")
    answer = csms.call("RequestStartTransaction", {"idToken": TOKEN, "remoteStartId": 1, "evseId": 2})
    assert answer.payload["status"] == "Rejected", answer.text  # F01.FR.23
    station.sim({"cmd": "plug", "evse": 1})
    tap(station)
    wait_tx(csms, where=lambda p: "idToken" in p)
    answer = csms.call("RequestStartTransaction", {"idToken": TOKEN, "remoteStartId": 2, "evseId": 1})
    assert answer.payload["status"] == "Rejected", answer.text  # F01.FR.24
    station.sim({"cmd": "unplug", "evse": 1})
    wait_tx(csms, "Ended")
    assert_ledger_ok(csms)


def test_F03_FR_08_remote_stop_of_unknown_transaction_is_rejected(csms, agent):
    agent(model=tx_points("EVConnected", "EVConnected"))
    boot_accepted(csms)
    answer = csms.call("RequestStopTransaction", {"transactionId": "no-such-transaction"})
    assert answer.type == 3 and answer.payload["status"] == "Rejected", answer.text


def test_F03_FR_02_remote_stop_with_stop_point_ev_connected_only_stops_the_energy(csms, agent):
    """TxStopPoint EVConnected: RequestStopTransaction stops the energy offer, Updated with triggerReason RemoteStop;
    the transaction ends when the cable is out."""
    station = agent(model=tx_points("EVConnected", "EVConnected"))
    boot_accepted(csms)
    station.sim({"cmd": "plug", "evse": 1})
    started = wait_tx(csms, "Started")
    tap(station)
    station.sim({"cmd": "ev-charge", "evse": 1, "watts": 7000})
    wait_tx(csms, where=lambda p: p["transactionInfo"].get("chargingState") == "Charging")
    mark = csms.mark()
    answer = csms.call("RequestStopTransaction", {"transactionId": tid(started)})
    assert answer.payload["status"] == "Accepted"
    updated = wait_tx(csms, start=mark)
    assert (updated.payload["eventType"], updated.payload["triggerReason"]) == ("Updated", "RemoteStop"), updated.line()
    # The remote stop did not end the transaction (F03.FR.02); the cable out did: EVDisconnected (E06.FR.02/08).
    unplug_ends_transaction(csms, station)


# --- E14: GetTransactionStatus ------------------------------------------------------------------------------------

def test_E14_get_transaction_status(csms, agent):
    """E14.FR.01-08: unknown id -> false/false; ongoing -> ongoingIndicator true; an unanswered TransactionEvent is
    still queued -> messagesInQueue true (with and without transactionId, then without ongoingIndicator, E14.FR.06);
    after the CSMS answered and the transaction ended -> false/false."""
    csms.message_timeout = QUICK_TIMEOUT
    station = agent(model=tx_points("EVConnected", "EVConnected", extra=QUICK_RETRIES))
    boot_accepted(csms)

    def status(transaction_id=None):
        answer = csms.call("GetTransactionStatus", {"transactionId": transaction_id} if transaction_id else {})
        assert answer.type == 3, answer.text
        return answer.payload

    assert status("unknown-transaction") == {"ongoingIndicator": False, "messagesInQueue": False}  # E14.FR.01
    station.sim({"cmd": "plug", "evse": 1})
    started = wait_tx(csms, "Started")
    csms.answer_to(started)
    current = tid(started)
    # The station removes an event from its queue once it has read the CALLRESULT; a GetTransactionStatus sent right
    # after the answer may overtake that, so the "nothing queued" answers are awaited, not assumed at once.
    def eventually(expected, transaction_id=None):
        deadline = time.monotonic() + 5
        while (answer := status(transaction_id)) != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert answer == expected, f"GetTransactionStatus({transaction_id}): {answer}, expected {expected}"

    eventually({"ongoingIndicator": True, "messagesInQueue": False}, current)  # E14.FR.02, E14.FR.05
    assert status() == {"messagesInQueue": False}  # E14.FR.06, E14.FR.08
    csms.drop_actions = {"TransactionEvent"}  # the next event stays unanswered: still in the queue
    mark = csms.mark()
    station.sim({"cmd": "unplug", "evse": 1})
    wait_tx(csms, "Ended", start=mark)
    assert status(current) == {"ongoingIndicator": False, "messagesInQueue": True}  # E14.FR.03, E14.FR.04
    assert status() == {"messagesInQueue": True}  # E14.FR.07
    csms.drop_actions = set()
    # the station retries after MessageTimeout (2 s) and the interval (1 s); the CSMS answers this time
    csms.wait_until(lambda: any(e.answer == "CALLRESULT" for e in csms.ledger.events(transaction_id=current)
                                if e.event_type == "Ended"), timeout=20, what="the Ended event answered")
    eventually({"ongoingIndicator": False, "messagesInQueue": False}, current)
    assert status() == {"messagesInQueue": False}
    assert_ledger_ok(csms)


# --- J02: sampled meter values in the transaction ------------------------------------------------------------------

ENERGY = "Energy.Active.Import.Register"
METERING = {("SampledDataCtrlr", "TxStartedMeasurands", None): ENERGY,
            ("SampledDataCtrlr", "TxUpdatedMeasurands", None): ENERGY,
            ("SampledDataCtrlr", "TxEndedMeasurands", None): ENERGY,
            ("SampledDataCtrlr", "TxUpdatedInterval", None): "1"}


def contexts(frame):
    return {s.get("context", "Sample.Periodic") for m in frame.payload.get("meterValue", []) for s in m["sampledValue"]}


def test_J02_sampled_meter_values_begin_periodic_end_and_a_register_that_only_grows(csms, agent):
    """TxStartedMeasurands in Started with context Transaction.Begin (E01.FR.09); TxUpdatedInterval 1 s: Updated with
    triggerReason MeterValuePeriodic (J02.FR.11), context Sample.Periodic; TxEndedMeasurands in Ended with context
    Transaction.End (E06.FR.11); the register grows while the EV draws 36 kW and never decreases (J02.FR.16); all
    values about the transaction's EVSE (J02.FR.22)."""
    station = agent(model=tx_points("EVConnected", "EVConnected", extra=METERING))
    boot_accepted(csms)
    station.sim({"cmd": "plug", "evse": 1})
    started = wait_tx(csms, "Started")
    assert contexts(started) == {"Transaction.Begin"}, started.line()
    tap(station)
    station.sim({"cmd": "ev-charge", "evse": 1, "watts": 36000})
    charging = wait_tx(csms, where=lambda p: p["transactionInfo"].get("chargingState") == "Charging")
    periodic = [wait_tx(csms, "Updated", start=csms.index(charging) + 1, timeout=5,
                        where=lambda p: p["triggerReason"] == "MeterValuePeriodic")]
    periodic.append(wait_tx(csms, "Updated", start=csms.index(periodic[0]) + 1, timeout=5,
                            where=lambda p: p["triggerReason"] == "MeterValuePeriodic"))
    assert all(contexts(f) == {"Sample.Periodic"} for f in periodic), [f.line() for f in periodic]
    ended = unplug_ends_transaction(csms, station)
    assert "Transaction.End" in contexts(ended), ended.line()
    transaction = csms.ledger.transactions()[tid(started)]
    readings = transaction.energy()
    assert readings[-1] > readings[0], f"36 kW for 2 s and more, yet the register stayed at {readings}"
    assert readings[-1] <= sim_evse(station, 1)["energyWh"] + 0.001, "more energy reported than the meter measured"

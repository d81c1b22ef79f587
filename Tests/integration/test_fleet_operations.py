"""Blocks G, H, B11/B12, F05/F06, P, N09/N10 against the `ocpp` CSMS and the sim board: availability (Scheduled,
persisted), reservations (specific and any EVSE, Reserved, consumed by the right token with reservationId, Expired,
Removed, cancelled, persisted), resets of the station and of one EVSE, UnlockConnector, TriggerMessage's evse rule,
DataTransfer and CustomerInformation."""
import datetime
import time

from conftest import boot_accepted
from transactions import assert_ledger_ok, settle, wait_evse, wait_tx

DRIVER = {"idToken": "DRIVER-1", "type": "ISO14443"}
STRANGER = {"idToken": "STRANGER", "type": "ISO14443"}


def iso(seconds_from_now):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def tap(station, token, evse):
    station.sim({"cmd": "tap", "idToken": token["idToken"], "type": token["type"], "evse": evse})


def status(csms, evse, value, start):
    return csms.wait_call("StatusNotification", lambda p: p["evseId"] == evse and p["connectorStatus"] == value, start=start)


def change_availability(csms, status_value, evse=None):
    payload = {"operationalStatus": status_value}
    if evse is not None:
        payload["evse"] = {"id": evse}
    return csms.call("ChangeAvailability", payload).payload["status"]


def reserve(csms, reservation_id, token=DRIVER, evse=None, seconds=60, **more):
    payload = {"id": reservation_id, "expiryDateTime": iso(seconds), "idToken": token, **more}
    if evse is not None:
        payload["evseId"] = evse
    return csms.call("ReserveNow", payload).payload["status"]


def session(csms, station, evse, token=DRIVER):
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": evse})
    tap(station, token, evse)
    return wait_tx(csms, "Started", start=mark)


def test_G03_G04_change_availability_scheduled_persisted_and_reported(csms, agent):
    station = agent()
    boot_accepted(csms)
    mark = csms.mark()
    assert change_availability(csms, "Inoperative", evse=1) == "Accepted"
    status(csms, 1, "Unavailable", mark)  # G03.FR.04
    assert change_availability(csms, "Inoperative", evse=1) == "Accepted"  # G03.FR.03
    assert change_availability(csms, "Inoperative", evse=9) == "Rejected"
    # No session on an Unavailable EVSE: neither a card nor a remote start (F01.FR.23).
    station.sim({"cmd": "plug", "evse": 1})
    tap(station, DRIVER, 1)
    answer = csms.call("RequestStartTransaction", {"idToken": DRIVER, "remoteStartId": 1, "evseId": 1})
    assert answer.payload["status"] == "Rejected"
    settle(csms)
    assert "TransactionEvent" not in csms.actions_from_station(start=mark)
    # G04.FR.06: the station Inoperative while EVSE 2 charges: Scheduled, applied when its transaction ends.
    started = session(csms, station, 2)
    mark = csms.mark()
    assert change_availability(csms, "Inoperative") == "Scheduled"
    station.sim({"cmd": "unplug", "evse": 2})
    wait_tx(csms, "Ended", start=mark, transaction_id=started.payload["transactionInfo"]["transactionId"])
    status(csms, 2, "Unavailable", mark)
    # G03.FR.08, G04.FR.09, B11.FR.02: after a restart both are still Unavailable.
    station.terminate()
    mark = csms.mark()
    restarted = agent(data_dir=station.data_dir)
    boot_accepted(csms, start=mark)
    for evse in (1, 2):
        assert status(csms, evse, "Unavailable", mark)
    # G04.FR.08: the station Operative again: EVSE 2 reverts to Available, EVSE 1 keeps its own Inoperative.
    mark = csms.mark()
    assert change_availability(csms, "Operative") == "Accepted"
    status(csms, 2, "Available", mark)
    assert change_availability(csms, "Operative", evse=1) == "Accepted"
    status(csms, 1, "Occupied", mark)  # the cable is still in
    restarted.sim({"cmd": "unplug", "evse": 1})
    variables = csms.call("GetVariables", {"getVariableData": [
        {"component": {"name": "EVSE", "evse": {"id": 2}}, "variable": {"name": "AvailabilityState"}}]})
    assert variables.payload["getVariableResult"][0]["attributeValue"] == "Available"
    assert_ledger_ok(csms)


def test_H01_H04_reservations_reserved_consumed_expired_removed_cancelled_persisted(csms, agent):
    station = agent()
    boot_accepted(csms)
    mark = csms.mark()
    assert reserve(csms, 1, evse=1) == "Accepted"
    status(csms, 1, "Reserved", mark)  # H01.FR.23
    assert reserve(csms, 2, token=STRANGER, evse=1) == "Occupied"  # H01.FR.11
    assert reserve(csms, 2, evse=1, connectorType="cCCS2") == "Rejected"
    # G03.FR.09: the cable in does not change Reserved; another card does not start (H03).
    station.sim({"cmd": "plug", "evse": 1})
    tap(station, STRANGER, 1)
    settle(csms)
    assert "TransactionEvent" not in csms.actions_from_station(start=mark)
    tap(station, DRIVER, 1)
    started = wait_tx(csms, "Started", start=mark)
    assert started.payload["reservationId"] == 1  # H01.FR.15
    status(csms, 1, "Occupied", mark)  # H03.FR.10
    station.sim({"cmd": "unplug", "evse": 1})
    wait_tx(csms, "Ended", start=mark)
    # Any EVSE, expiring in 2 s: two free EVSEs, so nothing is Reserved; then H04.FR.01 Expired.
    mark = csms.mark()
    assert reserve(csms, 3, seconds=2) == "Accepted"
    expired = csms.wait_call("ReservationStatusUpdate", lambda p: p["reservationId"] == 3, start=mark, timeout=10)
    assert expired.payload["reservationUpdateStatus"] == "Expired"
    assert not [f for f in csms.calls_from_station(mark) if f.action == "StatusNotification"
                and f.payload["connectorStatus"] == "Reserved"]
    # H01.FR.16: a fault on the reserved EVSE removes the reservation.
    mark = csms.mark()
    assert reserve(csms, 4, evse=2) == "Accepted"
    station.sim({"cmd": "fault", "evse": 2, "kind": "ground-fault"})
    removed = csms.wait_call("ReservationStatusUpdate", lambda p: p["reservationId"] == 4, start=mark)
    assert removed.payload["reservationUpdateStatus"] == "Removed"
    assert reserve(csms, 5, evse=2) == "Faulted"  # H01.FR.12
    station.sim({"cmd": "clear-fault", "evse": 2})
    status(csms, 2, "Available", mark)
    # H02: cancelled; an unknown id is Rejected.
    mark = csms.mark()
    assert reserve(csms, 5, evse=1) == "Accepted"
    status(csms, 1, "Reserved", mark)
    assert csms.call("CancelReservation", {"reservationId": 5}).payload["status"] == "Accepted"
    status(csms, 1, "Available", mark)
    assert csms.call("CancelReservation", {"reservationId": 5}).payload["status"] == "Rejected"
    # B11.FR.05: a reservation survives a restart; H01.FR.17: Unavailable removes it.
    assert reserve(csms, 6, evse=2) == "Accepted"
    station.terminate()
    mark = csms.mark()
    agent(data_dir=station.data_dir)
    boot_accepted(csms, start=mark)
    status(csms, 2, "Reserved", mark)
    mark = csms.mark()
    assert change_availability(csms, "Inoperative", evse=2) == "Accepted"
    removed = csms.wait_call("ReservationStatusUpdate", lambda p: p["reservationId"] == 6, start=mark)
    assert removed.payload["reservationUpdateStatus"] == "Removed"
    assert reserve(csms, 7, evse=2) == "Unavailable"  # H01.FR.14
    assert_ledger_ok(csms)


def test_B11_B12_evse_reset_and_scheduled_reset_waiting_for_a_reservation(csms, agent):
    station = agent()
    boot_accepted(csms)
    # B12.FR.08: Immediate reset of EVSE 1 ends its transaction (ImmediateReset); the station keeps running.
    started = session(csms, station, 1)
    mark = csms.mark()
    assert csms.call("Reset", {"type": "Immediate", "evseId": 1}).payload["status"] == "Accepted"
    ended = wait_tx(csms, "Ended", start=mark, transaction_id=started.payload["transactionInfo"]["transactionId"])
    assert ended.payload["transactionInfo"]["stoppedReason"] == "ImmediateReset"
    assert ended.payload["triggerReason"] == "ResetCommand"
    wait_evse(station, 1, lambda e: not e["contactorClosed"] and not e["locked"], "EVSE 1 reset")
    settle(csms)
    assert "BootNotification" not in csms.actions_from_station(start=mark)
    station.sim({"cmd": "unplug", "evse": 1})
    # Errata 2.14: a pending reservation makes the station not idle: OnIdle is Scheduled; idle EVSEs go Unavailable.
    assert reserve(csms, 9, evse=2) == "Accepted"
    mark = csms.mark()
    assert csms.call("Reset", {"type": "OnIdle"}).payload["status"] == "Scheduled"
    status(csms, 1, "Unavailable", mark)
    assert csms.call("CancelReservation", {"reservationId": 9}).payload["status"] == "Accepted"
    boot = csms.wait_call("BootNotification", start=mark, timeout=15)
    assert boot.payload["reason"] == "ScheduledReset"
    status(csms, 1, "Available", csms.index(boot))
    assert_ledger_ok(csms)


def test_F05_F06_P01_N09_N10_unlock_trigger_data_transfer_customer_information(csms, agent):
    station = agent()
    boot_accepted(csms)
    # F05
    assert csms.call("UnlockConnector", {"evseId": 9, "connectorId": 1}).payload["status"] == "UnknownConnector"
    assert csms.call("UnlockConnector", {"evseId": 1, "connectorId": 1}).payload["status"] == "Unlocked"
    started = session(csms, station, 1)
    assert csms.call("UnlockConnector", {"evseId": 1, "connectorId": 1}).payload["status"] == "OngoingAuthorizedTransaction"
    assert wait_evse(station, 1, lambda e: e["locked"], "still locked")
    # F06.FR.03: an evse that means nothing to Heartbeat is ignored, the Heartbeat still sent; F06.FR.08.
    mark = csms.mark()
    answer = csms.call("TriggerMessage", {"requestedMessage": "Heartbeat", "evse": {"id": 9}})
    assert answer.payload["status"] == "Accepted"
    csms.answer_to(csms.wait_call("Heartbeat", start=mark))
    # No ISO 15118 stack: no V2G certificate (SignChargingStationCertificate: test_certificates.py).
    answer = csms.call("TriggerMessage", {"requestedMessage": "SignV2GCertificate"})
    assert answer.payload["status"] == "NotImplemented"
    # P01.FR.05: an unknown vendorId is a CALLRESULT UnknownVendorId, not a CALLERROR.
    answer = csms.call("DataTransfer", {"vendorId": "com.example.unknown", "messageId": "x", "data": "1"})
    assert answer.type == 3 and answer.payload["status"] == "UnknownVendorId", answer.text
    # N09/N10: what is held for DRIVER-1 (the cache entry the CSMS's answer made), cleared; the local list stays.
    listed = {"idToken": "LIST-1", "type": "ISO14443"}
    assert csms.call("SendLocalList", {"versionNumber": 1, "updateType": "Full", "localAuthorizationList": [
        {"idToken": listed, "idTokenInfo": {"status": "Accepted"}}]}).payload["status"] == "Accepted"
    assert csms.call("CustomerInformation", {"requestId": 1, "report": True, "clear": True, "idToken": DRIVER,
                                             "customerIdentifier": "x"}).payload["status"] == "Invalid"
    assert csms.call("CustomerInformation", {"requestId": 2, "report": False, "clear": False,
                                             "idToken": DRIVER}).payload["status"] == "Rejected"
    mark = csms.mark()
    assert csms.call("CustomerInformation", {"requestId": 3, "report": True, "clear": True,
                                             "idToken": DRIVER}).payload["status"] == "Accepted"
    report = csms.wait_call("NotifyCustomerInformation", lambda p: p["requestId"] == 3, start=mark)
    assert "AuthorizationCache" in report.payload["data"] and "DRIVER-1" in report.payload["data"]
    assert csms.call("CustomerInformation", {"requestId": 4, "report": True, "clear": False,
                                             "idToken": DRIVER}).payload["status"] == "Accepted"
    report = csms.wait_call("NotifyCustomerInformation", lambda p: p["requestId"] == 4, start=mark)
    assert report.payload["data"] == "No data found"
    assert csms.call("CustomerInformation", {"requestId": 5, "report": True, "clear": True,
                                             "idToken": listed}).payload["status"] == "Accepted"
    report = csms.wait_call("NotifyCustomerInformation", lambda p: p["requestId"] == 5, start=mark)
    assert "LocalAuthorizationList" in report.payload["data"]
    assert csms.call("GetLocalListVersion", {}).payload["versionNumber"] == 1
    entries = csms.call("GetVariables", {"getVariableData": [
        {"component": {"name": "LocalAuthListCtrlr"}, "variable": {"name": "Entries"}}]})
    assert entries.payload["getVariableResult"][0]["attributeValue"] == "1"  # N10.FR.03: never the local list
    station.sim({"cmd": "unplug", "evse": 1})
    wait_tx(csms, "Ended", transaction_id=started.payload["transactionInfo"]["transactionId"])
    assert_ledger_ok(csms)


def test_F01_remote_start_without_evse_and_with_a_tx_profile_kept_for_the_transaction(csms, agent):
    """F01.FR.26: a profile that is no TxProfile is Rejected (InvalidProfile). F01.FR.20: without evseId the station
    picks the EVSE with a cable. F01.FR.08/10: the TxProfile limits the transaction's current as its schedule says
    (16 A, then 8 A after 2 s); once the transaction ended the hardware's maximum (32 A) is back."""
    station = agent()
    boot_accepted(csms)
    schedule = {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0},
                                                                            {"startPeriod": 2, "limit": 8.0}]}
    profile = {"id": 7, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative",
               "chargingSchedule": [schedule]}
    wrong = dict(profile, chargingProfilePurpose="TxDefaultProfile")
    answer = csms.call("RequestStartTransaction", {"idToken": DRIVER, "remoteStartId": 3, "chargingProfile": wrong})
    assert answer.payload["status"] == "Rejected"
    assert answer.payload["statusInfo"]["reasonCode"] == "InvalidProfile"
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 2})
    answer = csms.call("RequestStartTransaction", {"idToken": DRIVER, "remoteStartId": 4, "chargingProfile": profile})
    assert answer.payload["status"] == "Accepted"
    started = wait_tx(csms, "Started", start=mark)
    assert started.payload["evse"]["id"] == 2
    assert started.payload["transactionInfo"]["remoteStartId"] == 4
    wait_evse(station, 2, lambda e: e["limitA"] == 16 and e["locked"], "the TxProfile's first period")
    wait_evse(station, 2, lambda e: e["limitA"] == 8, "the TxProfile's second period")
    station.sim({"cmd": "unplug", "evse": 2})
    wait_tx(csms, "Ended", start=mark)
    wait_evse(station, 2, lambda e: e["limitA"] == 32, "the hardware's maximum again")
    assert_ledger_ok(csms)


def test_B11_FR_02_FR_05_unavailable_and_reserved_survive_an_immediate_reset(csms, agent):
    """B11.FR.02/05, B12.FR.06: after a Reset the EVSE the CSMS made Inoperative is Unavailable again and the
    reserved one Reserved, in the first StatusNotifications of the new boot."""
    agent()
    boot_accepted(csms)
    assert change_availability(csms, "Inoperative", evse=2) == "Accepted"
    assert reserve(csms, 11, evse=1, seconds=120) == "Accepted"
    mark = csms.mark()
    assert csms.call("Reset", {"type": "Immediate"}).payload["status"] == "Accepted"
    boot = csms.wait_call("BootNotification", start=mark, timeout=15)
    assert boot.payload["reason"] == "RemoteReset"
    start = csms.index(boot)
    assert status(csms, 1, "Reserved", start)
    assert status(csms, 2, "Unavailable", start)


def test_G03_FR_09_a_reserved_connector_stays_reserved_when_a_cable_starts_a_transaction(csms, agent):
    """TxStartPoint EVConnected: the cable starts a transaction on the reserved EVSE, the connector stays Reserved
    (G03.FR.09), another card cannot take it (H03), the reserved card authorizes it and the next event carries the
    reservationId (H01.FR.15)."""
    station = agent(model={("TxCtrlr", "TxStartPoint", None): "EVConnected"})
    boot_accepted(csms)
    assert reserve(csms, 21, evse=1) == "Accepted"
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    started = wait_tx(csms, "Started", start=mark)
    assert "reservationId" not in started.payload
    settle(csms)
    assert not [f for f in csms.calls_from_station(mark) if f.action == "StatusNotification"
                and f.payload["evseId"] == 1 and f.payload["connectorStatus"] != "Reserved"]
    tap(station, STRANGER, 1)
    settle(csms)
    assert not [f for f in csms.calls_from_station(mark) if f.action == "TransactionEvent"
                and f.payload.get("idToken", {}).get("idToken") == "STRANGER"]
    tap(station, DRIVER, 1)
    authorized = wait_tx(csms, "Updated", start=mark, where=lambda p: p["triggerReason"] == "Authorized")
    assert authorized.payload["reservationId"] == 21
    status(csms, 1, "Occupied", mark)
    station.sim({"cmd": "unplug", "evse": 1})
    wait_tx(csms, "Ended", start=mark)
    assert_ledger_ok(csms)


def test_F01_a_tx_profile_cut_by_a_power_loss_leaves_no_limit_behind(csms, agent):
    """The TxProfile's limit is the transaction's: after a kill -9 mid-transaction the restarted station ends it
    (PowerLoss) and gives the EVSE its own maximum again."""
    station = agent()
    boot_accepted(csms)
    schedule = {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}]}
    profile = {"id": 8, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative",
               "chargingSchedule": [schedule]}
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    answer = csms.call("RequestStartTransaction", {"idToken": DRIVER, "remoteStartId": 5, "evseId": 1,
                                                   "chargingProfile": profile})
    assert answer.payload["status"] == "Accepted"
    wait_tx(csms, "Started", start=mark)
    wait_evse(station, 1, lambda e: e["limitA"] == 10, "the TxProfile's limit")
    station.kill()
    mark = csms.mark()
    restarted = agent(data_dir=station.data_dir)
    ended = wait_tx(csms, "Ended", start=mark, timeout=15)
    assert ended.payload["transactionInfo"]["stoppedReason"] == "PowerLoss"
    wait_evse(restarted, 1, lambda e: e["limitA"] == 32, "the hardware's maximum after the restart")
    assert_ledger_ok(csms)


def test_H03_FR_04_a_card_of_the_reserved_group_uses_the_reservation(csms, agent):
    """A reservation with a groupIdToken: a card whose idTokenInfo (from AuthorizeResponse) names that group starts
    on the reserved EVSE and consumes the reservation (H03.FR.04/08/09)."""
    station = agent()
    boot_accepted(csms)
    group = {"idToken": "FLEET-A", "type": "Central"}
    csms.authorize_info = {"MATE": {"status": "Accepted", "groupIdToken": group}}
    assert reserve(csms, 31, evse=1, groupIdToken=group) == "Accepted"
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    tap(station, {"idToken": "MATE", "type": "ISO14443"}, 1)
    started = wait_tx(csms, "Started", start=mark)
    assert started.payload["reservationId"] == 31
    assert csms.call("CancelReservation", {"reservationId": 31}).payload["status"] == "Rejected"  # consumed
    station.sim({"cmd": "unplug", "evse": 1})
    wait_tx(csms, "Ended", start=mark)
    assert_ledger_ok(csms)

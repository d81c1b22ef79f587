"""Blocks C and D: the Local Authorization List (SendLocalList Full/Differential, VersionMismatch, entries limit,
GetLocalListVersion, persisted), the authorization cache (filled by the CSMS's answers, LocalPreAuthorize, expiry,
ClearCache, persisted), offline authorization from both and the unknown-id rule, stop by a token of the same group,
the master pass (C16), evseId restrictions (C01.FR.21)."""
import datetime
import time

from conftest import boot_accepted
from transactions import assert_ledger_ok, settle, sim_evse as sim_status, wait_evse, wait_tx

LIST_CARD = {"idToken": "LIST-1", "type": "ISO14443"}
BLOCKED_CARD = {"idToken": "LIST-BLOCKED", "type": "ISO14443"}
CACHED_CARD = {"idToken": "CACHED-1", "type": "ISO14443"}
UNKNOWN_CARD = {"idToken": "NOBODY", "type": "ISO14443"}
GROUP = {"idToken": "FLEET-A", "type": "Central"}


def tap(station, token, evse):
    request = {"cmd": "tap", "idToken": token["idToken"], "type": token["type"]}
    if evse is not None:
        request["evse"] = evse
    station.sim(request)


def send_local_list(csms, version, update_type, entries=None):
    payload = {"versionNumber": version, "updateType": update_type}
    if entries is not None:
        payload["localAuthorizationList"] = entries
    answer = csms.call("SendLocalList", payload)
    return answer.payload["status"]


def list_version(csms):
    return csms.call("GetLocalListVersion", {}).payload["versionNumber"]


def iso(seconds_from_now):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def go_offline(csms):
    settle(csms)
    csms.refuse_connections()
    csms.wait_disconnected(timeout=5)


def test_D01_D02_local_list_full_differential_version_mismatch_limit_and_persistence(csms, agent, tmp_path):
    """D02.FR.02 version 0 before any list; D01.FR.15 Full replaces; D01.FR.19 a Differential with a version not
    newer: VersionMismatch; D01.FR.16/17 Differential adds and removes; beyond LocalAuthListCtrlr.Entries' maxLimit
    (1000): Failed and nothing changes; D01.FR.04 Full without a list empties it; D01.FR.10 persisted across a
    restart; LocalAuthListCtrlr.Entries reports the count."""
    station = agent()
    boot_accepted(csms)
    assert list_version(csms) == 0
    accepted = {"status": "Accepted"}
    assert send_local_list(csms, 1, "Full", [{"idToken": LIST_CARD, "idTokenInfo": accepted},
                                             {"idToken": BLOCKED_CARD, "idTokenInfo": {"status": "Blocked"}}]) == "Accepted"
    assert list_version(csms) == 1
    assert send_local_list(csms, 1, "Differential", [{"idToken": CACHED_CARD, "idTokenInfo": accepted}]) == "VersionMismatch"
    assert send_local_list(csms, 2, "Differential", [{"idToken": BLOCKED_CARD}]) == "Accepted"
    too_many = [{"idToken": {"idToken": f"T{i}", "type": "ISO14443"}, "idTokenInfo": accepted} for i in range(1001)]
    too_many_answer = csms.call("SendLocalList", {"versionNumber": 3, "updateType": "Full",
                                                  "localAuthorizationList": too_many[:250]})
    assert too_many_answer.payload["status"] == "Accepted"
    for version, chunk in ((4, too_many[250:500]), (5, too_many[500:750]), (6, too_many[750:1000])):
        assert send_local_list(csms, version, "Differential", chunk) == "Accepted"
    assert send_local_list(csms, 7, "Differential", too_many[1000:]) == "Failed"
    assert list_version(csms) == 6
    entries = csms.call("GetVariables", {"getVariableData": [
        {"component": {"name": "LocalAuthListCtrlr"}, "variable": {"name": "Entries"}}]})
    assert entries.payload["getVariableResult"][0]["attributeValue"] == "1000"
    assert send_local_list(csms, 8, "Full", [{"idToken": LIST_CARD, "idTokenInfo": accepted}]) == "Accepted"

    station.terminate()
    restarted = agent(data_dir=station.data_dir)
    boot_accepted(csms, start=csms.mark())
    assert list_version(csms) == 8
    assert send_local_list(csms, 8, "Differential") == "VersionMismatch"
    assert send_local_list(csms, 9, "Full") == "Accepted"
    entries = csms.call("GetVariables", {"getVariableData": [
        {"component": {"name": "LocalAuthListCtrlr"}, "variable": {"name": "Entries"}}]})
    assert entries.payload["getVariableResult"][0]["attributeValue"] == "0"
    restarted.terminate()


def test_C12_C13_C15_offline_authorization_from_list_and_cache_unknown_refused(csms, agent):
    """Online, an unknown card is asked for (C01.FR.02) and its answer cached (C10.FR.04); offline with
    LocalAuthorizeOffline: a list card (C13) and a cached card (C12) start transactions without the CSMS, an unknown
    card with OfflineTxForUnknownIdEnabled false does not (C13.FR.02), a list card that is Blocked neither. After the
    reconnect the sessions arrive offline=true with their idTokens."""
    station = agent(model={("AuthCtrlr", "OfflineTxForUnknownIdEnabled", None): "false"})
    boot_accepted(csms)
    assert send_local_list(csms, 1, "Full", [{"idToken": LIST_CARD, "idTokenInfo": {"status": "Accepted"}},
                                             {"idToken": BLOCKED_CARD, "idTokenInfo": {"status": "Blocked"}}]) == "Accepted"
    # The CSMS's answer for CACHED-1 goes into the cache; the session it authorizes is stopped by the same card.
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    tap(station, CACHED_CARD, 1)
    csms.wait_call("Authorize", lambda p: p["idToken"]["idToken"] == "CACHED-1", start=mark)
    started = wait_tx(csms, "Started", start=mark)
    tap(station, CACHED_CARD, 1)
    wait_tx(csms, "Ended", start=mark, transaction_id=started.payload["transactionInfo"]["transactionId"])
    station.sim({"cmd": "unplug", "evse": 1})

    go_offline(csms)
    station.sim({"cmd": "plug", "evse": 1})
    station.sim({"cmd": "plug", "evse": 2})
    tap(station, BLOCKED_CARD, 1)
    tap(station, UNKNOWN_CARD, 1)
    tap(station, LIST_CARD, 1)
    wait_evse(station, 1, lambda e: e["transactionId"] is not None and e["locked"], "list card offline")
    tap(station, CACHED_CARD, 2)
    wait_evse(station, 2, lambda e: e["transactionId"] is not None and e["locked"], "cached card offline")
    mark = csms.mark()
    csms.accept_connections()
    csms.wait_connected(count=2, timeout=10)
    settle(csms)
    starts = [wait_tx(csms, None, start=mark, where=lambda p, t=t: p.get("idToken", {}).get("idToken") == t)
              for t in ("LIST-1", "CACHED-1")]
    for frame in starts:
        assert frame.payload["offline"] is True, frame.line()
        assert frame.payload["triggerReason"] == "Authorized", frame.line()
    tokens = [f.payload["idToken"]["idToken"] for f in csms.calls_from_station(mark)
              if f.action == "TransactionEvent" and "idToken" in f.payload]
    assert "NOBODY" not in tokens and "LIST-BLOCKED" not in tokens, tokens
    assert "Authorize" not in csms.actions_from_station(start=mark)
    for evse in (1, 2):
        station.sim({"cmd": "unplug", "evse": evse})
    for frame in starts:
        wait_tx(csms, "Ended", start=mark, transaction_id=frame.payload["transactionInfo"]["transactionId"])
    assert_ledger_ok(csms)


def test_C10_C11_cache_pre_authorize_expiry_clear_cache_and_evse_restriction(csms, agent):
    """LocalPreAuthorize: a cached Accepted card starts at once without Authorize (C12.FR.02); an entry past its
    cacheExpiryDateTime is not used (C10.FR.13): Authorize again; an idTokenInfo naming EVSE 2 only does not
    authorize on EVSE 1 (C01.FR.21); ClearCache empties the cache (C11.FR.03), so the next tap asks again; with
    AuthCacheCtrlr.Enabled false ClearCache is Rejected (C11.FR.04)."""
    station = agent(model={("AuthCtrlr", "LocalPreAuthorize", None): "true"})
    boot_accepted(csms)
    csms.authorize_info = {
        "CACHED-1": {"status": "Accepted"},
        "SHORT-1": {"status": "Accepted", "cacheExpiryDateTime": iso(2)},
        "EVSE2-ONLY": {"status": "Accepted", "evseId": [2]},
    }
    mark = csms.mark()
    for card in ("CACHED-1", "SHORT-1"):
        tap(station, {"idToken": card, "type": "ISO14443"}, 1)
        csms.wait_call("Authorize", lambda p, c=card: p["idToken"]["idToken"] == c, start=mark)
        tap(station, {"idToken": card, "type": "ISO14443"}, 1)  # the same card ends its authorization (C01.FR.03)
    settle(csms)
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    tap(station, {"idToken": "CACHED-1", "type": "ISO14443"}, 1)
    started = wait_tx(csms, "Started", start=mark)
    assert started.payload["idToken"]["idToken"] == "CACHED-1"
    assert "Authorize" not in csms.actions_from_station(start=mark)
    tap(station, {"idToken": "CACHED-1", "type": "ISO14443"}, 1)
    wait_tx(csms, "Ended", start=mark)
    # SHORT-1's cache entry expired: asked again.
    time.sleep(2.5)
    mark = csms.mark()
    tap(station, {"idToken": "SHORT-1", "type": "ISO14443"}, 1)
    csms.wait_call("Authorize", lambda p: p["idToken"]["idToken"] == "SHORT-1", start=mark)
    wait_tx(csms, "Started", start=mark)
    tap(station, {"idToken": "SHORT-1", "type": "ISO14443"}, 1)
    wait_tx(csms, "Ended", start=mark)
    # EVSE 2 only: not on EVSE 1.
    mark = csms.mark()
    tap(station, {"idToken": "EVSE2-ONLY", "type": "ISO14443"}, 1)
    csms.wait_call("Authorize", lambda p: p["idToken"]["idToken"] == "EVSE2-ONLY", start=mark)
    settle(csms)
    assert "TransactionEvent" not in csms.actions_from_station(start=mark)
    station.sim({"cmd": "unplug", "evse": 1})
    # ClearCache: CACHED-1 is asked for again.
    assert csms.call("ClearCache", {}).payload["status"] == "Accepted"
    mark = csms.mark()
    tap(station, {"idToken": "CACHED-1", "type": "ISO14443"}, 1)
    csms.wait_call("Authorize", lambda p: p["idToken"]["idToken"] == "CACHED-1", start=mark)
    disabled = csms.call("SetVariables", {"setVariableData": [
        {"component": {"name": "AuthCacheCtrlr"}, "variable": {"name": "Enabled"}, "attributeValue": "false"}]})
    assert disabled.payload["setVariableResult"][0]["attributeStatus"] == "Accepted"
    assert csms.call("ClearCache", {}).payload["status"] == "Rejected"


def test_E08_C16_group_stop_and_master_pass(csms, agent):
    """A card of the same group (groupIdToken from the CSMS) stops the session another card started (E08.FR.02,
    idToken in the Ended event); a master pass (groupIdToken = AuthCtrlr.MasterPassGroupId) stops every transaction
    (C16.FR.02, stoppedReason MasterPass) and starts none (C16.FR.03)."""
    station = agent(model={("AuthCtrlr", "MasterPassGroupId", None): "MASTER"})
    boot_accepted(csms)
    csms.authorize_info = {
        "DRIVER-1": {"status": "Accepted", "groupIdToken": GROUP},
        "DRIVER-2": {"status": "Accepted", "groupIdToken": GROUP},
        "OTHER": {"status": "Accepted"},
        "SERVICE": {"status": "Accepted", "groupIdToken": {"idToken": "MASTER", "type": "Central"}},
    }
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    tap(station, {"idToken": "DRIVER-1", "type": "ISO14443"}, 1)
    started = wait_tx(csms, "Started", start=mark)
    tap(station, {"idToken": "DRIVER-2", "type": "ISO14443"}, 1)
    ended = wait_tx(csms, "Ended", start=mark, transaction_id=started.payload["transactionInfo"]["transactionId"])
    assert ended.payload["triggerReason"] == "StopAuthorized"
    assert ended.payload["idToken"]["idToken"] == "DRIVER-2"
    station.sim({"cmd": "unplug", "evse": 1})

    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    station.sim({"cmd": "plug", "evse": 2})
    tap(station, {"idToken": "DRIVER-1", "type": "ISO14443"}, 1)
    tap(station, {"idToken": "OTHER", "type": "ISO14443"}, 2)
    wait_evse(station, 2, lambda e: e["transactionId"] is not None, "second session")
    first = wait_tx(csms, "Started", start=mark, where=lambda p: p["evse"]["id"] == 1)
    second = wait_tx(csms, "Started", start=mark, where=lambda p: p["evse"]["id"] == 2)
    tap(station, {"idToken": "SERVICE", "type": "ISO14443"}, None)
    for frame in (first, second):
        ended = wait_tx(csms, "Ended", start=mark, transaction_id=frame.payload["transactionInfo"]["transactionId"])
        assert ended.payload["transactionInfo"]["stoppedReason"] == "MasterPass", ended.line()
    settle(csms)
    mark = csms.mark()
    tap(station, {"idToken": "SERVICE", "type": "ISO14443"}, 1)
    csms.wait_call("Authorize", lambda p: p["idToken"]["idToken"] == "SERVICE", start=mark)
    settle(csms)
    assert "TransactionEvent" not in csms.actions_from_station(start=mark)
    # C12.FR.09: nor by a remote start.
    answer = csms.call("RequestStartTransaction", {"idToken": {"idToken": "SERVICE", "type": "ISO14443"}, "remoteStartId": 9,
                                                   "groupIdToken": {"idToken": "MASTER", "type": "Central"}})
    assert answer.payload["status"] == "Rejected"
    assert_ledger_ok(csms)


def test_id_token_types_no_authorization_needs_no_authorize_and_key_codes_are_distinct_tokens(csms, agent):
    """A NoAuthorization idToken is accepted without AuthorizeRequest; the same value with another type is another
    idToken (a KeyCode "1234" in the list does not authorize an ISO14443 "1234")."""
    station = agent(model={("AuthCtrlr", "LocalPreAuthorize", None): "true",
                           ("AuthCtrlr", "DisableRemoteAuthorization", None): "true"})
    boot_accepted(csms)
    assert send_local_list(csms, 1, "Full", [{"idToken": {"idToken": "1234", "type": "KeyCode"},
                                              "idTokenInfo": {"status": "Accepted"}}]) == "Accepted"
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    tap(station, {"idToken": "1234", "type": "ISO14443"}, 1)
    settle(csms)
    assert "TransactionEvent" not in csms.actions_from_station(start=mark)
    tap(station, {"idToken": "1234", "type": "KeyCode"}, 1)
    started = wait_tx(csms, "Started", start=mark)
    assert started.payload["idToken"] == {"idToken": "1234", "type": "KeyCode"}
    station.sim({"cmd": "unplug", "evse": 1})
    wait_tx(csms, "Ended", start=mark)
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 2})
    tap(station, {"idToken": "none", "type": "NoAuthorization"}, 2)  # the sim board wants 1-36 characters
    started = wait_tx(csms, "Started", start=mark)
    assert started.payload["idToken"]["type"] == "NoAuthorization"
    assert "Authorize" not in csms.actions_from_station(start=mark)
    station.sim({"cmd": "unplug", "evse": 2})
    wait_tx(csms, "Ended", start=mark)
    assert_ledger_ok(csms)


def test_C12_a_cached_card_charges_when_the_csms_does_not_answer_its_authorize(csms, agent):
    """Online, LocalPreAuthorize false: a cached Accepted card is asked for again; when that AuthorizeRequest gets no
    answer within MessageTimeout, the cache decides as if offline (LocalAuthorizeOffline) and the session starts; an
    unknown card in the same situation does not (online, no answer: not authorized)."""
    # The CSMS's one-CALL-at-a-time check allows the next CALL after 1.5 s: the station waits its MessageTimeout (2 s)
    # by its own clock, and the CSMS may read the unanswered CALL late on a loaded machine.
    csms.message_timeout = 1.5
    station = agent(model={("OCPPCommCtrlr", "MessageTimeout", "Default"): "2"})
    boot_accepted(csms)
    mark = csms.mark()
    tap(station, CACHED_CARD, 1)
    csms.wait_call("Authorize", lambda p: p["idToken"]["idToken"] == "CACHED-1", start=mark)
    tap(station, CACHED_CARD, 1)  # ends that authorization
    settle(csms)
    csms.drop_actions = {"Authorize"}
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    station.sim({"cmd": "plug", "evse": 2})
    tap(station, UNKNOWN_CARD, 2)
    tap(station, CACHED_CARD, 1)
    started = wait_tx(csms, "Started", start=mark, timeout=15)
    assert started.payload["idToken"]["idToken"] == "CACHED-1"
    assert started.payload["evse"]["id"] == 1
    csms.drop_actions = set()
    settle(csms)
    assert sim_status(station, 2)["transactionId"] is None
    station.sim({"cmd": "unplug", "evse": 1})
    wait_tx(csms, "Ended", start=mark)
    assert_ledger_ok(csms)

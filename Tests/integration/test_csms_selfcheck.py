"""The test CSMS checks what it claims to check: a scripted WebSocket client plays a misbehaving station.
No agent binary needed. Each test empties csms.violations at the end (else the suite's hook would fail it)."""
import asyncio
import json

import pytest
import websockets

from csms import CSMS, is_rfc3339_date_time

BOOT = {"reason": "PowerUp", "chargingStation": {"model": "m", "vendorName": "v"}}


def status(timestamp="2024-01-01T00:00:00Z", **extra):
    return dict({"timestamp": timestamp, "connectorStatus": "Available", "evseId": 1, "connectorId": 1}, **extra)


async def exchange(url, frames, subprotocols=("ocpp2.0.1",), wait_answers=True, station="S1"):
    """Connects as `station`, sends each frame (a list, or a raw string) and collects what comes back."""
    received = []
    async with websockets.connect(url + "/" + station, subprotocols=list(subprotocols)) as ws:
        for frame in frames:
            await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
            if wait_answers:
                received.append(json.loads(await asyncio.wait_for(ws.recv(), 20)))
    return received


@pytest.fixture
def server():
    s = CSMS().start()
    yield s
    s.stop()


def run(coroutine):
    return asyncio.run(coroutine)


def take(server):
    found = list(server.violations)
    server.violations.clear()
    return "\n".join(found)


def test_valid_station_frames_are_accepted(server):
    answers = run(exchange(server.url, [[2, "a1", "BootNotification", BOOT], [2, "a2", "StatusNotification", status()],
                                        [2, "a3", "Heartbeat", {}]]))
    assert answers[0][0] == 3 and answers[0][2]["status"] == "Accepted"
    assert [a[0] for a in answers] == [3, 3, 3]
    assert take(server) == ""
    assert server.actions_from_station() == ["BootNotification", "StatusNotification", "Heartbeat"]


@pytest.mark.parametrize("frame,expected", [
    ("nonsense", "not JSON"),
    ([2, "b1", "StatusNotification", status(timestamp="2024-13-01T00:00:00Z")], "date-time"),
    ([2, "b1", "StatusNotification", status(timestamp="2024-01-01 00:00:00")], "date-time"),
    ([2, "b1", "StatusNotification", status(connectorStatus="Broken")], "StatusNotificationRequest"),
    ([2, "b1", "StatusNotification", {"evseId": 1}], "required"),
    ([2, "b1", "StatusNotification", status(extra=1)], "Additional properties"),
    ([2, "x" * 37, "Heartbeat", {}], "36"),
    ([2, "b1", "NoSuchAction", {}], "no schema"),
    ([2, "b1", "Heartbeat"], "CALL must be"),
    ([3, "nobody-asked", {}], "no CALL of the CSMS"),
    ([4, "-1", "BadCode", "", {}], "errorCode"),
    ([4, "-1", "GenericError", "d" * 256, {}], "255"),
    ([4, "-1", "GenericError", ""], "5 elements"),
    ([9, "b1"], "MessageTypeId"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None)
def test_invalid_station_frames_are_violations(server, frame, expected):
    run(exchange(server.url, [frame], wait_answers=False))
    server.wait_until(lambda: server.violations, timeout=5, what="a violation")
    assert expected in take(server)


def test_one_outstanding_call_and_unique_ids(server):
    # The CSMS answers slowly, so c2 surely arrives while c1 is unanswered (otherwise a fast CSMS may answer c1 first).
    server.answer_delay = 0.3

    async def script():
        async with websockets.connect(server.url + "/S1", subprotocols=["ocpp2.0.1"]) as ws:
            await ws.send(json.dumps([2, "c1", "BootNotification", BOOT]))
            await ws.send(json.dumps([2, "c2", "Heartbeat", {}]))  # before the answer to c1
            await asyncio.wait_for(ws.recv(), 20)
            await asyncio.wait_for(ws.recv(), 20)
            await ws.send(json.dumps([2, "c2", "Heartbeat", {}]))  # id reused
            await asyncio.wait_for(ws.recv(), 20)
    run(script())
    found = take(server)
    assert "unanswered" in found and "reused" in found


def test_boot_state_is_enforced_and_answered_with_security_error(server):
    server.boot_status, server.boot_interval = "Rejected", 10
    answers = run(exchange(server.url, [[2, "d1", "BootNotification", BOOT], [2, "d2", "StatusNotification", status()]]))
    assert answers[0][2]["status"] == "Rejected"
    assert answers[1][0] == 4 and answers[1][2] == "SecurityError"
    assert "while the boot is Rejected" in take(server)


def test_pending_allows_triggered_messages_only(server):
    server.boot_status, server.boot_interval = "Pending", 10

    async def script():
        async with websockets.connect(server.url + "/S1", subprotocols=["ocpp2.0.1"]) as ws:
            await ws.send(json.dumps([2, "e1", "BootNotification", BOOT]))
            await asyncio.wait_for(ws.recv(), 20)
            await ws.send(json.dumps([2, "e2", "Heartbeat", {}]))  # not triggered: SecurityError
            assert json.loads(await asyncio.wait_for(ws.recv(), 20))[2] == "SecurityError"
            call = asyncio.get_running_loop().run_in_executor(
                None, server.call, "TriggerMessage", {"requestedMessage": "Heartbeat"})
            trigger = json.loads(await asyncio.wait_for(ws.recv(), 20))
            assert trigger[2] == "TriggerMessage"
            await ws.send(json.dumps([3, trigger[1], {"status": "Accepted"}]))
            answer = await call
            assert answer.payload == {"status": "Accepted"}
            await ws.send(json.dumps([2, "e3", "Heartbeat", {}]))  # triggered: fine
            assert json.loads(await asyncio.wait_for(ws.recv(), 20))[0] == 3
    run(script())
    found = take(server)
    assert "Heartbeat while the boot is Pending" in found and found.count("\n") == 0


def test_answers_are_checked_against_the_response_schema(server):
    async def script():
        async with websockets.connect(server.url + "/S1", subprotocols=["ocpp2.0.1"]) as ws:
            await ws.send(json.dumps([2, "f1", "BootNotification", BOOT]))
            await asyncio.wait_for(ws.recv(), 20)
            call = asyncio.get_running_loop().run_in_executor(
                None, server.call, "Reset", {"type": "Immediate"})
            request = json.loads(await asyncio.wait_for(ws.recv(), 20))
            assert request[2:] == ["Reset", {"type": "Immediate"}]
            await ws.send(json.dumps([3, request[1], {"status": "Maybe"}]))
            answer = await call
            assert answer.payload == {"status": "Maybe"}
    run(script())
    assert "ResetResponse" in take(server)


def test_subprotocol_not_agreed_is_closed_at_once():
    with CSMS(subprotocols=()) as server:
        async def script():
            async with websockets.connect(server.url + "/S1", subprotocols=["ocpp2.0.1"]) as ws:
                assert ws.subprotocol is None
                with pytest.raises(websockets.ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 20)
        run(script())
        assert len(server.refused) == 1 and not server.frames


def test_rfc3339_checker():
    for good in ("2024-01-01T00:00:00Z", "2024-02-29T23:59:60.123+01:00", "1999-12-31t10:00:00-05:30"):
        assert is_rfc3339_date_time(good), good
    for bad in ("2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00", "2024-01-01",
                "2024-01-01T00:00:00+0100", " 2024-01-01T00:00:00Z"):
        assert not is_rfc3339_date_time(bad), bad


# --- B01.FR.08 / B02.FR.02: the boot state after a (re)boot and while Pending -----------------------------------------

def test_nothing_but_boot_notification_after_a_reboot(server):
    """B01.FR.08: after a (re)boot, a StatusNotification before the first BootNotification answer is a violation
    (and gets SecurityError, B01.FR.10); after the answer it is fine."""
    server.expect_boot("S1")
    answers = run(exchange(server.url, [[2, "g1", "StatusNotification", status()], [2, "g2", "BootNotification", BOOT],
                                        [2, "g3", "StatusNotification", status()]]))
    assert answers[0][0] == 4 and answers[0][2] == "SecurityError"
    assert [a[0] for a in answers[1:]] == [3, 3]
    found = take(server)
    assert "StatusNotification while the boot is Booting (B01.FR.08" in found and found.count("\n") == 0


def test_a_reconnect_needs_no_boot_but_a_reboot_after_reset_does(server):
    """A mere reconnect after Accepted sends no BootNotification (fine); after the station accepted a Reset of the
    whole station, its next connection follows a reboot: BootNotification first (B01.FR.08, B11)."""
    run(exchange(server.url, [[2, "h1", "BootNotification", BOOT]]))
    run(exchange(server.url, [[2, "h2", "Heartbeat", {}]]))  # a reconnect: fine
    assert take(server) == ""

    async def reset():
        async with websockets.connect(server.url + "/S1", subprotocols=["ocpp2.0.1"]) as ws:
            call = asyncio.get_running_loop().run_in_executor(None, server.call, "Reset", {"type": "Immediate"})
            request = json.loads(await asyncio.wait_for(ws.recv(), 20))
            await ws.send(json.dumps([3, request[1], {"status": "Accepted"}]))
            await call
    run(reset())
    run(exchange(server.url, [[2, "h3", "Heartbeat", {}], [2, "h4", "BootNotification", BOOT]]))
    assert "Heartbeat while the boot is Booting" in take(server)


def test_pending_allows_exactly_what_was_triggered(server):
    """B02.FR.02: TriggerMessage(StatusNotification, EVSE 2) allows the StatusNotification of EVSE 2, not of EVSE 1
    and not a Heartbeat; GetBaseReport allows NotifyReport; a TriggerMessage the station rejected allows nothing."""
    server.boot_status, server.boot_interval = "Pending", 10
    report = {"requestId": 1, "generatedAt": "2024-01-01T00:00:00Z", "seqNo": 0}

    async def script():
        async with websockets.connect(server.url + "/S1", subprotocols=["ocpp2.0.1"]) as ws:
            async def csms_call(action, payload, answer):
                call = asyncio.get_running_loop().run_in_executor(None, server.call, action, payload)
                request = json.loads(await asyncio.wait_for(ws.recv(), 20))
                await ws.send(json.dumps([3, request[1], answer]))
                await call

            async def station_call(message_id, action, payload):
                await ws.send(json.dumps([2, message_id, action, payload]))
                return json.loads(await asyncio.wait_for(ws.recv(), 20))

            await station_call("k1", "BootNotification", BOOT)
            await csms_call("TriggerMessage", {"requestedMessage": "Heartbeat"}, {"status": "Rejected"})
            assert (await station_call("k2", "Heartbeat", {}))[2] == "SecurityError"  # rejected trigger
            await csms_call("TriggerMessage", {"requestedMessage": "StatusNotification",
                                               "evse": {"id": 2, "connectorId": 1}}, {"status": "Accepted"})
            assert (await station_call("k3", "StatusNotification", status(evseId=2)))[0] == 3
            assert (await station_call("k4", "StatusNotification", status(evseId=1)))[2] == "SecurityError"
            assert (await station_call("k5", "Heartbeat", {}))[2] == "SecurityError"
            assert (await station_call("k6", "NotifyReport", report))[2] == "SecurityError"
            await csms_call("GetBaseReport", {"requestId": 1, "reportBase": "FullInventory"}, {"status": "Accepted"})
            assert (await station_call("k7", "NotifyReport", report))[0] == 3
    run(script())
    found = take(server).splitlines()
    assert len(found) == 4, found
    assert ["Heartbeat", "StatusNotification", "Heartbeat", "NotifyReport"] == [
        line.split("CALL ")[1].split()[0] for line in found]
    assert all("B02.FR.02" in line for line in found)


# --- the TransactionEvent ledger ----------------------------------------------------------------------------------

T0 = "2024-01-01T00:00:00Z"


def at(second):
    return f"2024-01-01T00:00:{second:02d}Z"


def tx_event(seq, event_type="Updated", tid="T1", energy=None, trigger="MeterValuePeriodic", begin=None, **info):
    """A TransactionEventRequest stamped `seq` s after T0; energy: Wh (int) or kWh (float), read at that time;
    begin: an earlier reading (Wh at T0) listed first, as an Ended event repeats the Transaction.Begin value."""
    payload = {"eventType": event_type, "timestamp": at(seq), "triggerReason": trigger, "seqNo": seq,
               "transactionInfo": dict({"transactionId": tid}, **info)}
    if energy is not None:
        payload["meterValue"] = [{"timestamp": at(seq), "sampledValue": [
            {"value": energy, "unitOfMeasure": {"unit": "kWh"}} if isinstance(energy, float) else {"value": energy}]}]
    if begin is not None:
        payload["meterValue"].insert(0, {"timestamp": T0, "sampledValue": [{"value": begin}]})
    if event_type == "Started":
        payload["evse"] = {"id": 1, "connectorId": 1}
    return payload


def send_events(server, payloads, station="S1"):
    frames = [[2, "b0", "BootNotification", BOOT]] + [[2, f"t{i}", "TransactionEvent", p]
                                                       for i, p in enumerate(payloads)]
    answers = run(exchange(server.url, frames, station=station))
    assert [a[0] for a in answers] == [3] * len(frames), answers
    assert take(server) == ""
    return server.ledger.problems()


def test_ledger_accepts_a_complete_transaction_with_identical_retransmissions(server):
    started = tx_event(0, "Started", energy=100, trigger="CablePluggedIn")
    problems = send_events(server, [started, started, tx_event(1, energy=150), tx_event(2, energy=0.2),
                                    tx_event(3, "Ended", energy=250, trigger="EVCommunicationLost", begin=100,
                                             stoppedReason="EVDisconnected"),
                                    tx_event(0, "Started", tid="T2", energy=250),
                                    tx_event(1, "Ended", tid="T2", energy=260, stoppedReason="PowerLoss")])
    assert problems == []
    transactions = server.ledger.transactions("S1")
    assert list(transactions) == ["T1", "T2"]
    t1 = transactions["T1"]
    assert len(t1.received) == 5 and [e.seq_no for e in t1.events] == [0, 1, 2, 3]
    assert t1.complete and t1.evse_id == 1 and t1.energy() == [100, 100, 150, 200, 250]
    assert t1.received[0].answer == "CALLRESULT"
    assert transactions["T2"].ended.stopped_reason == "PowerLoss"


@pytest.mark.parametrize("events,expected", [
    ([tx_event(0, "Started"), tx_event(1)], "0 Ended events"),
    ([tx_event(0), tx_event(1, "Ended")], "0 Started events"),
    ([tx_event(0, "Started"), tx_event(1, "Started"), tx_event(2, "Ended")], "2 Started events"),
    ([tx_event(0, "Started"), tx_event(1, "Ended"), tx_event(2, "Ended")], "2 Ended events"),
    ([tx_event(0, "Started"), tx_event(2, "Ended")], "missing [1]"),
    ([tx_event(1, "Started"), tx_event(2, "Ended")], "missing [0]"),
    ([tx_event(0, "Started"), tx_event(1, "Ended"), tx_event(2)], "not the highest"),
    ([tx_event(1), tx_event(0, "Started"), tx_event(2, "Ended")], "out of seqNo order"),
    ([tx_event(0, "Started"), tx_event(1, energy=5), tx_event(1, energy=6), tx_event(2, "Ended")],
     "different payloads"),
    ([tx_event(0, "Started", energy=10), tx_event(1, energy=9), tx_event(2, "Ended")], "decreased"),
    ([tx_event(0, "Started", energy=10), tx_event(1, "Ended", energy=20),
      tx_event(0, "Started", tid="T2", energy=15), tx_event(1, "Ended", tid="T2", energy=30)], "went back"),
], ids=["no-ended", "no-started", "two-started", "two-ended", "gap", "not-from-0", "ended-not-last", "out-of-order",
        "duplicate", "energy-decreases", "energy-back-across-transactions"])
def test_ledger_finds_broken_invariants(server, events, expected):
    problems = send_events(server, events)
    assert any(expected in p for p in problems), problems


def test_fault_harness_finds_lost_sessions_stray_power_loss_and_unexpected_endings(server):
    """faults.Harness.check: a session the station saw with no transaction is lost; more PowerLoss endings than kills
    and a stoppedReason the harness never causes are failures too."""
    import faults
    problems = send_events(server, [
        tx_event(0, "Started", tid="A"), tx_event(1, "Ended", tid="A", stoppedReason="PowerLoss"),
        tx_event(0, "Started", tid="B"), tx_event(1, "Ended", tid="B", stoppedReason="Timeout")],
        station=faults.STATION_ID)
    assert problems == []
    harness = faults.Harness(server, agent=None, seed=1)
    plugged_at = faults.parse_time(T0)
    harness.sessions = [[1, plugged_at, None], [2, plugged_at, plugged_at + 5], [2, plugged_at, plugged_at + 0.2]]
    found = "\n".join(harness.check(kills=0))
    assert "1 transactions ended with PowerLoss, but only 0 kills" in found
    assert "['Timeout']" in found
    assert found.count("lost: the session plugged on EVSE 2") == 1, found  # the one killed after 0.2 s is excused
    assert "EVSE 1" not in found
    assert not [f for f in harness.check(kills=1) if "but only" in f]  # one kill explains one PowerLoss


# --- fault modes --------------------------------------------------------------------------------------------------

def test_fault_modes(server):
    """CALLERROR for an action (E13), replies dropped, connection closed after an action, idTokenInfo Invalid."""
    event = tx_event(0, "Started")

    async def script():
        async with websockets.connect(server.url + "/S1", subprotocols=["ocpp2.0.1"]) as ws:
            async def station_call(message_id, action, payload, answer=True):
                await ws.send(json.dumps([2, message_id, action, payload]))
                return json.loads(await asyncio.wait_for(ws.recv(), 20)) if answer else None
            await station_call("m1", "BootNotification", BOOT)
            server.error_actions = {"TransactionEvent": "InternalError"}
            assert (await station_call("m2", "TransactionEvent", event))[:3] == [4, "m2", "InternalError"]
            assert (await station_call("m3", "Heartbeat", {}))[0] == 3  # other actions: answered
            server.error_actions = {}
            server.drop_actions = {"TransactionEvent"}
            await station_call("m4", "TransactionEvent", event, answer=False)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.5)
            server.drop_actions = set()
            server.drop_next = {"TransactionEvent": 1}  # the next one only
            await station_call("m4b", "TransactionEvent", event, answer=False)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.5)
            server.transaction_status = "Invalid"
            with_token = dict(event, idToken={"idToken": "X", "type": "ISO14443"})
            answer = await station_call("m5", "TransactionEvent", with_token)
            assert answer[2]["idTokenInfo"]["status"] == "Invalid"
            server.close_after_actions = {"StatusNotification"}
            await ws.send(json.dumps([2, "m6", "StatusNotification", status()]))
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 20)
    server.message_timeout = 0.1  # m5 follows the unanswered m4: the station timed it out, for this check
    run(script())
    assert take(server) == ""
    answers = {e.message_id: e.answer for e in server.ledger.events("S1")}
    assert answers == {"m2": "InternalError", "m4": None, "m4b": None, "m5": "CALLRESULT"}


def test_refuse_and_accept_connections(server):
    run(exchange(server.url, [[2, "n1", "BootNotification", BOOT]]))
    server.refuse_connections()
    with pytest.raises(OSError):
        run(exchange(server.url, [[2, "n2", "Heartbeat", {}]]))
    server.accept_connections()
    assert run(exchange(server.url, [[2, "n3", "Heartbeat", {}]]))[0][0] == 3
    server.answer_normally()
    assert take(server) == ""

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


async def exchange(url, frames, subprotocols=("ocpp2.0.1",), wait_answers=True):
    """Connects as station S1, sends each frame (a list, or a raw string) and collects what comes back."""
    received = []
    async with websockets.connect(url + "/S1", subprotocols=list(subprotocols)) as ws:
        for frame in frames:
            await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
            if wait_answers:
                received.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
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
            await asyncio.wait_for(ws.recv(), 5)
            await asyncio.wait_for(ws.recv(), 5)
            await ws.send(json.dumps([2, "c2", "Heartbeat", {}]))  # id reused
            await asyncio.wait_for(ws.recv(), 5)
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
            await asyncio.wait_for(ws.recv(), 5)
            await ws.send(json.dumps([2, "e2", "Heartbeat", {}]))  # not triggered: SecurityError
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))[2] == "SecurityError"
            call = asyncio.get_running_loop().run_in_executor(
                None, server.call, "TriggerMessage", {"requestedMessage": "Heartbeat"})
            trigger = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert trigger[2] == "TriggerMessage"
            await ws.send(json.dumps([3, trigger[1], {"status": "Accepted"}]))
            answer = await call
            assert answer.payload == {"status": "Accepted"}
            await ws.send(json.dumps([2, "e3", "Heartbeat", {}]))  # triggered: fine
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))[0] == 3
    run(script())
    found = take(server)
    assert "Heartbeat while the boot is Pending" in found and found.count("\n") == 0


def test_answers_are_checked_against_the_response_schema(server):
    async def script():
        async with websockets.connect(server.url + "/S1", subprotocols=["ocpp2.0.1"]) as ws:
            await ws.send(json.dumps([2, "f1", "BootNotification", BOOT]))
            await asyncio.wait_for(ws.recv(), 5)
            call = asyncio.get_running_loop().run_in_executor(
                None, server.call, "Reset", {"type": "Immediate"})
            request = json.loads(await asyncio.wait_for(ws.recv(), 5))
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
                    await asyncio.wait_for(ws.recv(), 5)
        run(script())
        assert len(server.refused) == 1 and not server.frames


def test_rfc3339_checker():
    for good in ("2024-01-01T00:00:00Z", "2024-02-29T23:59:60.123+01:00", "1999-12-31t10:00:00-05:30"):
        assert is_rfc3339_date_time(good), good
    for bad in ("2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00", "2024-01-01",
                "2024-01-01T00:00:00+0100", " 2024-01-01T00:00:00Z"):
        assert not is_rfc3339_date_time(bad), bad

"""The connection (Part 4 section 3 and 5.3): subprotocol, URL, reconnect with back-off, no BootNotification on a
mere reconnect."""
from conftest import boot_accepted
from csms import CSMS


def test_reconnect_after_csms_closes_resumes_without_new_boot_notification(csms, agent):
    station = agent()
    boot_accepted(csms)
    station.sim({"cmd": "plug", "evse": 1})
    csms.wait_call("StatusNotification", lambda p: p["connectorStatus"] == "Occupied")
    csms.close_connection()
    closed_at = csms.wait_disconnected(timeout=5).closed_at
    # Part 4 section 5.3: reconnect after RetryBackOffWaitMinimum (1 s) + random (0 s) in the test device model.
    conn = csms.wait_connected(count=2, timeout=10)
    assert conn.opened_at - closed_at <= 4.0, f"reconnected after {conn.opened_at - closed_at:.2f} s"
    assert conn.path == "/ocpp/CS001" and conn.subprotocol == "ocpp2.0.1"
    mark = csms.mark()
    # The station works over the new connection: it answers, and reports a change.
    answer = csms.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
    assert answer.type == 3 and answer.payload["status"] == "Accepted"
    csms.wait_call("Heartbeat", start=mark)
    station.sim({"cmd": "unplug", "evse": 1})
    csms.wait_call("StatusNotification", lambda p: p["connectorStatus"] == "Available", start=mark)
    # B01.FR.03 + Part 4 section 5.3: a BootNotification per (re)boot, not per connection.
    assert csms.actions_from_station().count("BootNotification") == 1
    assert "BootNotification" not in csms.actions_from_station(start=mark)


def test_changes_while_offline_are_reported_after_reconnect(agent):
    first = CSMS().start()
    port = first.port
    try:
        station = agent(url=first.url)
        boot_accepted(first)
    finally:
        first.stop()
    # The CSMS is gone: the station is offline while the cable goes in.
    station.sim({"cmd": "plug", "evse": 2})
    with CSMS(port=port) as second:
        status = second.wait_call("StatusNotification", lambda p: p["evseId"] == 2, timeout=15)
        assert status.payload["connectorStatus"] == "Occupied"
        assert "BootNotification" not in second.actions_from_station()


def test_refuses_csms_that_agrees_to_no_subprotocol(agent):
    # Part 4 section 3.2: the CSMS completes the handshake without Sec-WebSocket-Protocol and closes at once.
    with CSMS(subprotocols=()) as other:
        station = agent(url=other.url)
        # The station offered ocpp2.0.1 and, after the refusal, tries again (back-off 1 s) instead of giving up.
        other.wait_until(lambda: len(other.refused) >= 2, timeout=10, what="two refused connection attempts")
        assert other.connections[0].ws.request.headers.get("Sec-WebSocket-Protocol", "").split(",")[0].strip() \
            == "ocpp2.0.1"
        assert not other.calls_from_station() and not other.frames
        assert station.proc.poll() is None


def test_refuses_csms_that_selects_another_subprotocol(agent):
    # A broken CSMS answers the handshake with a subprotocol the station did not offer: the station must not talk
    # OCPP 2.0.1 over it and must close the connection itself.
    with CSMS(force_subprotocol="ocpp1.6") as other:
        station = agent(url=other.url)
        other.wait_connected(timeout=10)
        other.wait_until(lambda: other.connections[0].closed_at is not None, timeout=10,
                         what="the station closing the ocpp1.6 connection")
        assert not other.frames, other.frames
        assert station.proc.poll() is None


def test_station_id_is_percent_encoded(csms, agent):
    # Part 4 section 3.1.1, example 2: "RDAM 123" -> .../RDAM%20123
    agent(station_id="RDAM 123")
    csms.wait_call("BootNotification")
    assert csms.connections[0].path == "/ocpp/RDAM%20123"


def test_retry_back_off_set_by_the_csms_takes_effect_without_a_restart(csms, agent):
    """Part 4 section 5.3 with the device model (#13): RetryBackOffWaitMinimum set through SetVariables governs the next
    reconnect at once (it used to be read once at start)."""
    agent()
    boot_accepted(csms)
    answer = csms.call("SetVariables", {"setVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "RetryBackOffWaitMinimum"}, "attributeValue": "4"}]})
    assert answer.payload["setVariableResult"][0]["attributeStatus"] == "Accepted", answer.text
    csms.close_connection()
    closed_at = csms.wait_disconnected(timeout=5).closed_at
    conn = csms.wait_connected(count=2, timeout=15)
    # WaitMinimum 4 s + RandomRange 0 s (the test model): not the 1 s the station started with.
    assert 3.5 <= conn.opened_at - closed_at <= 8.0, f"reconnected after {conn.opened_at - closed_at:.2f} s"

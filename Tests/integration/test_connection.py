"""The connection: subprotocol, reconnect with back-off, no new BootNotification after a reconnect."""
import time

from conftest import boot_accepted
from csms import CSMS


def test_reconnects_after_the_csms_closes_without_a_new_boot(csms, agent):
    station = agent()
    boot_accepted(csms)
    station.sim({"cmd": "plug", "evse": 1})
    csms.wait_call("StatusNotification", lambda p: p["connectorStatus"] == "Occupied")
    csms.close_connection()
    csms.wait_connected(count=2, timeout=10)
    mark = csms.mark()
    # A change while connected again is reported, over the new connection.
    station.sim({"cmd": "unplug", "evse": 1})
    csms.wait_call("StatusNotification", lambda p: p["connectorStatus"] == "Available", start=mark)
    # B01.FR.03: a BootNotification per (re)boot, not per connection.
    assert [f.action for f in csms.calls_from_station()].count("BootNotification") == 1


def test_changes_while_offline_are_reported_after_reconnect(tmp_path, agent):
    first = CSMS().start()
    port = first.port
    try:
        station = agent(url=first.url, model={("OCPPCommCtrlr", "RetryBackOffWaitMinimum", None): "1"})
        boot_accepted(first)
    finally:
        first.stop()
    # The CSMS is gone: the station is offline while the cable goes in.
    station.sim({"cmd": "plug", "evse": 2})
    second = CSMS(port=port).start()
    try:
        status = second.wait_call("StatusNotification", lambda p: p["evseId"] == 2, timeout=15)
        assert status.payload["connectorStatus"] == "Occupied"
        assert not [f for f in second.calls_from_station() if f.action == "BootNotification"]
        assert not second.violations
    finally:
        second.stop()


def test_refuses_a_csms_that_does_not_select_ocpp201(tmp_path, agent):
    other = CSMS(subprotocols=()).start()
    try:
        station = agent(url=other.url)
        other.wait_connected(timeout=10)
        # Give the station the time of a message exchange; it must not talk.
        time.sleep(1.0)
        assert not other.calls_from_station()
        assert "did not select the ocpp2.0.1 subprotocol" in station.stderr
        assert station.proc.poll() is None  # it keeps retrying, it does not crash
    finally:
        other.stop()


def test_station_id_is_percent_encoded(csms, agent):
    agent(station_id="CS 01/ü")
    csms.wait_call("BootNotification")
    assert csms.station_paths[0] == "/ocpp/CS%2001%2F%C3%BC"

"""Safety interlocks end to end (issue #14): a fault injected mid-charge on the sim board opens the contactor, makes
the connector Faulted (StatusNotification), reports the failed component with NotifyEvent (Problem/Tripped/Active,
N07 hardwired notification) and suspends or ends the transaction with the fault's stoppedReason; the fault clears
only when its condition clears. A plug lock that fails means no charging and ConnectorPlugRetentionLock Problem
(G05.FR.01/02). Every frame is checked against the OCA schemas by the CSMS."""
import pytest

from conftest import boot_accepted
from transactions import assert_ledger_ok, tap, tid, tx_points, wait_evse, wait_tx

# sim fault kind -> (component, variable, stoppedReason)
FAULTS = {
    "ground-fault": ("RCD", "Tripped", "GroundFault"),
    "overcurrent": ("OverCurrentProtection", "Tripped", "OvercurrentFault"),
    "emergency-stop": ("EmergencyStopSensor", "Active", "EmergencyStop"),
    "welded-contactor": ("PowerContactor", "Problem", "Other"),
    "meter-lost": ("FiscalMetering", "Problem", "Other"),
}


def notify_event(csms, component, variable, value, start):
    def match(p):
        data = p["eventData"][0]
        return (data["component"]["name"] == component and data["variable"]["name"] == variable
                and data["actualValue"] == value)
    frame = csms.wait_call("NotifyEvent", match, start=start)
    data = frame.payload["eventData"][0]
    assert data["eventNotificationType"] == "HardWiredNotification" and data["trigger"] == "Alerting", frame.line()
    assert data["component"]["evse"]["id"] == 1, frame.line()
    return data


def charging(csms, station):
    """Plug, card, EV charging on EVSE 1: returns the Started frame once the contactor is closed."""
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    tap(station)
    started = wait_tx(csms, "Started", start=mark)
    station.sim({"cmd": "ev-charge", "evse": 1, "watts": 11000})
    wait_tx(csms, "Updated", start=mark, where=lambda p: p["transactionInfo"].get("chargingState") == "Charging")
    wait_evse(station, 1, lambda e: e["contactorClosed"] and e["locked"], "contactor closed while charging")
    return started


@pytest.mark.parametrize("kind", list(FAULTS))
def test_fault_mid_charge_suspends_then_resumes_when_it_clears(csms, agent, kind):
    component, variable, _ = FAULTS[kind]
    station = agent()
    boot_accepted(csms)
    started = charging(csms, station)
    mark = csms.mark()
    station.sim({"cmd": "fault", "evse": 1, "kind": kind})
    wait_evse(station, 1, lambda e: not e["contactorClosed"], f"{kind}: contactor open")
    csms.wait_call("StatusNotification", lambda p: p["evseId"] == 1 and p["connectorStatus"] == "Faulted", start=mark)
    raised = notify_event(csms, component, variable, "true", mark)
    assert raised.get("transactionId") == tid(started) and "cleared" not in raised
    # Default TxStopPoint (EVConnected, Authorized): the transaction goes on, suspended by the EVSE.
    suspended = wait_tx(csms, "Updated", start=mark,
                        where=lambda p: p["transactionInfo"].get("chargingState") == "SuspendedEVSE")
    assert suspended.payload["triggerReason"] == "AbnormalCondition", suspended.line()
    # Still tripped: nothing closes the contactor.
    station.sim({"cmd": "ev-suspend", "evse": 1})
    station.sim({"cmd": "ev-charge", "evse": 1})
    assert not wait_evse(station, 1, lambda e: True, "status")["contactorClosed"]

    mark = csms.mark()
    station.sim({"cmd": "clear-fault", "evse": 1})
    cleared = notify_event(csms, component, variable, "false", mark)
    assert cleared["cleared"] is True and cleared["cause"] == raised["eventId"]
    csms.wait_call("StatusNotification", lambda p: p["evseId"] == 1 and p["connectorStatus"] == "Occupied", start=mark)
    wait_tx(csms, "Updated", start=mark, where=lambda p: p["transactionInfo"].get("chargingState") == "Charging")
    wait_evse(station, 1, lambda e: e["contactorClosed"], f"{kind} cleared: contactor closed again")

    mark = csms.mark()
    station.sim({"cmd": "unplug", "evse": 1})
    ended = wait_tx(csms, "Ended", start=mark)
    assert ended.payload["transactionInfo"]["stoppedReason"] == "EVDisconnected", ended.line()
    assert_ledger_ok(csms)


@pytest.mark.parametrize("kind", ["ground-fault", "overcurrent", "emergency-stop"])
def test_fault_ends_the_transaction_with_its_reason_when_energy_transfer_is_a_stop_point(csms, agent, kind):
    station = agent(model=tx_points("PowerPathClosed", "EnergyTransfer"))
    boot_accepted(csms)
    started = charging(csms, station)
    mark = csms.mark()
    station.sim({"cmd": "fault", "evse": 1, "kind": kind})
    ended = wait_tx(csms, "Ended", start=mark, transaction_id=tid(started))
    assert ended.payload["transactionInfo"]["stoppedReason"] == FAULTS[kind][2], ended.line()
    assert ended.payload["triggerReason"] == "AbnormalCondition", ended.line()
    evse = wait_evse(station, 1, lambda e: not e["contactorClosed"] and not e["locked"], "open and unlocked")
    assert evse["transactionId"] is None
    assert_ledger_ok(csms)


def test_G05_a_lock_that_fails_means_no_charging_and_a_problem_event(csms, agent):
    station = agent()
    boot_accepted(csms)
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    tap(station)
    started = wait_tx(csms, "Started", start=mark)
    wait_evse(station, 1, lambda e: e["locked"], "locked once authorized")
    # The lock's feedback says it does not hold the plug (and it refuses to lock again while broken).
    station.sim({"cmd": "fault", "evse": 1, "kind": "lock-failure"})
    raised = notify_event(csms, "ConnectorPlugRetentionLock", "Problem", "true", mark)
    assert raised["component"]["evse"] == {"id": 1, "connectorId": 1}
    assert raised.get("transactionId") == tid(started)
    station.sim({"cmd": "ev-charge", "evse": 1})
    wait_tx(csms, start=mark, transaction_id=tid(started),
            where=lambda p: p["transactionInfo"].get("chargingState") == "SuspendedEVSE")
    # G05.FR.01: no charging.
    evse = wait_evse(station, 1, lambda e: True, "status")
    assert not evse["contactorClosed"] and not evse["locked"], evse
    # A failed lock is no Faulted connector: only the charging stops.
    statuses = [f.payload["connectorStatus"] for f in csms.calls_from_station(mark) if f.action == "StatusNotification"]
    assert "Faulted" not in statuses, statuses

    # The lock is repaired: the station locks again, the problem clears, the energy flows.
    mark = csms.mark()
    station.sim({"cmd": "clear-fault", "evse": 1})
    cleared = notify_event(csms, "ConnectorPlugRetentionLock", "Problem", "false", mark)
    assert cleared["cleared"] is True
    wait_evse(station, 1, lambda e: e["locked"] and e["contactorClosed"], "locked and charging after the repair")
    wait_tx(csms, "Updated", start=mark, where=lambda p: p["transactionInfo"].get("chargingState") == "Charging")
    mark = csms.mark()
    station.sim({"cmd": "unplug", "evse": 1})
    wait_tx(csms, "Ended", start=mark)
    assert_ledger_ok(csms)

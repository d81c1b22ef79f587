"""Monitoring (block N, #13): SetVariableMonitoring, ClearVariableMonitoring, GetMonitoringReport, SetMonitoringBase,
SetMonitoringLevel; NotifyEvent when a monitor trips on the sim meter's power; monitors kept across kill -9; the
hard-wired monitor on an EVSE's Problem."""
import pytest

from conftest import boot_accepted
from transactions import tap, tx_points, wait_evse, wait_tx

POWER_1 = {"name": "EVSE", "evse": {"id": 1}}
POWER = {"name": "Power"}


def monitor(component, variable, type_, value, severity=5, id_=None):
    data = {"component": component, "variable": variable, "type": type_, "value": value, "severity": severity}
    if id_ is not None:
        data["id"] = id_
    return data


def set_monitors(csms, *data):
    answer = csms.call("SetVariableMonitoring", {"setMonitoringData": list(data)})
    assert answer.type == 3, answer.text
    return answer.payload["setMonitoringResult"]


def charging(csms, station, evse=1):
    station.sim({"cmd": "plug", "evse": evse})
    tap(station, evse=evse)
    wait_tx(csms, "Started")
    station.sim({"cmd": "ev-charge", "evse": evse})
    # The interlock closes the contactor once the EV asks for energy (state C).
    wait_evse(station, evse, lambda s: s["contactorClosed"], "contactor closed")


def two_power_monitors(csms, station, first, second):
    """Sets two monitors on EVSE 1's Power, starts charging, then the EV draws 7400 W. Returns (ids, mark)."""
    results = set_monitors(csms, monitor(POWER_1, POWER, *first), monitor(POWER_1, POWER, *second))
    charging(csms, station)
    mark = csms.mark()
    station.sim({"cmd": "power", "evse": 1, "watts": 7400})
    return (results[0]["id"], results[1]["id"]), mark


def event_data(csms, where, start, timeout=10):
    frame = csms.wait_call("NotifyEvent", lambda p: any(where(d) for d in p["eventData"]), start=start, timeout=timeout)
    assert frame.payload["seqNo"] == 0  # N07.FR.07
    return next(d for d in frame.payload["eventData"] if where(d))


def test_set_variable_monitoring_answers_every_status(csms, agent):
    agent()
    boot_accepted(csms)
    results = set_monitors(
        csms,
        monitor(POWER_1, POWER, "UpperThreshold", 5000),  # N04.FR.08
        monitor({"name": "NoSuchCtrlr"}, POWER, "Delta", 1),  # N04.FR.03
        monitor(POWER_1, {"name": "Nope"}, "Delta", 1),  # N04.FR.04
        monitor({"name": "OCPPCommCtrlr"}, {"name": "HeartbeatInterval"}, "Delta", 1),  # N04.FR.05: not monitorable
        monitor(POWER_1, POWER, "UpperThreshold", 99999),  # N04.FR.06: above maxLimit 22080
        monitor(POWER_1, POWER, "Delta", -1),  # N04.FR.14
        monitor(POWER_1, POWER, "UpperThreshold", 6000),  # N04.FR.10: same type and severity
        monitor(POWER_1, POWER, "Delta", 100, id_=4242),  # N04.FR.13: no such id
    )
    assert [r["status"] for r in results] == ["Accepted", "UnknownComponent", "UnknownVariable", "UnsupportedMonitorType",
                                              "Rejected", "Rejected", "Duplicate", "Rejected"]
    first = results[0]["id"]  # N04.FR.11: an id is generated
    # N04.FR.12: the same id replaces it; N04.FR.16: another variable under that id is Rejected.
    results = set_monitors(csms, monitor(POWER_1, POWER, "UpperThreshold", 4000, id_=first),
                           monitor({"name": "EVSE", "evse": {"id": 2}}, POWER, "UpperThreshold", 1, id_=first))
    assert [r["status"] for r in results] == ["Accepted", "Rejected"]
    mark = csms.mark()
    assert csms.call("GetMonitoringReport", {"requestId": 3}).payload["status"] == "Accepted"  # N02.FR.01/11
    report = csms.wait_call("NotifyMonitoringReport", lambda p: p["requestId"] == 3, start=mark)
    assert report.payload["seqNo"] == 0
    monitors = {m["id"]: (d["component"]["name"], d["variable"]["name"], m["type"], m["value"])
                for d in report.payload["monitor"] for m in d["variableMonitoring"]}
    assert monitors[first] == ("EVSE", "Power", "UpperThreshold", 4000)
    # The hard-wired monitors on each EVSE's Problem are listed too, and cannot be changed or cleared.
    hard = [i for i, m in monitors.items() if m[1] == "Problem"]
    assert len(hard) == 2
    assert set_monitors(csms, monitor(POWER_1, {"name": "Problem"}, "Delta", 1, id_=hard[0]))[0]["status"] == "Rejected"
    answer = csms.call("ClearVariableMonitoring", {"id": [first, hard[0], 777]})
    assert [(r["id"], r["status"]) for r in answer.payload["clearMonitoringResult"]] == [
        (first, "Accepted"), (hard[0], "Rejected"), (777, "NotFound")]  # N06.FR.01-03
    answer = csms.call("GetMonitoringReport", {"requestId": 4, "monitoringCriteria": ["ThresholdMonitoring"]})
    assert answer.payload["status"] == "EmptyResultSet"  # N02.FR.10


def test_a_threshold_monitor_fires_and_clears_on_the_meters_power(csms, agent):
    station = agent(model=tx_points("Authorized", "EVConnected,Authorized"))
    boot_accepted(csms)
    (upper, delta), mark = two_power_monitors(csms, station, ("UpperThreshold", 5000, 4), ("Delta", 1000, 6))
    # N07.FR.16: above the threshold -> Alerting, with the value, the monitor's id and its kind (N07.FR.06).
    data = event_data(csms, lambda d: d.get("variableMonitoringId") == upper, mark)
    assert data["trigger"] == "Alerting" and data["actualValue"] == "7400" and not data.get("cleared", False)
    assert data["component"] == {"name": "EVSE", "evse": {"id": 1}} and data["variable"] == {"name": "Power"}
    assert data["eventNotificationType"] == "CustomMonitor"
    # N07.FR.18: the delta monitor saw a change of more than 1000 W.
    assert event_data(csms, lambda d: d.get("variableMonitoringId") == delta, mark)["trigger"] == "Delta"
    mark = csms.mark()
    station.sim({"cmd": "power", "evse": 1, "watts": 3000})
    # N07.FR.02: back within -> cleared.
    data = event_data(csms, lambda d: d.get("variableMonitoringId") == upper, mark)
    assert data["cleared"] is True and data["actualValue"] == "3000"


def test_monitoring_level_filters_events(csms, agent):
    station = agent(model=tx_points("Authorized", "EVConnected,Authorized"))
    boot_accepted(csms)
    assert csms.call("SetMonitoringLevel", {"severity": 10}).payload["status"] == "Rejected"  # N05.FR.02 (schema allows 0-9)
    assert csms.call("SetMonitoringLevel", {"severity": 3}).payload["status"] == "Accepted"
    (quiet, loud), mark = two_power_monitors(csms, station, ("UpperThreshold", 5000, 4), ("UpperThreshold", 6000, 2))
    event_data(csms, lambda d: d.get("variableMonitoringId") == loud, mark)
    events = [d for f in csms.calls_from_station(mark) if f.action == "NotifyEvent" for d in f.payload["eventData"]]
    assert quiet not in [d.get("variableMonitoringId") for d in events]  # N05.FR.03, N07.FR.15


def test_monitors_survive_kill_9_and_monitoring_base_clears_them(csms, agent):
    station = agent()
    boot_accepted(csms)
    first = set_monitors(csms, monitor(POWER_1, POWER, "Periodic", 3600))[0]["id"]
    station.kill()
    mark = csms.mark()
    station = agent(data_dir=station.data_dir)
    boot_accepted(csms, start=mark)
    mark = csms.mark()
    assert csms.call("GetMonitoringReport", {"requestId": 5, "monitoringCriteria": ["PeriodicMonitoring"]}).payload["status"] == "Accepted"
    report = csms.wait_call("NotifyMonitoringReport", lambda p: p["requestId"] == 5, start=mark)
    assert [m["id"] for d in report.payload["monitor"] for m in d["variableMonitoring"]] == [first]  # N07.FR.13
    assert csms.call("SetMonitoringBase", {"monitoringBase": "HardWiredOnly"}).payload["status"] == "Accepted"
    answer = csms.call("GetMonitoringReport", {"requestId": 6, "monitoringCriteria": ["PeriodicMonitoring"]})
    assert answer.payload["status"] == "EmptyResultSet"  # N03.FR.05


def test_the_monitoring_level_and_base_survive_a_restart(csms, agent):
    station = agent()
    boot_accepted(csms)
    assert csms.call("SetMonitoringLevel", {"severity": 3}).payload["status"] == "Accepted"
    assert csms.call("SetMonitoringBase", {"monitoringBase": "FactoryDefault"}).payload["status"] == "Accepted"
    assert station.terminate()[0] == 0
    mark = csms.mark()
    agent(data_dir=station.data_dir)
    boot_accepted(csms, start=mark)
    answer = csms.call("GetVariables", {"getVariableData": [
        {"component": {"name": "MonitoringCtrlr"}, "variable": {"name": "ActiveMonitoringLevel"}},
        {"component": {"name": "MonitoringCtrlr"}, "variable": {"name": "ActiveMonitoringBase"}}]})
    assert [r["attributeValue"] for r in answer.payload["getVariableResult"]] == ["3", "FactoryDefault"]


def test_a_periodic_monitor_reports_every_period(csms, agent):
    agent()
    boot_accepted(csms)
    mark = csms.mark()
    periodic = set_monitors(csms, monitor(POWER_1, POWER, "Periodic", 1))[0]["id"]
    first = event_data(csms, lambda d: d.get("variableMonitoringId") == periodic, mark, timeout=5)
    assert first["trigger"] == "Periodic" and first["actualValue"] == "0"  # N08.FR.05/06
    second = csms.wait_call("NotifyEvent", lambda p: any(d.get("variableMonitoringId") == periodic for d in p["eventData"]),
                            start=csms.index(csms.wait_call("NotifyEvent", start=mark)) + 1, timeout=5)
    assert second


def test_the_hard_wired_monitor_reports_a_fault(csms, agent):
    station = agent()
    boot_accepted(csms)
    mark = csms.mark()
    station.sim({"cmd": "fault", "evse": 2, "kind": "ground-fault"})
    data = event_data(csms, lambda d: d["variable"]["name"] == "Problem", mark)
    assert data["eventNotificationType"] == "HardWiredMonitor" and data["actualValue"] == "true"
    assert data["component"] == {"name": "EVSE", "evse": {"id": 2}} and data["trigger"] == "Delta"


def test_monitoring_message_limits(csms, agent):
    """N04.FR.09, N06.FR.06: MonitoringCtrlr.ItemsPerMessage -> CALLERROR OccurrenceConstraintViolation."""
    agent(model={("MonitoringCtrlr", "ItemsPerMessage", "SetVariableMonitoring"): "2",
                 ("MonitoringCtrlr", "ItemsPerMessage", "ClearVariableMonitoring"): "2"})
    boot_accepted(csms)
    data = [monitor(POWER_1, POWER, "Delta", 100, severity=s) for s in (1, 2, 3)]
    answer = csms.call("SetVariableMonitoring", {"setMonitoringData": data})
    assert (answer.type, answer.error_code) == (4, "OccurrenceConstraintViolation"), answer.text
    assert [r["status"] for r in set_monitors(csms, *data[:2])] == ["Accepted", "Accepted"]
    answer = csms.call("ClearVariableMonitoring", {"id": [1, 2, 3]})
    assert (answer.type, answer.error_code) == (4, "OccurrenceConstraintViolation"), answer.text

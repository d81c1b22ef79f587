"""The device model (#13): GetVariables / SetVariables with every status (B05, B06), value checks, message limits,
live values, effects, persistence, GetBaseReport / GetReport with NotifyReport pages (B07, B08), and loading
validation of device-model.json."""
import datetime
import json
import time

import pytest

import csms as csms_module
from conftest import DEVICE_MODEL, BOARD, boot_accepted, device_model_with, run_agent
from transactions import tap, tx_points, wait_evse, wait_tx

COMM = {"name": "OCPPCommCtrlr"}


def var(name, value, data_type, mutability="ReadWrite", persistent=True, instance=None, attributes=None, **characteristics):
    entry = {"name": name}
    if instance:
        entry["instance"] = instance
    entry["variableAttribute"] = attributes or [
        {"type": "Actual", "value": value, "mutability": mutability, "persistent": persistent, "constant": False}]
    entry["variableCharacteristics"] = {"dataType": data_type, "supportsMonitoring": False, **characteristics}
    return entry


# A manufacturer's component in device-model.json: a WriteOnly variable, one with Target/MinSet/MaxSet attributes,
# one that is not persistent.
TEST_CTRLR = {"name": "TestCtrlr", "variables": [
    var("Secret", "s3cret", "string", mutability="WriteOnly", maxLimit=20),
    var("Current", None, "decimal", attributes=[
        {"type": "Actual", "value": "16", "mutability": "ReadOnly", "persistent": False},
        {"type": "Target", "value": "", "mutability": "ReadWrite", "persistent": True},
        {"type": "MinSet", "value": "6", "mutability": "ReadWrite", "persistent": True},
        {"type": "MaxSet", "value": "32", "mutability": "ReadWrite", "persistent": True}], unit="A", minLimit=0, maxLimit=63),
    var("Volatile", "a", "OptionList", persistent=False, valuesList="a,b,c"),
    var("Kept", "a", "OptionList", persistent=True, valuesList="a,b,c"),
]}


def get(csms, *items):
    answer = csms.call("GetVariables", {"getVariableData": list(items)})
    assert answer.type == 3, answer.text
    return answer.payload["getVariableResult"]


def set_(csms, *items):
    answer = csms.call("SetVariables", {"setVariableData": list(items)})
    assert answer.type == 3, answer.text
    return answer.payload["setVariableResult"]


def item(component, variable, value=None, attribute_type=None, instance=None, evse=None):
    entry = {"component": component if isinstance(component, dict) else {"name": component},
             "variable": {"name": variable, **({"instance": instance} if instance else {})}}
    if evse is not None:
        entry["component"]["evse"] = evse
    if value is not None:
        entry["attributeValue"] = value
    if attribute_type:
        entry["attributeType"] = attribute_type
    return entry


def value_of(csms, component, variable, **kw):
    result = get(csms, item(component, variable, **kw))[0]
    assert result["attributeStatus"] == "Accepted", result
    return result["attributeValue"]


def test_get_variables_answers_every_status(csms, agent):
    agent(components=[TEST_CTRLR])
    boot_accepted(csms)
    results = get(
        csms,
        item("OCPPCommCtrlr", "HeartbeatInterval"),
        item("NoSuchCtrlr", "HeartbeatInterval"),  # B06.FR.06
        item("OCPPCommCtrlr", "NoSuchVariable"),  # B06.FR.07
        item("OCPPCommCtrlr", "HeartbeatInterval", attribute_type="MaxSet"),  # B06.FR.08
        item("TestCtrlr", "Secret"),  # B06.FR.09: WriteOnly
        item("TestCtrlr", "Current", attribute_type="MinSet"),
        item("TestCtrlr", "Current", attribute_type="Target"),  # B06.FR.13: supported, no value: ""
        item("OCPPCommCtrlr", "MessageTimeout", instance="Default"),  # B06.FR.14
        item("OCPPCommCtrlr", "MessageTimeout"),  # B06.FR.15: no instance-less MessageTimeout
        item("EVSE", "AvailabilityState", evse={"id": 1}),
        item("EVSE", "AvailabilityState", evse={"id": 9}),
    )
    statuses = [r["attributeStatus"] for r in results]
    assert statuses == ["Accepted", "UnknownComponent", "UnknownVariable", "NotSupportedAttributeType", "Rejected",
                        "Accepted", "Accepted", "Accepted", "UnknownVariable", "Accepted", "UnknownComponent"]
    # B06.FR.06-08: no value with those statuses; B06.FR.09: none for WriteOnly either.
    for r in results[1:5]:
        assert "attributeValue" not in r, r
    assert results[4].get("attributeStatusInfo", {}).get("reasonCode") == "WriteOnly"
    # B06.FR.11 / B06.FR.03: attributeType echoed, Actual when omitted.
    assert results[0]["attributeType"] == "Actual" and results[5]["attributeType"] == "MinSet"
    assert results[5]["attributeValue"] == "6" and results[6]["attributeValue"] == ""
    assert results[7]["attributeValue"] == "5"


def test_set_variables_answers_every_status_and_checks_values(csms, agent):
    agent(components=[TEST_CTRLR], model={("DeviceDataCtrlr", "ConfigurationValueSize", None): "30"})
    boot_accepted(csms)
    cases = [
        (item("OCPPCommCtrlr", "OfflineThreshold", "120"), "Accepted", None),  # B05.FR.10
        (item("NoSuchCtrlr", "X", "1"), "UnknownComponent", None),  # B05.FR.04
        (item("OCPPCommCtrlr", "X", "1"), "UnknownVariable", None),  # B05.FR.05
        (item("OCPPCommCtrlr", "OfflineThreshold", "1", attribute_type="Target"), "NotSupportedAttributeType", None),
        (item("OCPPCommCtrlr", "MessageTimeout", "9", instance="Default"), "Rejected", "ReadOnly"),  # B05.FR.09
        (item("OCPPCommCtrlr", "HeartbeatInterval", "soon"), "Rejected", "InvalidValue"),  # B05.FR.07
        (item("OCPPCommCtrlr", "HeartbeatInterval", "0"), "Rejected", "ValueTooLow"),  # B05.FR.08
        (item("TestCtrlr", "Current", "64", attribute_type="Target"), "Rejected", "ValueTooHigh"),
        (item("TestCtrlr", "Current", "20", attribute_type="Target"), "Accepted", None),
        (item("TestCtrlr", "Volatile", "d"), "Rejected", "InvalidValue"),  # OptionList
        (item("TxCtrlr", "TxStopPoint", "EVConnected,Nope"), "Rejected", "InvalidValue"),  # MemberList
        (item("TxCtrlr", "TxStopPoint", "EVConnected,EVConnected"), "Rejected", "InvalidValue"),
        (item("TxCtrlr", "TxStopPoint", "DataSigned"), "Rejected", "InvalidValue"),  # TxCtrlr's own validator
        (item("TxCtrlr", "TxStopPoint", "EVConnected,Authorized"), "Accepted", None),
        (item("ClockCtrlr", "TimeSource", "Heartbeat,Sundial"), "Rejected", "InvalidValue"),  # SequenceList
        (item("ClockCtrlr", "TimeSource", "NTP,Heartbeat"), "Accepted", None),
        (item("TestCtrlr", "Secret", "x" * 31), "Rejected", "TooLargeElement"),  # ConfigurationValueSize 30
        (item("TestCtrlr", "Secret", "x" * 20), "Accepted", None),  # WriteOnly may be written
    ]
    results = set_(csms, *[c[0] for c in cases])
    assert len(results) == len(cases)  # B05.FR.01
    for (request, status, code), result in zip(cases, results):
        assert result["attributeStatus"] == status, (request, result)
        assert result["component"]["name"] == request["component"]["name"]  # B05.FR.02
        assert result["attributeType"] == request.get("attributeType", "Actual")  # B05.FR.03/12
        if code:
            assert result["attributeStatusInfo"]["reasonCode"] == code, (request, result)
    assert value_of(csms, "TestCtrlr", "Current", attribute_type="Target") == "20"
    assert value_of(csms, "TxCtrlr", "TxStopPoint") == "EVConnected,Authorized"


@pytest.mark.parametrize("action,key,build", [
    ("GetVariables", "getVariableData", lambda n: [item("OCPPCommCtrlr", "HeartbeatInterval")] * n),
    ("SetVariables", "setVariableData", lambda n: [item("OCPPCommCtrlr", "OfflineThreshold", "60")] * n),
    ("GetReport", "componentVariable", lambda n: [{"component": {"name": "OCPPCommCtrlr"}}] * n),
])
def test_items_and_bytes_per_message_are_enforced(csms, agent, action, key, build):
    """B06.FR.16/17, B08.FR.17/18 (SetVariables likewise): ItemsPerMessage -> OccurrenceConstraintViolation,
    BytesPerMessage -> FormatViolation; at the limit the request is answered."""
    instance = "GetReport" if action == "GetReport" else action
    agent(model={("DeviceDataCtrlr", "ItemsPerMessage", instance): "3",
                 ("DeviceDataCtrlr", "BytesPerMessage", instance): "400"})
    boot_accepted(csms)
    extra = {"requestId": 7} if action == "GetReport" else {}
    answer = csms.call(action, {key: build(3), **extra})
    assert answer.type == 3, answer.text
    answer = csms.call(action, {key: build(4), **extra})
    assert (answer.type, answer.error_code) == (4, "OccurrenceConstraintViolation"), answer.text
    long_name = {"component": {"name": "OCPPCommCtrlr", "instance": "x" * 50},
                 "variable": {"name": "HeartbeatInterval", "instance": "y" * 50}}
    if action == "SetVariables":
        long_name["attributeValue"] = "60"
    answer = csms.call(action, {key: [long_name] * 3, **extra})
    assert (answer.type, answer.error_code) == (4, "FormatViolation"), answer.text


def test_reporting_value_size_cuts_reported_values(csms, agent):
    agent(model={("DeviceDataCtrlr", "ReportingValueSize", None): "5"})
    boot_accepted(csms)
    assert value_of(csms, "ChargingStation", "VendorName") == "ocpp-"


def test_live_values_power_and_availability(csms, agent):
    """EVSE.Power follows the meter, AvailabilityState the connectors (ChargingStation, EVSE, Connector)."""
    station = agent(model=tx_points("Authorized", "EVConnected,Authorized"))
    boot_accepted(csms)
    assert value_of(csms, "EVSE", "Power", evse={"id": 1}) == "0"
    assert value_of(csms, "ChargingStation", "AvailabilityState") == "Available"
    station.sim({"cmd": "plug", "evse": 1})
    csms.wait_call("StatusNotification", lambda p: p["evseId"] == 1 and p["connectorStatus"] == "Occupied")
    assert value_of(csms, "EVSE", "AvailabilityState", evse={"id": 1}) == "Occupied"
    assert value_of(csms, "Connector", "AvailabilityState", evse={"id": 1, "connectorId": 1}) == "Occupied"
    assert value_of(csms, "EVSE", "AvailabilityState", evse={"id": 2}) == "Available"
    tap(station, evse=1)
    wait_tx(csms, "Started")
    station.sim({"cmd": "ev-charge", "evse": 1})
    # The interlock closes the contactor once the EV asks for energy (state C).
    wait_evse(station, 1, lambda s: s["contactorClosed"], "contactor closed")
    station.sim({"cmd": "power", "evse": 1, "watts": 7400})
    deadline = time.monotonic() + 5
    while value_of(csms, "EVSE", "Power", evse={"id": 1}) != "7400":
        assert time.monotonic() < deadline, "EVSE.Power never showed the EV's 7400 W"
        time.sleep(0.1)
    station.sim({"cmd": "fault", "evse": 2, "kind": "ground-fault"})
    csms.wait_call("StatusNotification", lambda p: p["evseId"] == 2 and p["connectorStatus"] == "Faulted")
    assert value_of(csms, "EVSE", "AvailabilityState", evse={"id": 2}) == "Faulted"
    assert value_of(csms, "ChargingStation", "AvailabilityState") == "Occupied"


def station_time(csms):
    text = value_of(csms, "ClockCtrlr", "DateTime")
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_time_source_decides_whether_the_csms_clock_is_adopted(csms, agent, monkeypatch):
    """B01.FR.06: with TimeSource Heartbeat the CSMS's currentTime sets the clock; set to RealTimeClock, the station
    keeps its own clock, at once."""
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=400)
    monkeypatch.setattr(csms_module, "now_iso", lambda: future.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    agent()
    boot_accepted(csms)
    assert abs(station_time(csms) - future.timestamp()) < 60
    assert set_(csms, item("ClockCtrlr", "TimeSource", "RealTimeClock,Heartbeat"))[0]["attributeStatus"] == "Accepted"
    assert abs(station_time(csms) - time.time()) < 60
    # A Heartbeat answer no longer moves the clock either.
    mark = csms.mark()
    assert csms.call("TriggerMessage", {"requestedMessage": "Heartbeat"}).payload["status"] == "Accepted"
    csms.answer_to(csms.wait_call("Heartbeat", start=mark))
    csms.call("GetVariables", {"getVariableData": [item("ClockCtrlr", "DateTime")]})
    assert abs(station_time(csms) - time.time()) < 60


def test_time_source_without_heartbeat_ignores_the_boot_time(csms, agent, monkeypatch):
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=400)
    monkeypatch.setattr(csms_module, "now_iso", lambda: future.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    agent(model={("ClockCtrlr", "TimeSource", None): "NTP"})
    boot_accepted(csms)
    assert abs(station_time(csms) - time.time()) < 60


def test_values_survive_kill_9_and_non_persistent_values_reset(csms, agent):
    station = agent(components=[TEST_CTRLR])
    boot_accepted(csms)
    results = set_(csms, item("OCPPCommCtrlr", "OfflineThreshold", "321"), item("TestCtrlr", "Volatile", "b"),
                   item("TestCtrlr", "Kept", "c"))
    assert [r["attributeStatus"] for r in results] == ["Accepted"] * 3
    assert value_of(csms, "TestCtrlr", "Volatile") == "b"
    station.kill()
    mark = csms.mark()
    agent(data_dir=station.data_dir, components=[TEST_CTRLR])
    boot_accepted(csms, start=mark)
    assert value_of(csms, "OCPPCommCtrlr", "OfflineThreshold") == "321"
    assert value_of(csms, "TestCtrlr", "Kept") == "c"
    assert value_of(csms, "TestCtrlr", "Volatile") == "a"  # persistent false: the file's value after a reboot


def test_a_new_device_model_merges_with_the_values_the_csms_set(csms, agent):
    station = agent()
    boot_accepted(csms)
    assert set_(csms, item("OCPPCommCtrlr", "OfflineThreshold", "222"))[0]["attributeStatus"] == "Accepted"
    assert station.terminate()[0] == 0
    mark = csms.mark()
    # The new file (a firmware update) brings a new component and a new default for OfflineThreshold.
    agent(data_dir=station.data_dir, components=[TEST_CTRLR], model={("OCPPCommCtrlr", "OfflineThreshold", None): "99"})
    boot_accepted(csms, start=mark)
    assert value_of(csms, "OCPPCommCtrlr", "OfflineThreshold") == "222"
    assert value_of(csms, "TestCtrlr", "Kept") == "a"


def test_evse_and_connector_components_the_file_lacks_come_from_the_board(csms, agent):
    agent(without_evses=[2])
    boot_accepted(csms)
    assert value_of(csms, "Connector", "ConnectorType", evse={"id": 2, "connectorId": 1}) == "cType2"
    assert value_of(csms, "EVSE", "AvailabilityState", evse={"id": 2}) == "Available"
    mark = csms.mark()
    csms.call("GetReport", {"requestId": 12, "componentVariable": [{"component": {"name": "EVSE", "evse": {"id": 2}},
                                                                    "variable": {"name": "Power"}}]})
    (power,) = report_pages(csms, 12, mark)
    # 32 A (the board file) x 230 V x 3 phases.
    assert power["variableCharacteristics"]["maxLimit"] == 22080 and power["variableCharacteristics"]["unit"] == "W"


# --- reports --------------------------------------------------------------------------------------------------------

def report_pages(csms, request_id, start, timeout=10):
    """The NotifyReport pages of one report, in arrival order, once the one with tbc false arrived."""
    last = csms.wait_call("NotifyReport", lambda p: p["requestId"] == request_id and not p.get("tbc", False),
                          start=start, timeout=timeout)
    pages = [f for f in csms.calls_from_station(start) if f.action == "NotifyReport" and f.payload["requestId"] == request_id]
    assert pages[-1] is last or pages[-1].payload == last.payload
    # B07.FR.10 / B08.FR.14: seqNo from 0, one up per page; tbc on all but the last.
    assert [p.payload["seqNo"] for p in pages] == list(range(len(pages)))
    assert [p.payload.get("tbc", False) for p in pages] == [True] * (len(pages) - 1) + [False]
    return [d for p in pages for d in p.payload.get("reportData", [])]


def identity(data):
    c, v = data["component"], data["variable"]
    evse = c.get("evse") or {}
    return (c["name"], c.get("instance"), evse.get("id"), evse.get("connectorId"), v["name"], v.get("instance"))


def file_identity(component, variable):
    evse = component.get("evse") or {}
    return (component["name"], component.get("instance"), evse.get("id"), evse.get("connectorId"), variable["name"],
            variable.get("instance"))


# The station sets these itself (Identity from --station-id, the security and network profile of the connection).
LIVE = {"DateTime", "AvailabilityState", "Power", "Problem", "Identity", "SecurityProfile", "ActiveNetworkProfile"}


def test_full_base_report_reassembled_equals_the_device_model(csms, agent, tmp_path):
    agent(components=[TEST_CTRLR])
    boot_accepted(csms)
    mark = csms.mark()
    answer = csms.call("GetBaseReport", {"requestId": 41, "reportBase": "FullInventory"})
    assert answer.payload["status"] == "Accepted"  # B07.FR.01
    data = report_pages(csms, 41, mark)
    model = json.loads((tmp_path / "agent0-device-model.json").read_text())
    expected = {file_identity(c, v): v for c in model for v in c["variables"]}
    reported = {identity(d): d for d in data}
    assert len(reported) == len(data), "a variable was reported twice"
    assert set(reported) == set(expected)  # B07.FR.08
    for key, variable in expected.items():
        d = reported[key]
        # B07.FR.11: every attribute type, with mutability, persistence and constancy.
        attributes = {a["type"]: a for a in d["variableAttribute"]}
        assert set(attributes) == {a.get("type", "Actual") for a in variable["variableAttribute"]}, key
        for a in variable["variableAttribute"]:
            got = attributes[a.get("type", "Actual")]
            assert got["mutability"] == a.get("mutability", "ReadWrite"), key
            assert got["persistent"] == a.get("persistent", False) and got["constant"] == a.get("constant", False), key
            if a.get("mutability") == "WriteOnly":
                assert "value" not in got, key
            elif key[4] not in LIVE:
                assert got["value"] == a.get("value", ""), key
        # B08.FR.12: characteristics as in the file.
        assert d["variableCharacteristics"] == {"supportsMonitoring": False, **variable["variableCharacteristics"]}, key


def test_configuration_and_summary_inventory(csms, agent):
    agent()
    boot_accepted(csms)
    mark = csms.mark()
    assert csms.call("GetBaseReport", {"requestId": 1, "reportBase": "ConfigurationInventory"}).payload["status"] == "Accepted"
    data = report_pages(csms, 1, mark)
    # B07.FR.07: only what the operator can set.
    assert data and all(any(a["mutability"] != "ReadOnly" for a in d["variableAttribute"]) for d in data)
    assert ("OCPPCommCtrlr", None, None, None, "HeartbeatInterval", None) in {identity(d) for d in data}
    mark = csms.mark()
    assert csms.call("GetBaseReport", {"requestId": 2, "reportBase": "SummaryInventory"}).payload["status"] == "Accepted"
    names = {identity(d) for d in report_pages(csms, 2, mark)}
    # B07.FR.09: availability of the station, its EVSEs and connectors.
    assert ("ChargingStation", None, None, None, "AvailabilityState", None) in names
    assert ("Connector", None, 2, 1, "AvailabilityState", None) in names


def test_get_report_filters_and_empty_result_set(csms, agent):
    agent()
    boot_accepted(csms)
    mark = csms.mark()
    # B08.FR.20/23: no variable -> all variables; no evse -> every EVSE.
    answer = csms.call("GetReport", {"requestId": 5, "componentVariable": [
        {"component": {"name": "EVSE"}},
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "MessageAttempts"}}]})
    assert answer.payload["status"] == "Accepted"
    names = {identity(d) for d in report_pages(csms, 5, mark)}
    assert ("EVSE", None, 1, None, "Power", None) in names and ("EVSE", None, 2, None, "SupplyPhases", None) in names
    # B08.FR.21: no instance -> every instance.
    assert ("OCPPCommCtrlr", None, None, None, "MessageAttempts", "TransactionEvent") in names
    assert {n[0] for n in names} == {"EVSE", "OCPPCommCtrlr"}
    mark = csms.mark()
    answer = csms.call("GetReport", {"requestId": 6, "componentCriteria": ["Available"],
                                     "componentVariable": [{"component": {"name": "Connector", "evse": {"id": 2}}}]})
    assert answer.payload["status"] == "Accepted"
    names = {identity(d) for d in report_pages(csms, 6, mark)}
    assert names and {(n[0], n[2]) for n in names} == {("Connector", 2)}
    # B08.FR.15: nothing matches.
    answer = csms.call("GetReport", {"requestId": 7, "componentCriteria": ["Problem"]})
    assert answer.payload["status"] == "EmptyResultSet"
    answer = csms.call("GetReport", {"requestId": 8, "componentVariable": [{"component": {"name": "NoSuchCtrlr"}}]})
    assert answer.payload["status"] == "EmptyResultSet"


def test_a_report_asked_for_while_pending_is_sent(csms, agent):
    """B02: the CSMS may ask for a report before it accepts the station; the pages go at once."""
    csms.boot_status, csms.boot_interval = "Pending", 60
    agent()
    csms.answer_to(csms.wait_call("BootNotification"))
    mark = csms.mark()
    assert csms.call("GetBaseReport", {"requestId": 9, "reportBase": "SummaryInventory"}).payload["status"] == "Accepted"
    assert report_pages(csms, 9, mark)


# --- loading --------------------------------------------------------------------------------------------------------

def edited_model(tmp_path, edit):
    model = json.loads(DEVICE_MODEL.read_text())
    edit(model)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(model))
    return path


def find(model, component, variable, evse=None):
    c = next(c for c in model if c["name"] == component and (evse is None or c.get("evse", {}).get("id") == evse))
    return c, next(v for v in c["variables"] if v["name"] == variable)


def set_characteristic(component, variable, **changes):
    return lambda m: find(m, component, variable)[1]["variableCharacteristics"].update(changes)


def set_value(component, variable, value):
    return lambda m: find(m, component, variable)[1]["variableAttribute"][0].update(value=value)


def duplicate(component, variable):
    def edit(m):
        c, v = find(m, component, variable)
        c["variables"].append(json.loads(json.dumps(v)))
    return edit


def remove(component, variable, evse=None):
    def edit(m):
        c, v = find(m, component, variable, evse)
        c["variables"].remove(v)
    return edit


@pytest.mark.parametrize("edit,expected", [
    (set_characteristic("OCPPCommCtrlr", "HeartbeatInterval", dataType="int"),
     '(OCPPCommCtrlr).variables[0](HeartbeatInterval).variableCharacteristics.dataType: "int" is not a DataEnumType value'),
    (set_value("OCPPCommCtrlr", "HeartbeatInterval", "0"),
     "(OCPPCommCtrlr).variables[0](HeartbeatInterval).variableAttribute[0].value: below minLimit 1"),
    (set_value("ClockCtrlr", "TimeSource", "Heartbeat,Sundial"),
     '(ClockCtrlr).variables[1](TimeSource).variableAttribute[0].value: "Sundial" is not one of'),
    (duplicate("TxCtrlr", "TxStopPoint"), "(TxCtrlr).TxStopPoint: duplicate variable"),
    (remove("ClockCtrlr", "TimeSource"), "ClockCtrlr.TimeSource: missing required variable"),
    (remove("EVSE", "Power", evse=2), "EVSE[evse 2].Power: missing required variable"),
    (set_characteristic("EVSE", "Power", dataType="integer"), "EVSE[evse 1].Power: dataType is integer, the appendix says decimal"),
])
def test_a_bad_device_model_is_refused_naming_file_component_variable_and_reason(tmp_path, edit, expected):
    path = edited_model(tmp_path, edit)
    done, _ = run_agent(["run", "--csms-url", "ws://127.0.0.1:9/x", "--station-id", "CS1", "--board", str(BOARD),
                         "--device-model", str(path), "--data-dir", str(tmp_path / "data")])
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"station-agent: device model {path}: "), line
    assert expected in line, line

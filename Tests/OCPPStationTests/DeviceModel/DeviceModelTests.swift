import Foundation
import OCPPMessages
import Testing

@testable import OCPPStation

struct DeviceModelTests {
    static let sample = """
        [
          {"name": "OCPPCommCtrlr", "variables": [
            {"name": "MessageTimeout", "instance": "Default",
             "variableAttribute": [{"type": "Actual", "value": "30", "mutability": "ReadOnly", "persistent": true, "constant": false}],
             "variableCharacteristics": {"dataType": "integer", "unit": "s", "minLimit": 1, "supportsMonitoring": false}},
            {"name": "HeartbeatInterval",
             "variableAttribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite", "persistent": true, "constant": false}],
             "variableCharacteristics": {"dataType": "integer", "minLimit": 1, "maxLimit": 86400, "supportsMonitoring": false}},
            {"name": "RetryBackOffWaitMinimum", "variableAttribute": [{"value": "0"}], "variableCharacteristics": {"dataType": "integer"}},
            {"name": "RetryBackOffRandomRange", "variableAttribute": [{"value": "0"}], "variableCharacteristics": {"dataType": "integer"}}
          ]},
          {"name": "ChargingStation", "variables": [
            {"name": "Model", "variableAttribute": [{"value": "M", "mutability": "ReadOnly"}], "variableCharacteristics": {"dataType": "string"}},
            {"name": "VendorName", "variableAttribute": [{"value": "V", "mutability": "ReadOnly"}], "variableCharacteristics": {"dataType": "string"}}
          ]},
          {"name": "Connector", "evse": {"id": 1, "connectorId": 1}, "variables": [
            {"name": "AvailabilityState", "variableAttribute": [{"value": "Available", "mutability": "ReadOnly"}],
             "variableCharacteristics": {"dataType": "OptionList", "valuesList": "Available,Occupied,Faulted"}}
          ]}
        ]
        """

    @Test func parsesAndLooksUp() throws {
        let model = try DeviceModel.parse(Self.sample, file: "dm.json")
        #expect(model.integer("OCPPCommCtrlr", "MessageTimeout", instance: "Default") == 30)
        #expect(model.lookup(VariableAttributeKey(component: "Nope", variable: "X")) == .unknownComponent)
        #expect(model.lookup(VariableAttributeKey(component: "OCPPCommCtrlr", variable: "Nope")) == .unknownVariable)
        #expect(
            model.lookup(VariableAttributeKey(component: "OCPPCommCtrlr", variable: "HeartbeatInterval", attributeType: "Target"))
                == .unsupportedAttributeType)
        // The evse address is part of the component's identity.
        #expect(
            model.lookup(VariableAttributeKey(component: "Connector", evseId: 2, connectorId: 1, variable: "AvailabilityState"))
                == .unknownComponent)
    }

    @Test func writesFollowB05() throws {
        var model = try DeviceModel.parse(Self.sample, file: "dm.json")
        let heartbeat = VariableAttributeKey(component: "OCPPCommCtrlr", variable: "HeartbeatInterval")
        #expect(model.write("60", to: heartbeat) == .accepted(persistent: true))
        #expect(model.integer("OCPPCommCtrlr", "HeartbeatInterval") == 60)
        #expect(model.write("abc", to: heartbeat) == .rejected(reason: "\"abc\" is not an integer"))  // B05.FR.07
        #expect(model.write("0", to: heartbeat) == .rejected(reason: "below minLimit 1"))  // B05.FR.08
        let timeout = VariableAttributeKey(component: "OCPPCommCtrlr", variable: "MessageTimeout", variableInstance: "Default")
        #expect(model.write("10", to: timeout) == .rejected(reason: "ReadOnly"))  // B05.FR.09
    }

    @Test(arguments: [
        ("{}", "must be a JSON list of components"),
        ("[{\"name\": \"A\", \"variables\": [], \"extra\": 1}]", "[0].extra: unknown field"),
        (
            "[{\"name\": \"A\", \"variables\": [{\"name\": \"V\", \"variableAttribute\": [{\"value\": \"1\", \"mutability\": \"Sometimes\"}], \"variableCharacteristics\": {\"dataType\": \"integer\"}}]}]",
            "mutability: \"Sometimes\" is not ReadOnly, WriteOnly or ReadWrite"
        ),
        (
            "[{\"name\": \"A\", \"variables\": [{\"name\": \"V\", \"variableAttribute\": [{\"value\": \"abc\"}], \"variableCharacteristics\": {\"dataType\": \"integer\"}}]}]",
            "value: \"abc\" is not an integer"
        ),
        ("[1,", "not valid JSON"),
    ])
    func badFilesSayWhereAndWhy(text: String, expected: String) {
        do {
            _ = try DeviceModel.parse(text, file: "dm.json")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.hasPrefix("device model dm.json: "))
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test func missingMessageTimeoutIsReported() throws {
        let model = try DeviceModel.parse("[]", file: "dm.json")
        #expect(throws: DeviceModelError.self) { try model.checkRequiredVariables(file: "dm.json") }
    }

    /// Value checks behind SetVariables (B05.FR.07/08) and loading: dataType, limits, valuesList.
    @Test(arguments: [
        (DataEnumType.integer, "12", nil as Double?, nil as Double?, nil as String?, nil as String?),
        (.integer, "1.5", nil, nil, nil, "\"1.5\" is not an integer"),
        (.integer, "0", 1, nil, nil, "below minLimit 1"),
        (.integer, "86401", nil, 86400, nil, "above maxLimit 86400"),
        (.decimal, "2.5", 0, 10, nil, nil),
        (.decimal, "nan", nil, nil, nil, "\"nan\" is not a decimal"),
        (.decimal, "-0.1", 0, nil, nil, "below minLimit 0"),
        (.boolean, "true", nil, nil, nil, nil),
        (.boolean, "True", nil, nil, nil, "\"True\" is not true or false"),
        (.dateTime, "2026-12-03T12:00:00Z", nil, nil, nil, nil),
        (.dateTime, "yesterday", nil, nil, nil, "\"yesterday\" is not an RFC 3339 date-time"),
        (.string, "abcdef", nil, 5, nil, "longer than 5 characters"),
        (.optionList, "Occupied", nil, nil, "Available,Occupied", nil),
        (.optionList, "Gone", nil, nil, "Available,Occupied", "\"Gone\" is not one of Available,Occupied"),
        (.memberList, "EVConnected,Authorized", nil, nil, "EVConnected,Authorized,PowerPathClosed", nil),
        (.memberList, "", nil, nil, "EVConnected,Authorized", nil),
        (.memberList, "EVConnected,Nope", nil, nil, "EVConnected,Authorized", "\"Nope\" is not one of EVConnected,Authorized"),
        (.memberList, "EVConnected,EVConnected", nil, nil, "EVConnected,Authorized", "EVConnected appears twice"),
        (.sequenceList, "NTP,Heartbeat", nil, nil, "Heartbeat,NTP,GPS", nil),
        (.sequenceList, "NTP,Sundial", nil, nil, "Heartbeat,NTP,GPS", "\"Sundial\" is not one of Heartbeat,NTP,GPS"),
    ])
    func valuesAreChecked(
        dataType: DataEnumType, value: String, minLimit: Double?, maxLimit: Double?, valuesList: String?, expected: String?
    ) {
        let characteristics = DeviceModel.Characteristics(
            dataType: dataType, minLimit: minLimit, maxLimit: maxLimit, valuesList: valuesList)
        #expect(DeviceModel.check(value: value, against: characteristics) == expected)
    }

    /// The required-variable list (generated from the appendix CSV) is enforced at load, naming what is missing.
    @Test func requiredVariablesAreEnforced() throws {
        let model = try DeviceModel.parse(Self.sample, file: "dm.json")
        do {
            try model.checkRequiredVariables(file: "dm.json")
            Issue.record("a model without AlignedDataCtrlr was accepted")
        } catch {
            #expect(error.description.contains("missing required variable"), "\(error.description)")
        }
        #expect(DeviceModel.requiredVariables.contains { $0.component == "OCPPCommCtrlr" && $0.variable == "ActiveNetworkProfile" && $0.dataType == .integer })
        #expect(DeviceModel.requiredVariables.contains { $0.component == "EVSE" && $0.variable == "Power" && $0.dataType == .decimal })
    }

    /// The shipped device-model.json passes every load check.
    @Test func shippedDeviceModelLoads() throws {
        let path = #filePath.split(separator: "/").dropLast(4).joined(separator: "/")
        let text = try String(contentsOfFile: "/" + path + "/device-model.json", encoding: .utf8)
        let model = try DeviceModel.parse(text, file: "device-model.json")
        try model.checkRequiredVariables(file: "device-model.json")
    }
}

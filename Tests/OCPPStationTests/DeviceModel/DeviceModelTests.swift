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
        try model.checkRequiredVariables(file: "dm.json")
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
}

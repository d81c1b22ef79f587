// B05: SetVariables. Every item goes through the device model's checks (dataType, limits, valuesList), the
// variable's own validator, DeviceDataCtrlr.ConfigurationValueSize, then is stored (on disk when persistent) and its
// effect applied: at once (Accepted) or after a reboot (RebootRequired).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func setVariables(_ request: SetVariablesRequest) async throws -> SetVariablesResponse {
        // B05.FR.11 is the CSMS's duty; answered like B06.FR.16/17.
        try checkMessageLimits("SetVariables", items: request.setVariableData.count, request.toJSON())
        var results: [SetVariableResultType] = []
        for data in request.setVariableData {
            let attributeType = data.attributeType ?? .actual  // B05.FR.12
            let key = VariableAttributeKey(data.component, data.variable, attributeType.rawValue)
            let (status, info) = await setVariable(data.attributeValue, key)
            results.append(
                SetVariableResultType(
                    attributeType: attributeType, attributeStatus: status, attributeStatusInfo: info,
                    component: data.component, variable: data.variable))
        }
        await evaluateMonitors()  // N07: a monitored variable the CSMS changed
        return SetVariablesResponse(setVariableResult: results)
    }

    func setVariable(_ value: String, _ key: VariableAttributeKey) async -> (SetVariableStatusEnumType, StatusInfoType?) {
        func rejected(_ code: String, _ reason: String? = nil) -> (SetVariableStatusEnumType, StatusInfoType?) {
            (.rejected, StatusInfoType(reasonCode: code, additionalInfo: reason.map { String($0.prefix(512)) }))
        }
        let hooks = variables[key]
        switch deviceModel.lookup(key) {
        case .unknownComponent: return (.unknownComponent, nil)  // B05.FR.04
        case .unknownVariable: return (.unknownVariable, nil)  // B05.FR.05
        case .unsupportedAttributeType: return (.notSupportedAttributeType, nil)  // B05.FR.06
        case .found(let attribute, let characteristics):
            // B05.FR.09: a ReadOnly (or constant) variable cannot be set.
            if attribute.mutability == .readOnly || attribute.constant { return rejected("ReadOnly") }
            if let limit = configurationValueSize, value.count > limit {
                return rejected("TooLargeElement", "longer than ConfigurationValueSize (\(limit))")
            }
            // B05.FR.07/08: wrongly formatted or out of range.
            if let problem = DeviceModel.check(value: value, against: characteristics) {
                return rejected(Self.reasonCode(problem), problem)
            }
            if let problem = hooks?.validate?(key, value) { return rejected("InvalidValue", problem) }
        }
        guard case .accepted(let persistent) = deviceModel.write(value, to: key) else { return rejected("InvalidValue") }
        if persistent {
            do {
                try await store.setVariableValue(value, for: key)
            } catch {
                logger.error("cannot persist \(key): \(error)")
                return rejected("InternalError")
            }
        }
        logger.info("SetVariables: \(key) = \(value)")
        switch hooks?.onSet?(self, key, value) ?? .applied {
        case .applied: return (.accepted, nil)  // B05.FR.10
        case .rebootRequired: return (.rebootRequired, nil)
        }
    }

    /// DeviceDataCtrlr.ConfigurationValueSize (or ValueSize): the longest value a set may carry.
    var configurationValueSize: Int? {
        [deviceModel.integer("DeviceDataCtrlr", "ConfigurationValueSize"), deviceModel.integer("DeviceDataCtrlr", "ValueSize")]
            .compactMap { $0 }.filter { $0 > 0 }.min()
    }

    /// The reason code (Part 2 appendix, reason codes) for a device-model check's answer.
    static func reasonCode(_ problem: String) -> String {
        if problem.hasPrefix("below minLimit") { return "ValueTooLow" }
        if problem.hasPrefix("above maxLimit") { return "ValueTooHigh" }
        if problem.hasPrefix("longer than") { return "TooLargeElement" }
        return "InvalidValue"
    }
}

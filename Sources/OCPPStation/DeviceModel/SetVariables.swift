// B05: SetVariables. Every item goes through the device model's checks (dataType, limits, valuesList), the
// variable's own validator and DeviceDataCtrlr.ConfigurationValueSize; then the persistent values of the request are
// stored in one commit (on disk before anything takes effect), and each value is set and its effect applied: at once
// (Accepted) or after a reboot (RebootRequired).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func setVariables(_ request: SetVariablesRequest) async throws -> SetVariablesResponse {
        // B05.FR.11 is the CSMS's duty; answered like B06.FR.16/17.
        try checkMessageLimits("SetVariables", items: request.setVariableData.count, request.toJSON())
        let items = request.setVariableData.map { data in
            // B05.FR.12
            (data: data, key: VariableAttributeKey(data.component, data.variable, (data.attributeType ?? .actual).rawValue))
        }
        var answers = items.map { check($0.data.attributeValue, $0.key) }
        // One commit for the request's persistent values: a 50-item request is one fsync, not 50.
        let persistent = items.indices.filter { answers[$0].status == .accepted && answers[$0].persistent }
        do {
            try await store.setVariableValues(persistent.map { (items[$0].key, items[$0].data.attributeValue) })
        } catch {
            logger.error("cannot persist \(persistent.count) variables: \(error)")
            for index in persistent { answers[index] = Answer(.rejected, StatusInfoType(reasonCode: "InternalError")) }
        }
        var results: [SetVariableResultType] = []
        for ((data, key), var answer) in zip(items, answers) {
            if answer.status == .accepted {
                _ = deviceModel.write(data.attributeValue, to: key)
                // A WriteOnly value (BasicAuthPassword) is never logged.
                logger.info("SetVariables: \(key) = \(attributeIsWriteOnly(key) ? "(WriteOnly, not shown)" : data.attributeValue)")
                // B05.FR.10, or RebootRequired when the variable takes effect only after a reboot.
                if variables[key]?.onSet?(self, key, data.attributeValue) == .rebootRequired { answer.status = .rebootRequired }
            }
            results.append(
                SetVariableResultType(
                    attributeType: data.attributeType ?? .actual, attributeStatus: answer.status, attributeStatusInfo: answer.info,
                    component: data.component, variable: data.variable))
        }
        await evaluateMonitors()  // N07: a monitored variable the CSMS changed
        return SetVariablesResponse(setVariableResult: results)
    }

    struct Answer {
        var status: SetVariableStatusEnumType
        var info: StatusInfoType?
        var persistent = false

        init(_ status: SetVariableStatusEnumType, _ info: StatusInfoType? = nil, persistent: Bool = false) {
            self.status = status
            self.info = info
            self.persistent = persistent
        }
    }

    /// Whether `value` may be set: Accepted (with the attribute's persistence) or why not.
    func check(_ value: String, _ key: VariableAttributeKey) -> Answer {
        func rejected(_ code: String, _ reason: String? = nil) -> Answer {
            Answer(.rejected, StatusInfoType(reasonCode: code, additionalInfo: reason.map { String($0.prefix(512)) }))
        }
        switch deviceModel.lookup(key) {
        case .unknownComponent: return Answer(.unknownComponent)  // B05.FR.04
        case .unknownVariable: return Answer(.unknownVariable)  // B05.FR.05
        case .unsupportedAttributeType: return Answer(.notSupportedAttributeType)  // B05.FR.06
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
            if let problem = variables[key]?.validate?(key, value) { return rejected("InvalidValue", problem) }
            // A00.FR.205, A05.FR.02/03/10: rules that depend on the station's security state (Security/).
            if let problem = securityProblem(with: value, for: key) { return rejected("InvalidValue", problem) }
            return Answer(.accepted, persistent: attribute.persistent)
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

// N04: SetVariableMonitoring.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    /// Monitor ids from here on are the station's hard-wired monitors (N04.FR.18, N06.FR.03).
    static let hardWiredMonitorIds = 900_000
    /// The most custom monitors the station keeps; beyond, a new one is Rejected.
    static let maximumMonitors = 1000

    func setVariableMonitoring(_ request: SetVariableMonitoringRequest) async throws -> SetVariableMonitoringResponse {
        // N04.FR.09
        try checkMessageLimits(
            "SetVariableMonitoring", items: request.setMonitoringData.count, request.toJSON(), component: "MonitoringCtrlr")
        var results: [SetMonitoringResultType] = []
        for data in request.setMonitoringData {
            var (status, info, id) = setMonitor(data)
            if status == .accepted, let id, let monitor = monitoring.monitors[id] {
                do {
                    try await store.saveMonitor(id: id, monitor.storedText)  // N07.FR.13
                } catch {
                    logger.error("cannot persist monitor \(id): \(error)")
                    monitoring.remove(id)
                    (status, info) = (.rejected, StatusInfoType(reasonCode: "InternalError"))
                }
            }
            results.append(
                SetMonitoringResultType(
                    id: status == .accepted ? id : data.id, statusInfo: info, status: status, type: data.type,
                    component: data.component, variable: data.variable, severity: data.severity))
        }
        // N07.FR.11: a new or changed threshold is checked against the value now.
        await evaluateMonitors()
        monitorWakeup.wake()
        return SetVariableMonitoringResponse(setMonitoringResult: results)
    }

    private func setMonitor(_ data: SetMonitoringDataType) -> (SetMonitoringStatusEnumType, StatusInfoType?, Int?) {
        func rejected(_ code: String, _ info: String) -> (SetMonitoringStatusEnumType, StatusInfoType?, Int?) {
            (.rejected, StatusInfoType(reasonCode: code, additionalInfo: info), nil)
        }
        let key = VariableAttributeKey(data.component, data.variable, AttributeEnumType.actual.rawValue)
        let characteristics: DeviceModel.Characteristics
        switch deviceModel.lookup(key) {
        case .unknownComponent: return (.unknownComponent, nil, nil)  // N04.FR.03
        case .unknownVariable, .unsupportedAttributeType: return (.unknownVariable, nil, nil)  // N04.FR.04
        case .found(_, let found): characteristics = found
        }
        let numeric = characteristics.dataType == .integer || characteristics.dataType == .decimal
        // N04.FR.05: only variables that support monitoring; thresholds only on numbers.
        if !characteristics.supportsMonitoring || (!numeric && (data.type == .upperThreshold || data.type == .lowerThreshold)) {
            return (.unsupportedMonitorType, nil, nil)
        }
        switch data.type {
        case .upperThreshold, .lowerThreshold:
            // N04.FR.06
            if let min = characteristics.minLimit, data.value < min { return rejected("ValueTooLow", "below the variable's minLimit") }
            if let max = characteristics.maxLimit, data.value > max { return rejected("ValueTooHigh", "above the variable's maxLimit") }
        case .delta:
            if data.value < 0 { return rejected("ValuePositiveOnly", "a Delta monitor's value cannot be negative") }  // N04.FR.14
        case .periodic, .periodicClockAligned:
            if data.value < 1 { return rejected("ValueTooLow", "a period of at least 1 second") }
        }
        if !(0...9).contains(data.severity) { return rejected("ValueOutOfRange", "severity is 0 to 9") }
        if let id = data.id {
            guard let existing = monitoring.monitors[id] else { return rejected("NotFound", "no monitor \(id)") }  // N04.FR.13
            if existing.kind == .hardWiredMonitor { return rejected("ReadOnly", "monitor \(id) is hard-wired") }  // N04.FR.18
            if existing.key != key { return rejected("InvalidValue", "monitor \(id) watches another variable") }  // N04.FR.16
        }
        // N04.FR.10: one monitor per variable, type and severity.
        if monitoring.monitors.values.contains(where: {
            $0.key == key && $0.type == data.type && $0.severity == data.severity && $0.id != data.id
        }) {
            return (.duplicate, nil, nil)
        }
        if data.id == nil && monitoring.monitors.values.filter({ $0.kind == .customMonitor }).count >= Self.maximumMonitors {
            return rejected("TooManyElements", "at most \(Self.maximumMonitors) monitors")
        }
        // N04.FR.11/12 (a replaced preconfigured monitor becomes a custom one, N04.FR.15).
        let id = data.id ?? monitoring.newId()
        monitoring.put(
            VariableMonitor(
                id: id, key: key, type: data.type, value: data.value, severity: data.severity, transaction: data.transaction ?? false))
        logger.info("monitor \(id): \(data.type.rawValue) \(data.value) on \(key), severity \(data.severity)")
        return (.accepted, nil, id)
    }
}

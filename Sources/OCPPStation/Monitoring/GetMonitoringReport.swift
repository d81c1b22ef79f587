// N02: GetMonitoringReport, sent as NotifyMonitoringReport pages.
internal import OCPPMessages

extension ChargingStation {
    func getMonitoringReport(_ request: GetMonitoringReportRequest) throws -> (GetMonitoringReportResponse, (@Sendable () async -> Void)?) {
        try checkMessageLimits("GetReport", items: request.componentVariable?.count ?? 0, request.toJSON())  // N02.FR.07
        let wanted = request.componentVariable ?? []
        let criteria = request.monitoringCriteria ?? []
        let selected = monitoring.sorted.filter { monitor in
            // N02.FR.05/06/08/11-14, N02.FR.16-21 (as GetReport's componentVariable).
            (wanted.isEmpty || wanted.contains { Self.matches($0, monitor.key) })
                && (criteria.isEmpty || criteria.contains { criterion in
                    switch criterion {
                    case .thresholdMonitoring: return monitor.type == .upperThreshold || monitor.type == .lowerThreshold
                    case .deltaMonitoring: return monitor.type == .delta
                    case .periodicMonitoring: return monitor.type == .periodic || monitor.type == .periodicClockAligned
                    }
                })
        }
        if selected.isEmpty { return (GetMonitoringReportResponse(status: .emptyResultSet), nil) }  // N02.FR.10
        // One MonitoringData per variable, with its monitors.
        var grouped: [(VariableAttributeKey, [VariableMonitoringType])] = []
        for monitor in selected {
            let entry = VariableMonitoringType(
                id: monitor.id, transaction: monitor.transaction, value: monitor.value, type: monitor.type, severity: monitor.severity)
            if let index = grouped.firstIndex(where: { $0.0 == monitor.key }) {
                grouped[index].1.append(entry)
            } else {
                grouped.append((monitor.key, [entry]))
            }
        }
        let data = grouped.map { MonitoringDataType(component: $0.0.componentType, variable: $0.0.variableType, variableMonitoring: $0.1) }
        let generatedAt = now()
        let pages = stride(from: 0, to: data.count, by: Self.reportPageSize).map { Array(data[$0..<min($0 + Self.reportPageSize, data.count)]) }
        // N02.FR.09: seqNo from 0; N02.FR.04: the same requestId.
        let requests = pages.enumerated().map { seqNo, page in
            NotifyMonitoringReportRequest(
                monitor: page, requestId: request.requestId, tbc: seqNo < pages.count - 1 ? true : nil, seqNo: seqNo,
                generatedAt: generatedAt)
        }
        return (GetMonitoringReportResponse(status: .accepted), { [weak self] in await self?.sendReport(requests) })  // N02.FR.01/03
    }

    static func matches(_ wanted: ComponentVariableType, _ key: VariableAttributeKey) -> Bool {
        let component = DeviceModel.Component(
            name: key.component, instance: key.componentInstance, evseId: key.evseId, connectorId: key.connectorId, variables: [])
        let variable = DeviceModel.Variable(
            name: key.variable, instance: key.variableInstance, attributes: [], characteristics: .init(dataType: .string))
        return matches(wanted, component, variable)
    }
}

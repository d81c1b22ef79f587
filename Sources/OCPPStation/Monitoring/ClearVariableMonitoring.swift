// N06: ClearVariableMonitoring.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func clearVariableMonitoring(_ request: ClearVariableMonitoringRequest) async throws -> ClearVariableMonitoringResponse {
        // N06.FR.06/07
        try checkMessageLimits("ClearVariableMonitoring", items: request.id.count, request.toJSON(), component: "MonitoringCtrlr")
        var results: [ClearMonitoringResultType] = []
        for id in request.id {
            guard let monitor = monitoring.monitors[id] else {
                results.append(ClearMonitoringResultType(status: .notFound, id: id))  // N06.FR.02
                continue
            }
            if monitor.kind == .hardWiredMonitor {
                results.append(ClearMonitoringResultType(status: .rejected, id: id))  // N06.FR.03
                continue
            }
            // N07.FR.12: a tripped threshold that is removed sends no cleared event.
            monitoring.remove(id)
            await forgetMonitors([id])
            results.append(ClearMonitoringResultType(status: .accepted, id: id))  // N06.FR.01, N06.FR.05
        }
        return ClearVariableMonitoringResponse(clearMonitoringResult: results)
    }

    func forgetMonitors(_ ids: [Int]) async {
        do {
            try await store.removeMonitors(ids: ids)
        } catch {
            logger.error("cannot remove monitors \(ids) from the store: \(error)")
        }
    }
}

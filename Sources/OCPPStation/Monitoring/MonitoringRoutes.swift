// Block N: the CALLs monitoring answers.
internal import OCPPMessages

extension ChargingStation {
    static let monitoringRoutes: [ActionRoute] = [
        .reply(SetVariableMonitoringRequest.self) { station, request in try await station.setVariableMonitoring(request) },
        .reply(ClearVariableMonitoringRequest.self) { station, request in try await station.clearVariableMonitoring(request) },
        .reply(SetMonitoringBaseRequest.self) { station, request in await station.setMonitoringBase(request) },
        .reply(SetMonitoringLevelRequest.self) { station, request in await station.setMonitoringLevel(request) },
        // N02: the NotifyMonitoringReport pages follow the answer.
        .replyThenRun(GetMonitoringReportRequest.self) { station, request in try station.getMonitoringReport(request) },
    ]
}

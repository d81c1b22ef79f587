// Block B (device model part): the CALLs the device model answers.
internal import OCPPMessages

extension ChargingStation {
    static let deviceModelRoutes: [ActionRoute] = [
        .reply(GetVariablesRequest.self) { station, request in try station.getVariables(request) },
        .reply(SetVariablesRequest.self) { station, request in try await station.setVariables(request) },
        // B07/B08: the NotifyReport pages follow the answer.
        .replyThenRun(GetBaseReportRequest.self) { station, request in station.getBaseReport(request) },
        .replyThenRun(GetReportRequest.self) { station, request in try station.getReport(request) },
    ]
}

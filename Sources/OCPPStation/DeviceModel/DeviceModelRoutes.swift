// Block B (device model part): the CALLs the device model answers.
internal import OCPPMessages

extension ChargingStation {
    static let deviceModelRoutes: [ActionRoute] = [
        .reply(GetVariablesRequest.self) { station, request in try station.getVariables(request) },
        // A new BasicAuthPassword is used by reconnecting once the response is sent (A01).
        .replyThenRun(SetVariablesRequest.self) { station, request in
            (try await station.setVariables(request), station.reconnectIfRequested())
        },
        // B07/B08: the NotifyReport pages follow the answer.
        .replyThenRun(GetBaseReportRequest.self) { station, request in station.getBaseReport(request) },
        .replyThenRun(GetReportRequest.self) { station, request in try station.getReport(request) },
    ]
}

// Block F: remote control.
internal import OCPPMessages

extension ChargingStation {
    static let remoteControlRoutes: [ActionRoute] = [
        .replyThenRun(TriggerMessageRequest.self) { station, request in station.triggerMessage(request) },
        .replyThenRun(RequestStartTransactionRequest.self) { station, request in station.requestStartTransaction(request) },
        .replyThenRun(RequestStopTransactionRequest.self) { station, request in station.requestStopTransaction(request) },
    ]
}

// F03: RequestStopTransaction. Accepted for an ongoing transaction (F03.FR.07), Rejected otherwise (F03.FR.08) and
// while the boot is Pending (B02.FR.05). The stop runs after the answer is sent.
internal import OCPPMessages

extension ChargingStation {
    func requestStopTransaction(
        _ request: RequestStopTransactionRequest
    ) -> (RequestStopTransactionResponse, (@Sendable () async -> Void)?) {
        guard boot.registration == .accepted else {
            return (RequestStopTransactionResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "NotAccepted")), nil)
        }
        guard engine.transaction(id: request.transactionId) != nil else {
            return (RequestStopTransactionResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "UnknownTransaction")), nil)
        }
        let sink = inputSink
        let id = request.transactionId
        return (RequestStopTransactionResponse(status: .accepted), { sink.yield(.remoteStop(transactionId: id)) })
    }
}

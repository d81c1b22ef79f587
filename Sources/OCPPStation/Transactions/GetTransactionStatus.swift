// E14: GetTransactionStatus, from the outbox itself.
internal import OCPPMessages

extension ChargingStation {
    func getTransactionStatus(_ request: GetTransactionStatusRequest) async throws -> GetTransactionStatusResponse {
        do {
            guard let id = request.transactionId else {
                // E14.FR.06-08: without a transactionId, whether any transaction-related message is queued (a queued
                // security event does not count); ongoingIndicator is omitted.
                return GetTransactionStatusResponse(messagesInQueue: try await outbox.countTransactionMessages() > 0)
            }
            // E14.FR.02-05: per transaction.
            return GetTransactionStatusResponse(
                ongoingIndicator: engine.transaction(id: id) != nil,
                messagesInQueue: try await outbox.count(transactionId: id) > 0)
        } catch {
            throw OCPPCallError(.internalError, "cannot read the outbox")
        }
    }
}

// Block E: transactions.
internal import OCPPMessages

extension ChargingStation {
    static let transactionRoutes: [ActionRoute] = [
        .reply(GetTransactionStatusRequest.self) { station, request in try await station.getTransactionStatus(request) },
    ]
}

// N09/N10: CustomerInformation, for what this station holds about a customer: the authorization cache entry and the
// Local Authorization List entry of an idToken. Invalid unless exactly one identifier is given (N09.FR.09); Rejected
// when neither report nor clear is asked (N09.FR.07, N10.FR.07). After the answer, one NotifyCustomerInformation
// (through the outbox, so after the response and never lost): what is held (N09.FR.05) or that nothing is
// (N09.FR.06, N10.FR.04); with clear, the cache entry is removed, never the local list, which only SendLocalList
// changes (N10.FR.03/06, D01.FR.09). Certificates and customerIdentifiers: nothing is stored under them here.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func customerInformation(_ request: CustomerInformationRequest) -> (CustomerInformationResponse, (@Sendable () async -> Void)?) {
        let identifiers = [request.idToken != nil, request.customerCertificate != nil, request.customerIdentifier != nil]
        guard identifiers.filter({ $0 }).count == 1 else {
            return (CustomerInformationResponse(status: .invalid, statusInfo: StatusInfoType(reasonCode: "InvalidValue")), nil)
        }
        guard request.report || request.clear else {
            return (CustomerInformationResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "MissingParam", additionalInfo: "neither report nor clear")), nil)
        }
        return (CustomerInformationResponse(status: .accepted), { [weak self] in await self?.reportCustomerInformation(request) })
    }

    func reportCustomerInformation(_ request: CustomerInformationRequest) async {
        var lines: [String] = []
        if let token = request.idToken {
            if let entry = localAuthorization.list.entry(for: token) {
                lines.append("LocalAuthorizationList: \(entry.idToken.toJSON().serialized()) \(entry.idTokenInfo.toJSON().serialized())")
            }
            if let entry = localAuthorization.cache.entries[token.authorizationKey] {
                lines.append("AuthorizationCache: \(entry.idToken.toJSON().serialized()) \(entry.idTokenInfo.toJSON().serialized())")
                if request.clear {
                    _ = localAuthorization.cache.remove(token)
                    await persistCache(saving: [], removing: [token.authorizationKey])
                    lines.append("AuthorizationCache entry cleared")
                }
            }
        }
        let data =
            lines.isEmpty ? "No data found"  // N09.FR.06, N10.FR.04
            : request.report ? lines.joined(separator: "\n") : "Cleared"  // N09.FR.05, N10.FR.03 / N10.FR.06
        // customerData is at most 512 characters: longer reports are split over several messages (tbc).
        let chunks = stride(from: 0, to: max(data.count, 1), by: 512).map { start in
            String(data.dropFirst(start).prefix(512))
        }
        let generatedAt = now()
        for (seqNo, chunk) in chunks.enumerated() {
            let notify = NotifyCustomerInformationRequest(
                data: chunk, tbc: seqNo < chunks.count - 1 ? true : nil, seqNo: seqNo, generatedAt: generatedAt, requestId: request.requestId)
            await queue(NewOutboxMessage(action: OCPPAction.notifyCustomerInformation.rawValue, payload: notify.toJSON().serialized()))
        }
    }

    static let diagnosticsRoutes: [ActionRoute] = [
        .replyThenRun(CustomerInformationRequest.self) { station, request in station.customerInformation(request) },
    ]
}

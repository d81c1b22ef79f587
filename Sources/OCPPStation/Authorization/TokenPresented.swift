// C01 with E07/E08: a token presented at the station (an RFID card on the sim board's `tap`). It stops the session
// it started (the same idToken, or one of its group, E08.FR.01/02), or is authorized for an EVSE.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    var authorizer: any IdTokenAuthorizer {
        authorizerOverride ?? CSMSIdTokenAuthorizer(call: { [weak self] request in
            guard let self else { throw RPCCallFailure(action: "Authorize", kind: .connectionClosed) }
            return try await self.callCSMS(request)
        })
    }

    /// A CALL on the current connection, once the boot is accepted; fails at once when offline.
    func callCSMS<Request: OCPPRequest>(_ request: Request) async throws -> Request.Response {
        guard let rpc = session, boot.maySendUnprompted else {
            throw RPCCallFailure(action: Request.action.rawValue, kind: .connectionClosed)
        }
        return try await rpc.call(request, timeout: messageTimeout)
    }

    var offlineTxForUnknownId: Bool { deviceModel.string("AuthCtrlr", "OfflineTxForUnknownIdEnabled") == "true" }

    func tokenPresented(_ token: IdTokenType, evse: Int?) async {
        let sessions = engine.sessions.values.sorted { $0.evseId < $1.evseId }.filter { evse == nil || $0.evseId == evse }
        // E08.FR.01 (and E09.FR.03: a cable kept locked is released by the same idToken).
        if let target = sessions.first(where: {
            $0.authorization?.mayStop(with: token, group: nil) == true || $0.lockedUntilToken?.mayStop(with: token, group: nil) == true
        }) {
            await step(target.evseId) { $0.handle(.stopAuthorized(by: token), evse: target.evseId, $1) }
            return
        }
        let info = await authorizer.authorize(token)
        // E08.FR.02: a token of the same group stops it too.
        if let group = info?.groupIdToken, info?.status == .accepted,
            let target = sessions.first(where: { $0.authorization?.mayStop(with: token, group: group) == true })
        {
            await step(target.evseId) { $0.handle(.stopAuthorized(by: token), evse: target.evseId, $1) }
            return
        }
        guard AuthorizationDecision.accepts(info, offline: isOffline, offlineTxForUnknownId: offlineTxForUnknownId) else {
            logger.info("idToken \(token.idToken) not authorized: \(info?.status.rawValue ?? "no answer")")
            return
        }
        // The EVSE: the one named, else one with a cable waiting for authorization, else the first free one.
        let free = sessions.filter { $0.authorization == nil && $0.faults.isEmpty && $0.lockedUntilToken == nil }
        guard let target = free.first(where: { $0.pluggedConnector != nil }) ?? free.first(where: { $0.transaction == nil }) ?? free.first
        else {
            logger.info("idToken \(token.idToken) authorized, but no EVSE is free for it")
            return
        }
        let authorization = SessionAuthorization(idToken: token, groupIdToken: info?.groupIdToken)
        await step(target.evseId) { $0.handle(.authorized(authorization, trigger: .authorized), evse: target.evseId, $1) }
    }
}

// C01 with E07/E08, C16: a token presented at the station (an RFID card on the sim board's `tap`). It stops the
// session it started (the same idToken, or one of its group, E08.FR.01/02), stops every session if it is a master
// pass (C16), or is authorized for an EVSE (C01.FR.21: only those its idTokenInfo allows).
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

    /// C16: a groupIdToken equal to AuthCtrlr.MasterPassGroupId.
    func isMasterPass(_ group: IdTokenType?) -> Bool {
        guard let group, let master = AuthorizationSettings(deviceModel).masterPassGroupId else { return false }
        return group.idToken == master
    }

    func tokenPresented(_ token: IdTokenType, evse: Int?) async {
        let sessions = engine.sessions.values.sorted { $0.evseId < $1.evseId }.filter { evse == nil || $0.evseId == evse }
        // E08.FR.01, C01.FR.03: the same idToken ends its authorization without asking (E09.FR.03: a cable kept
        // locked is released by it too).
        if let target = sessions.first(where: {
            $0.authorization?.mayStop(with: token, group: nil) == true || $0.lockedUntilToken?.mayStop(with: token, group: nil) == true
        }) {
            await step(target.evseId) { $0.handle(.stopAuthorized(by: token), evse: target.evseId, $1) }
            return
        }
        let outcome = await authorize(token)
        let group = outcome.info?.groupIdToken
        if outcome.accepted, isMasterPass(group) {
            // C16.FR.02: a master pass (no UI on this station) stops every ongoing transaction; C16.FR.03: it starts none.
            logger.info("idToken \(token.idToken) is a master pass: stopping every transaction")
            for id in engine.sessions.keys.sorted() where engine.session(id)?.transaction != nil {
                await step(id) { $0.handle(.forcedEnd(.masterPass, trigger: .stopAuthorized, by: token), evse: id, $1) }
            }
            return
        }
        // E08.FR.02: a token of the same group stops it too.
        if let group, outcome.accepted,
            let target = sessions.first(where: { $0.authorization?.mayStop(with: token, group: group) == true })
        {
            await step(target.evseId) { $0.handle(.stopAuthorized(by: token), evse: target.evseId, $1) }
            return
        }
        guard outcome.accepted else {
            logger.info("idToken \(token.idToken) not authorized: \(outcome.info?.status.rawValue ?? "no answer")")
            return
        }
        // C01.FR.21: only the EVSEs the idTokenInfo names, when it names any.
        let allowed = outcome.info?.evseId.flatMap { $0.isEmpty ? nil : Set($0) }
        let free = sessions.filter {
            $0.authorization == nil && $0.faults.isEmpty && $0.lockedUntilToken == nil && (allowed?.contains($0.evseId) ?? true)
                && mayStartSession(on: $0.evseId, for: token, group: group)
        }
        // The EVSE: the one named, else one with a cable waiting for authorization, else one reserved for this token,
        // else the first free one.
        let held = heldEVSEs
        guard
            let target = free.first(where: { $0.pluggedConnector != nil })
                ?? free.first(where: { held[$0.evseId] != nil }) ?? free.first(where: { $0.transaction == nil }) ?? free.first
        else {
            logger.info("idToken \(token.idToken) authorized, but no EVSE is free for it")
            return
        }
        let reservationId = await consumeReservation(for: token, group: group, on: target.evseId)
        let authorization = SessionAuthorization(idToken: token, groupIdToken: group, reservationId: reservationId)
        await step(target.evseId) { $0.handle(.authorized(authorization, trigger: .authorized), evse: target.evseId, $1) }
    }
}

// F01/F02: RequestStartTransaction. Answered at once; the start itself runs after the answer is sent, in order with
// the hardware events (with AuthorizeRemoteStart the idToken is authorized first, F01.FR.01). While the boot is
// Pending it is Rejected (B02.FR.05). A chargingProfile (F01.FR.08) must be a TxProfile without transactionId
// (F01.FR.09/11, else Rejected InvalidProfile/InvalidSchedule, F01.FR.26); it is kept with the transaction it starts
// and sets its EVSE's current limit while it runs (F01.FR.10, SmartCharging/TxProfile.swift).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func requestStartTransaction(
        _ request: RequestStartTransactionRequest
    ) -> (RequestStartTransactionResponse, (@Sendable () async -> Void)?) {
        func rejected(_ reason: String, _ info: String? = nil) -> (RequestStartTransactionResponse, (@Sendable () async -> Void)?) {
            (RequestStartTransactionResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: reason, additionalInfo: info)), nil)
        }
        guard boot.registration == .accepted else { return rejected("NotAccepted", "boot is pending") }
        // F01.FR.26: a profile that is no TxProfile, names a transaction or has an unusable schedule.
        if let profile = request.chargingProfile, let problem = TxProfile.problem(with: profile) { return rejected(problem) }
        // C12.FR.09, C16.FR.03: a master pass starts no transaction.
        if isMasterPass(request.groupIdToken) { return rejected("InvalidIdToken", "a master pass starts no transaction") }
        let sessions = engine.sessions.values.sorted { $0.evseId < $1.evseId }
        let chosen: EVSESession?
        if let evseId = request.evseId {
            chosen = engine.session(evseId)
            if chosen == nil { return rejected("UnknownEvse") }
        } else {
            // F01.FR.20: the station selects an EVSE: one with a cable or transaction waiting for authorization first.
            let free = sessions.filter {
                $0.authorization == nil && $0.faults.isEmpty && mayStartSession(on: $0.evseId, for: request.idToken, group: request.groupIdToken)
            }
            chosen = free.first(where: { $0.transaction != nil || $0.pluggedConnector != nil }) ?? free.first
        }
        guard let session = chosen else { return rejected("NoEvseAvailable") }
        // F01.FR.23: Unavailable or Faulted.
        if !session.faults.isEmpty || physical[session.evseId]?.faults.isEmpty == false { return rejected("Faulted") }
        if !mayStartSession(on: session.evseId, for: request.idToken, group: request.groupIdToken) { return rejected("Unavailable") }
        // F01.FR.24: Occupied with an authorized transaction.
        if session.authorization != nil { return rejected("OccupiedAuthorized", "EVSE \(session.evseId) has an authorized session") }
        let sink = inputSink
        let evse = session.evseId
        // F01.FR.13: a transaction created but not authorized yet is adopted; its id is returned.
        return (
            RequestStartTransactionResponse(status: .accepted, transactionId: session.transaction?.id),
            { sink.yield(.remoteStart(request, evse: evse)) }
        )
    }

    func remoteStart(_ request: RequestStartTransactionRequest, evse: Int) async {
        var group = request.groupIdToken
        if deviceModel.string("AuthCtrlr", "AuthorizeRemoteStart") == "true" {
            // F01.FR.01: as if presented locally.
            let outcome = await authorize(request.idToken)
            guard outcome.accepted else {
                logger.info("remote start \(request.remoteStartId): idToken not authorized (\(outcome.info?.status.rawValue ?? "no answer"))")
                return
            }
            group = outcome.info?.groupIdToken ?? group
            if isMasterPass(group) {
                logger.info("remote start \(request.remoteStartId): a master pass starts no transaction (C16.FR.03)")
                return
            }
        }
        // F01.FR.02/19: authorized without a check; the next TransactionEvent says RemoteStart and its remoteStartId.
        let reservationId = await consumeReservation(for: request.idToken, group: group, on: evse)
        let authorization = SessionAuthorization(
            idToken: request.idToken, groupIdToken: group, remoteStartId: request.remoteStartId, reservationId: reservationId,
            chargingProfile: request.chargingProfile)
        await step(evse) { $0.handle(.authorized(authorization, trigger: .remoteStart), evse: evse, $1) }
    }
}

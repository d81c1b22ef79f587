// B11/B12: Reset, of the station or of one EVSE. The station answers, persists the reason for the next
// BootNotification, ends its transactions as B12 says, and stops; the caller reboots (re-executes the agent with the
// same arguments, or runs the board's reboot command).
//
// OnIdle while the station is not idle (a transaction, a pending reservation or a locked cable, errata 2.14):
// Scheduled (B11.FR.07, B12.FR.01); meanwhile idle EVSEs are Unavailable and take no new session, and the station
// reboots with reason ScheduledReset once the last transaction ended and its events were delivered (B12.FR.03).
// Immediate: Accepted (B12.FR.02), every transaction ends with ImmediateReset (B12.FR.04), reason RemoteReset.
// What the CSMS set (Unavailable, reservations) is persisted and survives the reboot (B11.FR.02/05, B12.FR.06).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func reset(_ request: ResetRequest) async -> (ResetResponse, (@Sendable () async -> Void)?) {
        if let evse = request.evseId { return resetEVSE(evse, request.type) }
        if request.type == .onIdle && !isIdle {
            // The reason (ScheduledReset) is persisted when the reset goes ahead, not now: a power cut meanwhile is
            // a power-up.
            changeStatusInputs { self.resetWhenIdle = true }
            logger.info("Reset OnIdle scheduled: waiting until the station is idle")
            return (ResetResponse(status: .scheduled), nil)
        }
        do {
            // Persist first: after the reboot, BootNotification says why (B01.FR.09).
            try await store.setValue(BootReasonEnumType.remoteReset.rawValue, forKey: StoreKeys.bootReason)
        } catch {
            logger.error("cannot persist the reset reason: \(error)")
            return (ResetResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "InternalError")), nil)
        }
        let sink = inputSink
        let type = request.type
        logger.info("Reset \(request.type.rawValue) accepted: rebooting after the response is sent")
        return (ResetResponse(status: .accepted), { sink.yield(.reset(type)) })
    }

    /// Errata 2.14: idle is no transaction, no pending reservation, no cable locked.
    var isIdle: Bool {
        reservations.isEmpty && !engine.sessions.values.contains { $0.transaction != nil || $0.locked || $0.lockedUntilToken != nil }
    }

    /// B11.FR.08 / B12.FR.07/08: one EVSE. It has no software of its own to restart: resetting it ends its
    /// transaction (Immediate: at once, ImmediateReset; OnIdle: Scheduled, the transaction ends normally), opens its
    /// contactor and releases its lock. Rejected where EVSE.AllowReset is false (B11.FR.09, B11.FR.10).
    func resetEVSE(_ evse: Int, _ type: ResetEnumType) -> (ResetResponse, (@Sendable () async -> Void)?) {
        guard board.evses.contains(where: { $0.id == evse }) else {
            return (ResetResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "UnknownEvse")), nil)
        }
        let allowed = deviceModel.value(VariableAttributeKey(component: "EVSE", evseId: evse, variable: "AllowReset"))
        guard allowed == "true" else {
            return (ResetResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "UnsupportedRequest")), nil)
        }
        if type == .onIdle && engine.session(evse)?.transaction != nil {
            logger.info("Reset OnIdle of EVSE \(evse) scheduled: after its transaction")
            return (ResetResponse(status: .scheduled), nil)
        }
        let sink = inputSink
        return (ResetResponse(status: .accepted), { sink.yield(.resetEVSE(evse)) })
    }

    func resetEVSENow(_ evse: Int) async {
        await step(evse) { $0.handle(.forcedEnd(.immediateReset, trigger: .resetCommand), evse: evse, $1) }
        await perform([.contactor(evse: evse, closed: false)])
        if engine.session(evse)?.lockedUntilToken == nil { await perform([.lock(evse: evse, locked: false)]) }
        logger.info("EVSE \(evse) reset")
    }

    /// B12.FR.04: an Immediate reset ends every transaction (ImmediateReset) and tries to deliver the Ended events
    /// first; what is not delivered within MessageTimeout stays queued for after the reboot (B12.FR.05).
    func resetNow(_ type: ResetEnumType) async {
        for evse in board.evses.map(\.id) where engine.session(evse)?.transaction != nil {
            await step(evse) { $0.handle(.forcedEnd(.immediateReset, trigger: .resetCommand), evse: evse, $1) }
        }
        await rebootAfterDelivery()
    }

    /// A Scheduled reset goes ahead once the station is idle.
    func resetIfIdle() async {
        guard resetWhenIdle, !resetRequested, !scheduledResetGoing, isIdle else { return }
        scheduledResetGoing = true
        do {
            try await store.setValue(BootReasonEnumType.scheduledReset.rawValue, forKey: StoreKeys.bootReason)
        } catch {
            logger.error("cannot persist the reset reason: \(error)")
        }
        await rebootAfterDelivery()
    }

    /// Gives the queued messages MessageTimeout to leave, then stops the station for the reboot (online or not).
    private func rebootAfterDelivery() async {
        await waitForOutboxDelivered(timeout: messageTimeout)
        resetRequested = true
        signalSink.yield(.reset)
        resetWakeup.wake()
    }
}

// B11/B12: Reset. The station answers, persists the reason for the next BootNotification, ends its transactions as
// B12 says, and stops; the caller reboots (re-executes the agent with the same arguments, or runs the board's
// reboot command).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func reset(_ request: ResetRequest) async -> (ResetResponse, (@Sendable () async -> Void)?) {
        if request.evseId != nil {
            // B11.FR.09 / B12.FR.09: resetting one EVSE is not supported by this station.
            return (ResetResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "UnsupportedRequest",
                additionalInfo: "resetting a single EVSE is not supported")), nil)
        }
        do {
            // Persist first: after the reboot, BootNotification says RemoteReset (B01.FR.09).
            try await store.setValue(BootReasonEnumType.remoteReset.rawValue, forKey: StoreKeys.bootReason)
        } catch {
            logger.error("cannot persist the reset reason: \(error)")
            return (ResetResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "InternalError")), nil)
        }
        if request.type == .onIdle && engine.sessions.values.contains(where: { $0.transaction != nil }) {
            // B12.FR.01/03: Scheduled; the transactions end normally, then the station resets.
            resetWhenIdle = true
            logger.info("Reset OnIdle scheduled: waiting for the transactions to end")
            return (ResetResponse(status: .scheduled), nil)
        }
        let sink = inputSink
        let type = request.type
        logger.info("Reset \(request.type.rawValue) accepted: rebooting after the response is sent")
        return (ResetResponse(status: .accepted), { sink.yield(.reset(type)) })
    }

    /// B12.FR.04: an Immediate reset ends every transaction (ImmediateReset) and tries to deliver the Ended events
    /// first; what is not delivered within MessageTimeout stays queued for after the reboot (B12.FR.05).
    func resetNow(_ type: ResetEnumType) async {
        for evse in board.evses.map(\.id) where engine.session(evse)?.transaction != nil {
            await step(evse) { $0.handle(.forcedEnd(.immediateReset, trigger: .resetCommand), evse: evse, $1) }
        }
        await rebootAfterDelivery()
    }

    /// An OnIdle reset goes ahead once no transaction is left.
    func resetIfIdle() async {
        guard resetWhenIdle, !resetRequested, !engine.sessions.values.contains(where: { $0.transaction != nil }) else { return }
        resetWhenIdle = false
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

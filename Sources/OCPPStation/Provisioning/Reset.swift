// B11/B12: Reset. The station answers, persists the reason for the next BootNotification, and stops; the caller
// reboots (re-executes the agent with the same arguments, or runs the board's reboot command).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func reset(_ request: ResetRequest) async -> (ResetResponse, (@Sendable () async -> Void)?) {
        if request.evseId != nil {
            // B11.FR.09: resetting one EVSE is not supported by this station.
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
        // No transactions exist yet in this build, so Immediate and OnIdle both reset now (B12.FR.01 applies once
        // transactions do).
        resetRequested = true
        let sink = signalSink
        logger.info("Reset \(request.type.rawValue) accepted: rebooting after the response is sent")
        return (ResetResponse(status: .accepted), { sink.yield(.reset) })
    }
}

// A04: security events. Every event the station detects goes to the security log; those the Part 2 appendix
// marks critical are also sent as SecurityEventNotification through the durable outbox: they keep the time they
// happened and are delivered after an outage or a crash too (A04.FR.02). After every boot: StartupOfTheDevice
// after a power-up, ResetOrReboot after a reset.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    /// The events the Part 2 appendix (security events) marks critical: pushed to the CSMS (A04.FR.01).
    static let criticalSecurityEvents: Set<String> = [
        "FirmwareUpdated", "SettingSystemTime", "StartupOfTheDevice", "ResetOrReboot", "SecurityLogWasCleared",
        "MemoryExhaustion", "TamperDetectionActivated", "InvalidFirmwareSignature", "InvalidFirmwareSigningCertificate",
        "InvalidCsmsCertificate", "InvalidChargingStationCertificate", "InvalidTLSVersion", "InvalidTLSCipherSuite",
        "MaintenanceLoginAccepted", "MaintenanceLoginFailed",
        // Errata 2025-01, A02.FR.29: the CSMS must learn that a renewal was undone, to trigger another.
        "DiscardedRenewedClientCertificate",
    ]

    /// Records a security event in the security log and, when critical, queues its SecurityEventNotification.
    /// `techInfo` must never hold a secret.
    func securityEvent(_ type: String, techInfo: String? = nil) async {
        let timestamp = now()
        logger.notice("security event \(type)\(techInfo.map { ": \($0)" } ?? "")")
        await securityLog?.record(type: type, timestamp: timestamp.rfc3339, techInfo: techInfo)
        guard Self.criticalSecurityEvents.contains(type) else { return }
        let request = SecurityEventNotificationRequest(type: type, timestamp: timestamp, techInfo: techInfo)
        await queue(NewOutboxMessage(action: OCPPAction.securityEventNotification.rawValue, payload: request.toJSON().serialized()))
    }

    /// The CSMS acknowledged a security event.
    func securityEventDelivered(_ payload: String) async {
        guard bootReason != .powerUp, (try? JSONParser.parse(payload))?["type"]?.stringValue == "ResetOrReboot" else { return }
        // The reset's event was delivered: only now is the reason cleared, so that a crash before delivery still
        // reports the reset; the next start is a power-up unless another reset is asked for.
        do {
            try await store.setValue(nil, forKey: StoreKeys.bootReason)
        } catch {
            logger.warning("cannot clear the boot reason: \(error)")
        }
    }
}

// A04: SecurityEventNotification. After every boot: StartupOfTheDevice after a power-up, ResetOrReboot after a
// reset (Part 2 appendix, security events). Security events go through the durable outbox: they keep the time they
// happened and are delivered after an outage or a crash too (A04.FR.02).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func queueSecurityEvent(_ type: String) async {
        let request = SecurityEventNotificationRequest(type: type, timestamp: now())
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

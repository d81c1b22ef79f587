// A04: SecurityEventNotification. After every boot: StartupOfTheDevice after a power-up, ResetOrReboot after a
// reset (Part 2 appendix, security events).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func sendPendingSecurityEvent(_ rpc: RPCSession) async {
        guard let type = securityEventPending else { return }
        do {
            _ = try await rpc.call(SecurityEventNotificationRequest(type: type, timestamp: now()), timeout: messageTimeout)
            securityEventPending = nil
        } catch {
            // Kept pending: sent again on the next connection.
            logger.warning("SecurityEventNotification \(type) failed: \(error)")
        }
    }
}

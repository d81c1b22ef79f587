// G02: Heartbeat, sent only after an interval without any exchange (OCPPCommCtrlr.HeartbeatInterval).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func sendHeartbeat(_ rpc: RPCSession) async {
        do {
            let response = try await rpc.call(HeartbeatRequest(), timeout: messageTimeout)
            // TimeSource Heartbeat: the CSMS's currentTime sets the clock.
            adoptCSMSTime(response.currentTime)
        } catch {
            logger.warning("Heartbeat failed: \(error)")
        }
    }
}

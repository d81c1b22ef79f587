import OCPPMessages
import Testing

@testable import OCPPStation

extension StationScenarioTests {
    /// B03: a TriggerMessage answered while the BootNotification waits for its answer sends nothing once that answer
    /// is Rejected (the boot state when the message would go decides), and any CALL, even of an unknown action, gets
    /// SecurityError (B03.FR.08). The next CALL is the BootNotification after the interval.
    @Test(.timeLimit(.minutes(1))) func rejectedBootHoldsBackTriggeredMessages() async throws {
        let csms = LoopbackCSMS()
        let station = try makeStation(csms, FakeBoard())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            var reader = FrameReader(csms)
            let boot = try await reader.nextCall()
            #expect(boot.action == "BootNotification")

            csms.send("[2,\"t1\",\"TriggerMessage\",{\"requestedMessage\":\"Heartbeat\"}]")
            guard case .callResult("t1", let trigger) = try await reader.next() else { throw TestFailure("no TriggerMessage result") }
            #expect(trigger.objectValue?["status"] == .string("Accepted"))

            let rejected = BootNotificationResponse(
                currentTime: OCPPDateTime(secondsSince1970: 1_700_000_000), interval: 1, status: .rejected)
            csms.send(RPCMessage.callResult(messageId: boot.id, payload: rejected.toJSON()).serialized())

            csms.send("[2,\"u1\",\"NoSuchAction\",{}]")
            guard case .callError("u1", "SecurityError", _, _) = try await reader.next() else {
                throw TestFailure("no SecurityError for an unknown action while Rejected")
            }
            // No Heartbeat: the next CALL is the BootNotification the interval asks for.
            let retry = try await reader.nextCall()
            #expect(retry.action == "BootNotification")
            group.cancelAll()
        }
    }
}

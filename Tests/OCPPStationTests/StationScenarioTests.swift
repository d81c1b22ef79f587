import Logging
import OCPPMessages
import Testing

@testable import OCPPStation

/// The whole station against the loopback CSMS: boot, status, malformed frames, triggers.
struct StationScenarioTests {
    func makeStation(
        _ csms: LoopbackCSMS, _ board: FakeBoard, store: any StationStore = InMemoryStationStore(),
        outbox: any MessageOutbox = InMemoryMessageOutbox()
    ) throws -> ChargingStation {
        let model = try DeviceModel.parse(DeviceModelTests.sample, file: "dm.json")
        return ChargingStation(
            deviceModel: model, board: board, store: store, outbox: outbox, transport: csms, logger: Logger(label: "test"))
    }

    func accept(_ id: String, interval: Int = 300) -> String {
        RPCMessage.callResult(
            messageId: id,
            payload: BootNotificationResponse(currentTime: OCPPDateTime(secondsSince1970: 1_700_000_000), interval: interval, status: .accepted).toJSON()
        ).serialized()
    }

    func ack(_ id: String, _ payload: JSONValue = .object(JSONObject())) -> String {
        RPCMessage.callResult(messageId: id, payload: payload).serialized()
    }

    /// Accepts the BootNotification and acknowledges what follows it (the security event and two statuses).
    func acceptBoot(_ reader: inout FrameReader, _ csms: LoopbackCSMS) async throws {
        let boot = try await reader.nextCall()
        csms.send(accept(boot.id))
        for _ in 0..<3 { csms.send(ack(try await reader.nextCall().id)) }
    }

    @Test(.timeLimit(.minutes(1))) func bootsReportsStatusAndAnswersErrors() async throws {
        let csms = LoopbackCSMS()
        let board = FakeBoard()
        let station = try makeStation(csms, board)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            var reader = FrameReader(csms)

            let boot = try await reader.nextCall()
            #expect(boot.action == "BootNotification")
            #expect(boot.payload.objectValue?["reason"] == .string("PowerUp"))
            csms.send(accept(boot.id))

            // After Accepted: the queued security event (outbox) and a StatusNotification per connector (B01.FR.05);
            // the outbox and the status report share the one CALL slot, in either order.
            var statuses: [Int64: JSONValue] = [:]
            var securityTypes: [JSONValue] = []
            for _ in 0..<3 {
                let call = try await reader.nextCall()
                switch call.action {
                case "SecurityEventNotification": securityTypes.append(call.payload.objectValue?["type"] ?? .null)
                case "StatusNotification":
                    if let evse = call.payload.objectValue?["evseId"]?.intValue { statuses[evse] = call.payload.objectValue?["connectorStatus"] }
                default: Issue.record("unexpected \(call.action)")
                }
                csms.send(ack(call.id))
            }
            #expect(securityTypes == [.string("StartupOfTheDevice")])
            #expect(statuses == [1: .string("Available"), 2: .string("Available")])

            // Part 4 §4.2.3: unreadable id → "-1".
            csms.send("not json")
            guard case .callError(let id, let code, _, _) = try await reader.next() else { throw TestFailure("no CALLERROR") }
            #expect(id == "-1")
            #expect(code == "RpcFrameworkError")

            // Unknown action → NotImplemented; known but unhandled → NotSupported (Part 4 §4.3).
            csms.send("[2,\"a1\",\"FooBar\",{}]")
            guard case .callError("a1", "NotImplemented", _, _) = try await reader.next() else { throw TestFailure("no NotImplemented") }
            csms.send("[2,\"a2\",\"SetDisplayMessage\",{}]")
            guard case .callError("a2", "NotSupported", _, _) = try await reader.next() else { throw TestFailure("no NotSupported") }

            // Schema violations in a handled action.
            csms.send("[2,\"a3\",\"GetVariables\",{}]")
            guard case .callError("a3", "OccurrenceConstraintViolation", _, _) = try await reader.next() else {
                throw TestFailure("no OccurrenceConstraintViolation")
            }

            // GetVariables works (B06).
            csms.send(
                "[2,\"a4\",\"GetVariables\",{\"getVariableData\":[{\"component\":{\"name\":\"OCPPCommCtrlr\"},\"variable\":{\"name\":\"HeartbeatInterval\"}},{\"component\":{\"name\":\"Nope\"},\"variable\":{\"name\":\"X\"}}]}]")
            guard case .callResult("a4", let payload) = try await reader.next() else { throw TestFailure("no GetVariables result") }
            let results = try GetVariablesResponse(validating: payload).getVariableResult
            #expect(results.map(\.attributeStatus) == [.accepted, .unknownComponent])
            #expect(results[0].attributeValue == "300")
            #expect(results[0].attributeType == .actual)  // B06.FR.11

            // A plug is reported.
            board.plug(1)
            let plugged = try await reader.nextCall()
            #expect(plugged.action == "StatusNotification")
            #expect(plugged.payload.objectValue?["connectorStatus"] == .string("Occupied"))
            csms.send(ack(plugged.id))

            // TriggerMessage: the response first, then the triggered message (F06).
            csms.send("[2,\"a5\",\"TriggerMessage\",{\"requestedMessage\":\"StatusNotification\",\"evse\":{\"id\":2,\"connectorId\":1}}]")
            guard case .callResult("a5", let triggerPayload) = try await reader.next() else { throw TestFailure("no TriggerMessage result") }
            #expect(triggerPayload.objectValue?["status"] == .string("Accepted"))
            let triggered = try await reader.nextCall()
            #expect(triggered.action == "StatusNotification")
            #expect(triggered.payload.objectValue?["evseId"] == .int(2))
            csms.send(ack(triggered.id))

            group.cancelAll()
        }
    }

    /// A dropped connection must not end the station's work: the next connection serves the CSMS (regression: the
    /// signal stream used to end for good when the first connection's driver was cancelled).
    @Test(.timeLimit(.minutes(1))) func secondConnectionIsServedAfterADrop() async throws {
        let csms = LoopbackCSMS()
        let station = try makeStation(csms, FakeBoard())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            var reader = FrameReader(csms)
            try await acceptBoot(&reader, csms)
            for round in 1...2 {
                // The driver is now waiting for a signal; drop the connection under it.
                csms.disconnect()
                while csms.connectionCount < round + 1 { try await Task.sleep(for: .milliseconds(5)) }
                csms.send("[2,\"t\(round)\",\"TriggerMessage\",{\"requestedMessage\":\"Heartbeat\"}]")
                guard case .callResult("t\(round)", _) = try await reader.next() else { throw TestFailure("no TriggerMessage result") }
                let heartbeat = try await reader.nextCall()
                #expect(heartbeat.action == "Heartbeat")
                csms.send(RPCMessage.callResult(messageId: heartbeat.id, payload: ["currentTime": "2026-01-01T00:00:00Z"]).serialized())
            }
            #expect(csms.connectionCount == 3)
            group.cancelAll()
        }
    }

    @Test(.timeLimit(.minutes(1))) func rejectedStationRefusesCallsWithSecurityError() async throws {
        let csms = LoopbackCSMS()
        let station = try makeStation(csms, FakeBoard())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            var reader = FrameReader(csms)
            let boot = try await reader.nextCall()
            csms.send(
                RPCMessage.callResult(
                    messageId: boot.id,
                    payload: BootNotificationResponse(currentTime: OCPPDateTime(secondsSince1970: 0), interval: 60, status: .rejected).toJSON()
                ).serialized())
            csms.send("[2,\"r1\",\"GetVariables\",{\"getVariableData\":[{\"component\":{\"name\":\"OCPPCommCtrlr\"},\"variable\":{\"name\":\"HeartbeatInterval\"}}]}]")
            // B03.FR.08
            guard case .callError("r1", "SecurityError", _, _) = try await reader.next() else { throw TestFailure("no SecurityError") }
            // A frame whose payload is broken is refused as a frame, before any refusal of its action.
            csms.send("[2,\"r2\",\"GetVariables\",{\"getVariableData\":]")
            guard case .callError("-1", "RpcFrameworkError", _, _) = try await reader.next() else { throw TestFailure("no RpcFrameworkError") }
            group.cancelAll()
        }
    }

    /// The byte path reads a CALL's payload only where it is decoded: a frame broken after its envelope must still get
    /// the CALLERROR the tree path (`RPCMessage.parse`) names, whatever its action, and a broken answer to the
    /// station's own CALL is treated as before (Part 4 §4.2.3, §4.3).
    @Test(.timeLimit(.minutes(1))) func framesBrokenAfterTheirEnvelopeGetTheTreePathsCallError() async throws {
        let csms = LoopbackCSMS()
        let station = try makeStation(csms, FakeBoard())
        let heartbeatVariable = "{\"getVariableData\":[{\"component\":{\"name\":\"OCPPCommCtrlr\"},\"variable\":{\"name\":\"HeartbeatInterval\"}}]}"
        let frames = [
            "[2,\"b1\",\"GetVariables\",{\"getVariableData\":]",  // handled action
            "[2,\"b2\",\"FooBar\",{\"x\":tru}]",  // unknown action
            "[2,\"b3\",\"SetDisplayMessage\",{\"message\":}]",  // known, not supported
            "[2,\"b4\",\"GetVariables\",\(heartbeatVariable),1]",  // valid payload, one element too many
            "[2,\"b5\",\"GetVariables\",\(heartbeatVariable)] x",  // valid frame, then garbage
            "[2,\"b6\",\"GetVariables\",\(heartbeatVariable)",  // no closing bracket
            "[2,\"b7\",\"GetVariables\",{\"getVariableData\":[]}",  // schema violation in a broken frame
        ]
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            var reader = FrameReader(csms)
            try await acceptBoot(&reader, csms)
            for frame in frames {
                var expected: RPCFrameError?
                do throws(RPCFrameError) { _ = try RPCMessage.parse(frame) } catch { expected = error }
                csms.send(frame)
                let answer = try await reader.next()
                guard let expected, case .callError(let id, let code, _, _) = answer else {
                    throw TestFailure("\(frame): expected a refusal, got \(answer)")
                }
                #expect(id == expected.messageId, "\(frame)")
                #expect(code == expected.code.rawValue, "\(frame)")
            }

            // A broken CALLRESULT for the station's Heartbeat is dropped; the valid one that follows is taken.
            csms.send("[2,\"t1\",\"TriggerMessage\",{\"requestedMessage\":\"Heartbeat\"}]")
            guard case .callResult("t1", _) = try await reader.next() else { throw TestFailure("no TriggerMessage result") }
            let heartbeat = try await reader.nextCall()
            #expect(heartbeat.action == "Heartbeat")
            // Not JSON: unreadable as an answer, so it gets the "-1" CALLERROR, as from the tree path.
            csms.send("[3,\"\(heartbeat.id)\",{\"currentTime\":]")
            guard case .callError("-1", "RpcFrameworkError", _, _) = try await reader.next() else { throw TestFailure("no RpcFrameworkError") }
            // JSON, a valid payload, but one element too many: a broken answer, dropped without a reply.
            csms.send("[3,\"\(heartbeat.id)\",{\"currentTime\":\"2026-01-01T00:00:00Z\"},1]")
            csms.send("[3,\"\(heartbeat.id)\",{\"currentTime\":\"2026-01-01T00:00:00Z\"}]")
            csms.send("[2,\"g1\",\"GetVariables\",\(heartbeatVariable)]")
            guard case .callResult("g1", let payload) = try await reader.next() else { throw TestFailure("a reply to the broken CALLRESULT") }
            #expect(try GetVariablesResponse(validating: payload).getVariableResult.first?.attributeValue == "300")
            group.cancelAll()
        }
    }

    @Test(.timeLimit(.minutes(1))) func resetPersistsTheReasonAndStops() async throws {
        let csms = LoopbackCSMS()
        let store = InMemoryStationStore()
        let station = try makeStation(csms, FakeBoard(), store: store)
        let outcome = try await withThrowingTaskGroup(of: ChargingStation.Outcome?.self) { group in
            group.addTask { await station.run() }
            group.addTask {
                var reader = FrameReader(csms)
                try await self.acceptBoot(&reader, csms)
                csms.send("[2,\"x1\",\"Reset\",{\"type\":\"Immediate\"}]")
                guard case .callResult("x1", let payload) = try await reader.next() else { throw TestFailure("no Reset result") }
                #expect(payload.objectValue?["status"] == .string("Accepted"))
                return nil
            }
            var outcome: ChargingStation.Outcome?
            for try await result in group {
                if let result { outcome = result }
            }
            return outcome
        }
        #expect(outcome == .reset)
        #expect(try await store.value(forKey: "bootReason") == "RemoteReset")
    }
}

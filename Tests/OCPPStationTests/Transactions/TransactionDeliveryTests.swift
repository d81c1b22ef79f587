import Logging
import OCPPMessages
import Synchronization
import Testing

@testable import OCPPStation

/// An authorizer that accepts every idToken, without a CSMS.
struct AcceptEveryToken: IdTokenAuthorizer {
    func authorize(_ idToken: IdTokenType) async -> IdTokenInfoType? { IdTokenInfoType(status: .accepted) }
}

/// An in-memory outbox that also remembers the event type of every TransactionEvent committed to it, and whose commits
/// of `failingAction` fail (a full or broken disk).
final class RecordingOutbox: MessageOutbox {
    struct DiskFull: Error {}
    let inner = InMemoryMessageOutbox()
    let committed = Mutex<[String]>([])
    let failingAction: String?

    init(failingAction: String? = nil) {
        self.failingAction = failingAction
    }

    func commit(_ message: NewOutboxMessage?, transaction: TransactionRecordChange?) async throws -> OutboxMessage? {
        if let failingAction, message?.action == failingAction { throw DiskFull() }
        if let type = message?.eventType { committed.withLock { $0.append(type) } }
        return try await inner.commit(message, transaction: transaction)
    }
    func first() async throws -> OutboxMessage? { try await inner.first() }
    func remove(id: Int64) async throws { try await inner.remove(id: id) }
    func setAttempts(_ attempts: Int, id: Int64) async throws { try await inner.setAttempts(attempts, id: id) }
    func count(transactionId: String?) async throws -> Int { try await inner.count(transactionId: transactionId) }
    func countTransactionMessages() async throws -> Int { try await inner.countTransactionMessages() }
    func transactions() async throws -> [TransactionRecord] { try await inner.transactions() }
    func thinUpdatedTransactionEvents(limit: Int) async throws -> Int { try await inner.thinUpdatedTransactionEvents(limit: limit) }
}

/// The station with its outbox against the loopback CSMS: E12/E13 delivery, power-loss recovery, E14, thinning.
struct TransactionDeliveryTests {
    /// The scenario device model, with transactions from cable to cable and E13 tuned short.
    static let model: String = {
        let sample = DeviceModelTests.sample
        return String(sample[..<sample.lastIndex(of: "]")!]) + """
            ,
              {"name": "TxCtrlr", "variables": [
                {"name": "TxStartPoint", "variableAttribute": [{"value": "EVConnected"}], "variableCharacteristics": {"dataType": "MemberList"}},
                {"name": "TxStopPoint", "variableAttribute": [{"value": "EVConnected"}], "variableCharacteristics": {"dataType": "MemberList"}}
              ]},
              {"name": "OCPPCommCtrlr", "variables": [
                {"name": "MessageAttempts", "instance": "TransactionEvent", "variableAttribute": [{"value": "2"}], "variableCharacteristics": {"dataType": "integer"}},
                {"name": "MessageAttemptInterval", "instance": "TransactionEvent", "variableAttribute": [{"value": "0"}], "variableCharacteristics": {"dataType": "integer"}}
              ]}
            ]
            """
    }()

    func makeStation(
        _ csms: LoopbackCSMS, _ board: FakeBoard, outbox: any MessageOutbox, queueCapacity: Int = 1000
    ) throws -> ChargingStation {
        ChargingStation(
            deviceModel: try DeviceModel.parse(Self.model, file: "dm.json"), board: board, store: InMemoryStationStore(),
            outbox: outbox, transport: csms, authorizer: AcceptEveryToken(), queueCapacity: queueCapacity,
            logger: Logger(label: "test"))
    }

    let scenario = StationScenarioTests()

    /// Reads CALLs, acknowledging StatusNotification and SecurityEventNotification, until a TransactionEvent.
    func nextTransactionEvent(_ reader: inout FrameReader, _ csms: LoopbackCSMS) async throws -> (id: String, payload: JSONValue) {
        while true {
            let call = try await reader.nextCall()
            if call.action == "TransactionEvent" { return (call.id, call.payload) }
            csms.send(scenario.ack(call.id))
        }
    }

    @Test(.timeLimit(.minutes(1))) func offlineEventsAreRetriedThenDiscardedWithoutRenumbering() async throws {
        let csms = LoopbackCSMS()
        let board = FakeBoard()
        let outbox = InMemoryMessageOutbox()
        let station = try makeStation(csms, board, outbox: outbox)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            var reader = FrameReader(csms)
            let boot = try await reader.nextCall()
            // Before the boot is accepted: the session is generated offline and waits (B01.FR.08).
            board.plug(1)
            board.unplug(1)
            while try await outbox.count() < 3 { try await Task.sleep(for: .milliseconds(5)) }
            csms.send(scenario.accept(boot.id))
            let started = try await nextTransactionEvent(&reader, csms)
            #expect(started.payload["eventType"] == "Started")
            #expect(started.payload["seqNo"] == 0)
            #expect(started.payload["offline"] == .bool(true))  // E12.FR.01/02
            // E13: a CALLERROR is a failed attempt: the same message again, then given up after MessageAttempts.
            csms.send(RPCMessage.callError(messageId: started.id, code: "InternalError", description: "", details: .object(JSONObject())).serialized())
            let retry = try await nextTransactionEvent(&reader, csms)
            #expect(retry.payload == started.payload)
            csms.send(RPCMessage.callError(messageId: retry.id, code: "InternalError", description: "", details: .object(JSONObject())).serialized())
            let ended = try await nextTransactionEvent(&reader, csms)
            #expect(ended.payload["eventType"] == "Ended")
            #expect(ended.payload["seqNo"] == 1)  // never renumbered
            #expect(ended.payload["transactionInfo"]?["transactionId"] == started.payload["transactionInfo"]?["transactionId"])
            csms.send(scenario.ack(ended.id))
            while try await outbox.count() > 0 { try await Task.sleep(for: .milliseconds(5)) }
            group.cancelAll()
        }
    }

    @Test(.timeLimit(.minutes(1))) func aTransactionLeftOpenEndsWithPowerLoss() async throws {
        let csms = LoopbackCSMS()
        let outbox = InMemoryMessageOutbox()
        var open = OpenTransaction(id: "T-1", evseId: 2, startedAt: 1_700_000_000, reading: MeterReading(energyWh: 500))
        open.nextSeqNo = 4
        open.lastReading = MeterReading(energyWh: 1234.5)
        open.evseReported = true
        try await outbox.commit(nil, transaction: .save(open.record()))
        let station = try makeStation(csms, FakeBoard(), outbox: outbox)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            var reader = FrameReader(csms)
            csms.send(scenario.accept(try await reader.nextCall().id))
            let ended = try await nextTransactionEvent(&reader, csms)
            #expect(ended.payload["eventType"] == "Ended")
            #expect(ended.payload["seqNo"] == 4)
            #expect(ended.payload["triggerReason"] == "AbnormalCondition")
            #expect(ended.payload["transactionInfo"]?["stoppedReason"] == "PowerLoss")
            #expect(ended.payload["offline"] == .bool(true))
            // E14 before the answer: still queued, no longer ongoing.
            csms.send("[2,\"s1\",\"GetTransactionStatus\",{\"transactionId\":\"T-1\"}]")
            guard case .callResult("s1", let status) = try await reader.next() else { throw TestFailure("no GetTransactionStatus result") }
            #expect(status["messagesInQueue"] == .bool(true))
            #expect(status["ongoingIndicator"] == .bool(false))
            csms.send(scenario.ack(ended.id))
            #expect(try await outbox.transactions().isEmpty)
            group.cancelAll()
        }
    }

    @Test(.timeLimit(.minutes(1))) func noEnergyFlowsForAnEventThatIsNotOnDisk() async throws {
        // Nothing is acted on before it is on disk: with TransactionEvent commits failing, a plugged and authorized
        // EVSE keeps its contactor open. The same session with a working outbox closes it (the check can fail).
        for failing in [false, true] {
            let csms = LoopbackCSMS()
            let board = FakeBoard()
            let outbox = RecordingOutbox(failingAction: failing ? "TransactionEvent" : nil)
            let station = try makeStation(csms, board, outbox: outbox)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = await station.run() }
                group.addTask {
                    var reader = FrameReader(csms)
                    while let call = try? await reader.nextCall() {
                        csms.send(call.action == "BootNotification" ? scenario.accept(call.id) : scenario.ack(call.id))
                    }
                }
                board.plug(1)
                board.send(.tokenPresented(idToken: "CARD", type: .iso14443, evse: 1))
                board.send(.evCharging(evse: 1))  // the interlock closes only for an EV in state C
                // The token's step has run once the EVSE's lock or contactor state settles; give it a moment.
                for _ in 0..<200 where board.contactorCommands.withLock({ $0.isEmpty }) && !failing {
                    try await Task.sleep(for: .milliseconds(5))
                }
                if failing { try await Task.sleep(for: .milliseconds(300)) }
                let closed = board.contactorCommands.withLock { $0.contains { $0.evse == 1 && $0.closed } }
                #expect(closed == !failing, "failing outbox: \(failing)")
                group.cancelAll()
            }
        }
    }

    @Test(.timeLimit(.minutes(1))) func aQueuedSecurityEventIsNoTransactionMessage() async throws {
        // E14.FR.07/08: without a transactionId, messagesInQueue speaks of transaction-related messages only.
        let csms = LoopbackCSMS()
        let outbox = InMemoryMessageOutbox()
        let station = try makeStation(csms, FakeBoard(), outbox: outbox)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            var reader = FrameReader(csms)
            csms.send(scenario.accept(try await reader.nextCall().id))
            let security = try await reader.nextCall()  // StartupOfTheDevice, from the outbox: left unanswered
            #expect(security.action == "SecurityEventNotification")
            #expect(try await outbox.count() == 1)
            csms.send("[2,\"s1\",\"GetTransactionStatus\",{}]")
            guard case .callResult("s1", let status) = try await reader.next() else { throw TestFailure("no GetTransactionStatus result") }
            #expect(status["messagesInQueue"] == .bool(false))
            #expect(status["ongoingIndicator"] == nil)  // E14.FR.06
            group.cancelAll()
        }
    }

    @Test(.timeLimit(.minutes(1))) func aFullQueueThinsUpdatedEventsOnly() async throws {
        let csms = LoopbackCSMS()
        let board = FakeBoard()
        let outbox = RecordingOutbox()
        let station = try makeStation(csms, board, outbox: outbox, queueCapacity: 6)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            var reader = FrameReader(csms)
            _ = try await reader.nextCall()  // BootNotification, never answered: everything stays queued
            board.plug(1)
            board.send(.tokenPresented(idToken: "CARD", type: .iso14443, evse: 1))
            for _ in 0..<10 {
                board.send(.evCharging(evse: 1))
                board.send(.evSuspended(evse: 1))
            }
            board.unplug(1)
            while outbox.committed.withLock({ !$0.contains("Ended") }) {
                try await Task.sleep(for: .milliseconds(5))
            }
            var messages: [OutboxMessage] = []
            while let first = try await outbox.first() {
                messages.append(first)
                try await outbox.remove(id: first.id)
            }
            let events = messages.filter { $0.action == "TransactionEvent" }
            // E12.FR.04/05: at most the capacity, Started and Ended kept, seqNo increasing with gaps only in Updated.
            #expect(outbox.committed.withLock { $0.count } == 23)
            #expect(messages.count <= 6)
            #expect(events.first?.eventType == "Started" && events.first?.seqNo == 0)
            #expect(events.last?.eventType == "Ended" && events.last?.seqNo == 22)
            let seqNos = events.compactMap(\.seqNo)
            #expect(seqNos == seqNos.sorted())
            group.cancelAll()
        }
    }
}

extension TransactionDeliveryTests {
    @Test(.timeLimit(.minutes(1))) func remoteStartAdoptsTheUnauthorizedTransaction() async throws {
        let csms = LoopbackCSMS()
        let board = FakeBoard()
        let station = try makeStation(csms, board, outbox: InMemoryMessageOutbox())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            var reader = FrameReader(csms)
            csms.send(scenario.accept(try await reader.nextCall().id))
            board.plug(1)
            let started = try await nextTransactionEvent(&reader, csms)
            csms.send(scenario.ack(started.id))
            let id = try #require(started.payload["transactionInfo"]?["transactionId"])
            let start = #"{"idToken":{"idToken":"APP","type":"Central"},"remoteStartId":5,"evseId":1}"#
            // F01.FR.13: the transaction created but not authorized is adopted; its id is returned.
            csms.send("[2,\"r1\",\"RequestStartTransaction\",\(start)]")
            let adopted = try await nextResult(&reader, csms, "r1")
            #expect(adopted["status"] == "Accepted")
            #expect(adopted["transactionId"] == id)
            let authorized = try await nextTransactionEvent(&reader, csms)
            #expect(authorized.payload["triggerReason"] == "RemoteStart")  // F01.FR.19
            #expect(authorized.payload["transactionInfo"]?["remoteStartId"] == 5)  // F01.FR.25
            #expect(authorized.payload["idToken"]?["idToken"] == "APP")
            csms.send(scenario.ack(authorized.id))
            // F01.FR.24: Occupied with an authorized transaction.
            csms.send("[2,\"r2\",\"RequestStartTransaction\",\(start)]")
            #expect(try await nextResult(&reader, csms, "r2")["status"] == "Rejected")
            // F01.FR.23: Faulted.
            board.fault(2)
            while true {  // the fault is processed once its StatusNotification goes out
                let call = try await reader.nextCall()
                csms.send(scenario.ack(call.id))
                if call.action == "StatusNotification", call.payload["connectorStatus"] == "Faulted" { break }
            }
            csms.send(#"[2,"r3","RequestStartTransaction",{"idToken":{"idToken":"APP","type":"Central"},"remoteStartId":6,"evseId":2}]"#)
            #expect(try await nextResult(&reader, csms, "r3")["status"] == "Rejected")
            // F03.FR.08: an unknown transaction.
            csms.send(#"[2,"r4","RequestStopTransaction",{"transactionId":"nope"}]"#)
            #expect(try await nextResult(&reader, csms, "r4")["status"] == "Rejected")
            group.cancelAll()
        }
    }

    /// Reads frames, acknowledging the station's CALLs, until the CALLRESULT for `id`.
    func nextResult(_ reader: inout FrameReader, _ csms: LoopbackCSMS, _ id: String) async throws -> JSONValue {
        while true {
            switch try await reader.next() {
            case .callResult(id, let payload): return payload
            case .call(let callId, _, _): csms.send(scenario.ack(callId))
            default: continue
            }
        }
    }
}

extension TransactionDeliveryTests {
    @Test(.timeLimit(.minutes(1))) func aFailedStatusNotificationIsRetried() async throws {
        let csms = LoopbackCSMS()
        let model = Self.model.replacing(#""value": "30""#, with: #""value": "1""#)  // MessageTimeout 1 s
        let station = ChargingStation(
            deviceModel: try DeviceModel.parse(model, file: "dm.json"), board: FakeBoard(), store: InMemoryStationStore(),
            outbox: InMemoryMessageOutbox(), transport: csms, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            var reader = FrameReader(csms)
            csms.send(scenario.accept(try await reader.nextCall().id))
            var refused = false
            var acknowledged: [JSONValue] = []
            while acknowledged.count < 2 {
                let call = try await reader.nextCall()
                if call.action == "StatusNotification" && !refused {
                    refused = true
                    csms.send(RPCMessage.callError(messageId: call.id, code: "InternalError", description: "", details: .object(JSONObject())).serialized())
                    continue
                }
                if call.action == "StatusNotification" { acknowledged.append(call.payload["evseId"] ?? .null) }
                csms.send(scenario.ack(call.id))
            }
            // Both connectors reported in the end, though the first report failed.
            #expect(Set(acknowledged) == [.int(1), .int(2)])
            group.cancelAll()
        }
    }
}

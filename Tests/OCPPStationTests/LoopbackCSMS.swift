// An in-memory CSMS and board for scenario tests: the station runs unchanged, the test plays the CSMS frame by frame.
import OCPPMessages
import Synchronization

@testable import OCPPStation

/// One connection at a time; the test reads what the station sends and writes what the CSMS answers.
final class LoopbackCSMS: CSMSTransport {
    private let toStation = Mutex<AsyncThrowingStream<String, any Error>.Continuation?>(nil)
    let fromStation: AsyncStream<String>
    private let fromStationSink: AsyncStream<String>.Continuation
    private let connections = Mutex(0)

    init() {
        (fromStation, fromStationSink) = AsyncStream.makeStream(of: String.self)
    }

    var connectionCount: Int { connections.withLock { $0 } }

    func withConnection(
        _ profile: ConnectionProfile, _ session: @escaping @Sendable (CSMSConnection) async throws -> Void
    ) async throws {
        let (incoming, sink) = AsyncThrowingStream.makeStream(of: String.self, throwing: (any Error).self)
        toStation.withLock { $0 = sink }
        connections.withLock { $0 += 1 }
        let out = fromStationSink
        try await session(CSMSConnection(incoming: incoming, send: { out.yield($0) }))
    }

    /// Sends a frame to the station.
    func send(_ text: String) {
        _ = toStation.withLock { $0?.yield(text) }
    }

    /// Closes the connection from the CSMS side.
    func disconnect() {
        toStation.withLock {
            $0?.finish()
            $0 = nil
        }
    }
}

/// A board with fixed EVSEs whose state the test changes.
final class FakeBoard: BoardHardware {
    let evses: [EVSEDescription]
    let events: AsyncStream<HardwareEvent>
    private let sink: AsyncStream<HardwareEvent>.Continuation
    private let state: Mutex<[EVSEPhysicalState]>

    init(evseCount: Int = 2) {
        evses = (1...evseCount).map { EVSEDescription(id: $0, connectors: [ConnectorDescription(id: 1, type: "cType2")]) }
        state = Mutex(evses.map { EVSEPhysicalState(evse: $0.id, connectors: [ConnectorPhysicalState(id: 1, plugged: false)]) })
        (events, sink) = AsyncStream.makeStream(of: HardwareEvent.self)
    }

    func plug(_ evse: Int) {
        state.withLock { $0[evse - 1].connectors[0].plugged = true }
        sink.yield(.cablePlugged(evse: evse, connector: 1))
    }

    func unplug(_ evse: Int) {
        state.withLock { $0[evse - 1].connectors[0].plugged = false }
        sink.yield(.cableUnplugged(evse: evse, connector: 1))
    }

    /// Any other event (the fake keeps no state for it).
    func send(_ event: HardwareEvent) {
        sink.yield(event)
    }

    func fault(_ evse: Int) {
        state.withLock { _ = $0[evse - 1].faults.insert(.groundFault) }
        sink.yield(.faultRaised(evse: evse, fault: .groundFault))
    }

    /// Every contactor command, in order.
    let contactorCommands = Mutex<[(evse: Int, closed: Bool)]>([])

    func physicalState() async -> [EVSEPhysicalState] { state.withLock { $0 } }
    func setContactor(evse: Int, closed: Bool) async throws { contactorCommands.withLock { $0.append((evse, closed)) } }
    /// EVSEs whose lock does not lock (G05).
    let failingLocks = Mutex<Set<Int>>([])
    func setConnectorLock(evse: Int, connector: Int, locked: Bool) async throws {
        if locked && failingLocks.withLock({ $0.contains(evse) }) { throw CancellationError() }
    }
    func setCurrentLimit(evse: Int, amps: Double) async throws {}
    func run(station: any StationView) async throws {}
}

/// Reads the station's frames one by one.
struct FrameReader {
    var iterator: AsyncStream<String>.Iterator

    init(_ csms: LoopbackCSMS) {
        iterator = csms.fromStation.makeAsyncIterator()
    }

    mutating func next() async throws -> RPCMessage {
        guard let text = await iterator.next() else { throw CancellationError() }
        return try RPCMessage.parse(text)
    }

    /// The next CALL; returns its id, action and payload.
    mutating func nextCall() async throws -> (id: String, action: String, payload: JSONValue) {
        let message = try await next()
        guard case .call(let id, let action, let payload) = message else {
            throw TestFailure("expected a CALL, got \(message)")
        }
        return (id, action, payload)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

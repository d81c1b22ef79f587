// The simulated board's physical state: persisted in DATA_DIR/sim-board.json, refused (and left alone) when invalid.
import Foundation
import Synchronization
import Testing
import OCPPStation
@testable import OCPPStationHardware

/// A monotonic clock the test moves by hand.
final class HardwareManualSeconds: Sendable {
    private let bits = Atomic<UInt64>(Double(1000).bitPattern)
    var now: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
    func advance(_ seconds: Double) { bits.store((now + seconds).bitPattern, ordering: .relaxed) }
}

@Suite("Simulated board")
struct SimulatedBoardTests {
    func makeBoard(_ dir: HardwareTempDirectory, clock: HardwareManualSeconds? = nil) throws -> SimulatedBoard {
        let configuration = try HardwareTestSupport.simBoard()
        if let clock {
            return try SimulatedBoard(
                configuration: configuration, dataDirectory: dir.path, monotonicSeconds: { clock.now })
        }
        return try SimulatedBoard(configuration: configuration, dataDirectory: dir.path)
    }

    @Test func startsIdleFromTheBoardFile() async throws {
        let dir = try HardwareTempDirectory()
        let board = try makeBoard(dir)
        #expect(board.evses.map(\.id) == [1, 2])
        let state = await board.physicalState()
        #expect(
            state == [
                EVSEPhysicalState(evse: 1, connectors: [ConnectorPhysicalState(id: 1, plugged: false)], limitA: 32),
                EVSEPhysicalState(evse: 2, connectors: [ConnectorPhysicalState(id: 1, plugged: false)], limitA: 32),
            ])
    }

    /// A missing state file means an idle board, so a factory-fresh start writes (and fsyncs) nothing until a
    /// change: the first BootNotification does not wait for the disk.
    @Test func aFreshBoardWritesNothingUntilItChanges() async throws {
        let dir = try HardwareTempDirectory()
        let board = try makeBoard(dir)
        _ = await board.physicalState()
        #expect(try HardwareTestSupport.listing(dir.path) == [])
        _ = try await board.core.perform(.plug(evse: 1, connector: nil))
        #expect(try HardwareTestSupport.listing(dir.path) == ["sim-board.json"])
    }

    @Test func stateSurvivesARestart() async throws {
        let dir = try HardwareTempDirectory()
        do {
            let board = try makeBoard(dir)
            _ = try await board.core.perform(.plug(evse: 2, connector: nil))
            _ = try await board.core.perform(.evCharge(evse: 2, watts: 11000))
            _ = try await board.core.perform(.fault(evse: 1, kind: .overcurrent))
            try await board.setContactor(evse: 1, closed: true)
            try await board.setConnectorLock(evse: 2, connector: 1, locked: true)
            try await board.setCurrentLimit(evse: 2, amps: 10)
            try await board.setCurrentLimit(evse: 1, amps: 100)  // capped at maxCurrentA
            await #expect(throws: SimulatedBoardError.self) { try await board.setCurrentLimit(evse: 1, amps: -1) }
            await #expect(throws: SimulatedBoardError.self) { try await board.setContactor(evse: 3, closed: true) }
        }
        #expect(try HardwareTestSupport.listing(dir.path) == ["sim-board.json"])  // no temp file left behind

        let again = try makeBoard(dir)
        let state = await again.physicalState()
        #expect(
            state == [
                EVSEPhysicalState(
                    evse: 1, connectors: [ConnectorPhysicalState(id: 1, plugged: false)], faults: [.overcurrent],
                    limitA: 32, contactorClosed: true),
                EVSEPhysicalState(
                    evse: 2, connectors: [ConnectorPhysicalState(id: 1, plugged: true)], evCharging: true, powerW: 11000,
                    limitA: 10, locked: true),
            ])
    }

    @Test func meterIntegratesOnlyWhileChargingWithTheContactorClosed() async throws {
        let dir = try HardwareTempDirectory()
        let clock = HardwareManualSeconds()
        let board = try makeBoard(dir, clock: clock)
        _ = try await board.core.perform(.plug(evse: 1, connector: 1))
        _ = try await board.core.perform(.evCharge(evse: 1, watts: nil))  // 7400 W by default
        clock.advance(3600)
        #expect(await board.physicalState()[0].energyWh == 0)  // contactor open
        #expect(await board.physicalState()[0].powerW == 7400)
        try await board.setContactor(evse: 1, closed: true)
        clock.advance(1800)
        #expect(await board.physicalState()[0].energyWh == 3700)
        _ = try await board.core.perform(.power(evse: 1, watts: 3600))
        clock.advance(600)
        #expect(await board.physicalState()[0].energyWh == 4300)
        _ = try await board.core.perform(.evSuspend(evse: 1))
        clock.advance(600)
        let suspended = await board.physicalState()[0]
        #expect(suspended.energyWh == 4300)
        #expect(suspended.powerW == 0)
        #expect(await board.physicalState()[1].energyWh == 0)

        // The register is on disk: a new instance starts from it.
        let again = try makeBoard(dir, clock: clock)
        #expect(await again.physicalState()[0].energyWh == 4300)
    }

    @Test func invalidStateFileIsRefusedAndLeftUntouched() throws {
        let configuration = try HardwareTestSupport.simBoard()
        let cases: [(content: String, expected: String)] = [
            ("{\"version\":1,", "invalid JSON at line 1, column 14: expected a string key"),
            ("", "invalid JSON at line 1, column 1: the text is empty"),
            (#"{"version":1,"evses":[]}"#, #"evses: has 0 EVSE(s) but the board "sim" has 2"#),
            (#"{"version":2,"evses":[]}"#, "version: unsupported version 2 (this agent writes version 1)"),
            (
                String(decoding: SimBoardStateFile.encode(SimBoardStateFile.initialState(for: configuration)), as: UTF8.self)
                    .replacingOccurrences(of: #""energyWh":0"#, with: #""energyWh":"lots""#),
                "evses[0].energyWh: expected a number, got a string"
            ),
            (
                String(decoding: SimBoardStateFile.encode(SimBoardStateFile.initialState(for: configuration)), as: UTF8.self)
                    .replacingOccurrences(of: #"[{"connector":1,"plugged":false}]"#, with: #"[{"connector":1,"plugged":false},{"connector":2,"plugged":false}]"#),
                "evses[0].connectors: has 2 connector(s) but the board's EVSE 1 has 1"
            ),
            (
                String(decoding: SimBoardStateFile.encode(SimBoardStateFile.initialState(for: configuration)), as: UTF8.self)
                    .replacingOccurrences(of: #""locked":false}]}"#, with: #""locked":false,"lockd":true}]}"#),
                "evses[1].lockd: unknown key (expected one of: evse, connectors, evCharging, evPowerW, faults, energyWh, limitA, contactorClosed, locked)"
            ),
            (
                String(decoding: SimBoardStateFile.encode(SimBoardStateFile.initialState(for: configuration)), as: UTF8.self)
                    .replacingOccurrences(of: #""faults":[]"#, with: #""faults":["fire"]"#),
                #"evses[0].faults[0]: "fire" is not a fault (faults: ground-fault, overcurrent, meter-lost, emergency-stop, welded-contactor, lock-failure)"#
            ),
        ]
        for (content, expected) in cases {
            let dir = try HardwareTempDirectory()
            let path = dir.file("sim-board.json")
            try HardwareTestSupport.write(content, to: path)
            do {
                _ = try SimulatedBoard(configuration: configuration, dataDirectory: dir.path)
                Issue.record("accepted \(content)")
            } catch {
                #expect(error.description == "sim board state file \(path): \(expected) (fix the file or remove it to start from an idle board)")
                #expect(!error.description.contains("\n"))
            }
            #expect(try HardwareTestSupport.contents(of: path) == content)
            #expect(try HardwareTestSupport.listing(dir.path) == ["sim-board.json"])
        }
    }

    @Test func stateFileThatIsADirectoryIsRefused() throws {
        let dir = try HardwareTempDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("sim-board.json"), withIntermediateDirectories: false)
        #expect(throws: SimulatedBoardError("sim board state file \(dir.file("sim-board.json")): is a directory, not a file (fix the file or remove it to start from an idle board)")) {
            try SimulatedBoard(configuration: try HardwareTestSupport.simBoard(), dataDirectory: dir.path)
        }
    }

    @Test func missingDataDirectoryIsRefused() throws {
        #expect(throws: SimulatedBoardError("data directory /nonexistent/ocpp does not exist")) {
            try SimulatedBoard(configuration: try HardwareTestSupport.simBoard(), dataDirectory: "/nonexistent/ocpp")
        }
    }

    @Test func factoryMakesTheSimulatedBoard() throws {
        let dir = try HardwareTempDirectory()
        let configuration = try HardwareTestSupport.simBoard()
        let hardware = try configuration.makeHardware(dataDirectory: dir.path)
        #expect(hardware is SimulatedBoard)
        #expect(hardware.evses == configuration.evseDescriptions)
        #expect(configuration.dataDirectoryFileNames == ["sim-board.json", "sim.sock"])
    }

    @Test func leftoverTempFileIsRemoved() throws {
        let dir = try HardwareTempDirectory()
        try HardwareTestSupport.write("{", to: dir.file("sim-board.json.tmp"))
        _ = try SimulatedBoard(configuration: try HardwareTestSupport.simBoard(), dataDirectory: dir.path)
        #expect(try HardwareTestSupport.listing(dir.path) == [])
    }
}

// The simulated board: stands for real hardware. Its physical state lives in DATA_DIR/sim-board.json and
// survives agent restarts; it is driven through the control socket DATA_DIR/sim.sock (`station-agent sim ...`).
public import Logging
public import NIOCore
import NIOPosix
public import OCPPStation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public final class SimulatedBoard: BoardHardware {
    /// The state file's name in the data directory.
    public static let stateFileName = SimBoardStateFile.fileName
    /// The control socket's name in the data directory.
    public static let socketFileName = "sim.sock"

    public let configuration: BoardConfiguration
    public let dataDirectory: String
    public let evses: [EVSEDescription]
    public let events: AsyncStream<HardwareEvent>

    /// `DATA_DIR/sim-board.json`.
    public var statePath: String { POSIXFiles.join(dataDirectory, Self.stateFileName) }
    /// `DATA_DIR/sim.sock`.
    public var socketPath: String { POSIXFiles.join(dataDirectory, Self.socketFileName) }

    let core: SimBoardCore
    let continuation: AsyncStream<HardwareEvent>.Continuation
    /// Real meters of a mixed board, per EVSE: they replace the simulated one.
    let meters: [Int: MeterPoller]
    /// Real HAL parts per EVSE (Ports/HALParts.swift): the board file's GPIO lines and sysfs control and proximity
    /// pilots, and any part a manufacturer hands in; where an EVSE has a part, it drives the hardware.
    let parts: [Int: EVSEPartsDriver]
    /// The RFID reader, when the board has a real one (the sim board's `tap` command works either way).
    let idTokenReader: (any IdTokenReader)?
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger

    /// `eventLoopGroup`: where the control socket runs (default: `MultiThreadedEventLoopGroup.singleton`).
    /// Loads the board's physical state from `DATA_DIR/sim-board.json` (an idle board when there is none).
    /// Throws, leaving the file untouched, when the file exists but is unreadable, invalid or for other EVSEs.
    /// `meters` and `parts`: the real parts of a mixed board, per EVSE id (`BoardConfiguration.makeHardware` builds
    /// them from the board file and a manufacturer's own drivers); `idTokenReader`: a real RFID reader.
    public convenience init(
        configuration: BoardConfiguration, dataDirectory: String,
        eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "ocpp-station.sim-board"),
        meters: [Int: MeterPoller] = [:], parts: [Int: EVSEParts] = [:],
        idTokenReader: (any IdTokenReader)? = nil
    ) throws(SimulatedBoardError) {
        try self.init(
            configuration: configuration, dataDirectory: dataDirectory, eventLoopGroup: eventLoopGroup, logger: logger,
            monotonicSeconds: SimulatedBoard.monotonicSeconds, meters: meters, parts: parts,
            idTokenReader: idTokenReader)
    }

    /// `monotonicSeconds`: the clock the meter integrates over (tests pass a manual one).
    init(
        configuration: BoardConfiguration, dataDirectory: String, eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "ocpp-station.sim-board"), monotonicSeconds: @escaping @Sendable () -> Double,
        meters: [Int: MeterPoller] = [:], parts: [Int: EVSEParts] = [:],
        idTokenReader: (any IdTokenReader)? = nil
    ) throws(SimulatedBoardError) {
        // A manufacturer's meter is polled like the board file's Modbus meters.
        self.meters = meters.merging(parts.compactMapValues { $0.energyMeter.map { MeterPoller(meter: $0) } }) { $1 }
        self.idTokenReader = idTokenReader
        switch POSIXFiles.kind(path: dataDirectory) {
        case .directory: break
        case .missing: throw SimulatedBoardError("data directory \(dataDirectory) does not exist")
        default: throw SimulatedBoardError("data directory \(dataDirectory) is not a directory")
        }
        self.configuration = configuration
        self.dataDirectory = dataDirectory
        self.evses = configuration.evseDescriptions
        self.eventLoopGroup = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        self.logger = logger

        let statePath = POSIXFiles.join(dataDirectory, Self.stateFileName)
        // A temp file left by a crash between write and rename is ours and incomplete by definition.
        let leftover = statePath + ".tmp"
        if POSIXFiles.kind(path: leftover) == .file { unlink(leftover) }
        let persisted = try SimBoardStateFile.load(path: statePath, configuration: configuration)

        let (stream, continuation) = AsyncStream.makeStream(of: HardwareEvent.self, bufferingPolicy: .unbounded)
        self.events = stream
        self.continuation = continuation
        var drivers: [Int: EVSEPartsDriver] = [:]
        for (evse, evseParts) in parts {
            guard let described = configuration.evses.first(where: { $0.id == evse }) else {
                throw SimulatedBoardError("parts given for EVSE \(evse), which the board file does not have")
            }
            drivers[evse] = EVSEPartsDriver(
                evse: evse, parts: evseParts, maxCurrentA: described.maxCurrentA, events: continuation)
        }
        self.parts = drivers
        // No file means an idle board, so the initial state counts as saved: a factory-fresh start writes nothing
        // until something changes (the first BootNotification does not wait for an fsync).
        let state = persisted ?? SimBoardStateFile.initialState(for: configuration)
        self.core = SimBoardCore(
            configuration: configuration, statePath: statePath, evses: state, persisted: state,
            continuation: continuation, now: monotonicSeconds, logger: logger)
    }

    deinit {
        continuation.finish()
    }

    /// The system clock, seconds since 1970 (a meter sample's timestamp).
    static func systemSeconds() -> Double {
        SystemWallClock().systemSecondsSince1970()
    }

    /// Seconds on a monotonic clock (how long the EV has drawn power). `ContinuousClock` rather than `timespec`:
    /// the C modules this target imports (libgpiod's) carry their own `timespec`, and a release build cannot tell
    /// which one is meant.
    static let monotonicSeconds: @Sendable () -> Double = {
        let elapsed = ContinuousClock.now - monotonicOrigin
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
    private static let monotonicOrigin = ContinuousClock.now

    // MARK: BoardHardware

    public func physicalState() async -> [EVSEPhysicalState] {
        var states = await core.physicalState()
        for index in states.indices {
            let evse = states[index].evse
            if let driver = parts[evse] { states[index].faults.formUnion(driver.activeFaults) }
            if let meter = meters[evse] {
                // The real meter's register and power replace the simulated ones; a lost meter is a fault.
                if let sample = meter.latest {
                    states[index].energyWh = sample.energyImportWh ?? states[index].energyWh
                    states[index].powerW = sample.powerW ?? states[index].powerW
                }
                if meter.isLost { states[index].faults.insert(.meterLost) }
            }
        }
        return states
    }

    public func setContactor(evse: Int, closed: Bool) async throws {
        // Opening goes to the real contactor first: it is what stops the energy.
        _ = try await parts[evse]?.setContactor(closed: closed)
        try await core.setContactor(evse: evse, closed: closed)
        await showStatus(evse: evse)
    }

    public func setConnectorLock(evse: Int, connector: Int, locked: Bool) async throws {
        _ = try await parts[evse]?.setLock(connector: connector, locked: locked)
        try await core.setConnectorLock(evse: evse, locked: locked)
        // A cable was plugged (or is about to be unplugged): its proximity pilot caps the PWM's current.
        try? await parts[evse]?.refresh()
    }

    /// Limits above the EVSE's `maxCurrentA` are capped to it; negative or non-finite limits are refused.
    public func setCurrentLimit(evse: Int, amps: Double) async throws {
        try await core.setCurrentLimit(evse: evse, amps: amps)
        // The control pilot's PWM duty cycle (IEC 61851-1), where the EVSE has a control pilot part.
        try await parts[evse]?.setCurrentLimit(amps: amps)
    }

    func showStatus(evse: Int) async {
        guard let driver = parts[evse], let state = await physicalState().first(where: { $0.evse == evse }) else { return }
        let others = state.faults.subtracting(driver.activeFaults)
        await driver.show(otherFaulted: others.contains(where: \.makesConnectorFaulted), charging: state.contactorClosed)
    }

    /// Serves the control socket `DATA_DIR/sim.sock` until the task is cancelled; then closes it, removes the
    /// socket file, saves the meter and returns.
    public func run(station: any StationView) async throws {
        let continuation = continuation
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (evse, meter) in meters {
                group.addTask { await meter.run(evse: evse) { continuation.yield($0) } }
            }
            for (evse, driver) in parts {
                // The control pilot and the LEDs show the state the hardware is in now, before anything changes.
                if let limit = await core.physicalState().first(where: { $0.evse == evse })?.limitA {
                    try? await driver.setCurrentLimit(amps: limit)
                }
                await showStatus(evse: evse)
                group.addTask {
                    try await driver.watch()
                    try await Task.sleepUntilCancelled()  // a driver without inputs must not end the board's run
                }
            }
            if let reader = idTokenReader {
                group.addTask {
                    try await reader.run { token in
                        continuation.yield(.tokenPresented(idToken: token.idToken, type: token.type, evse: token.evse))
                    }
                }
            }
            group.addTask { try await self.serveControlSocket(station: station) }
            // The control socket ends the board's run (cancellation, shutdown); the watchers end with it.
            _ = try await group.next()
            group.cancelAll()
        }
    }
}

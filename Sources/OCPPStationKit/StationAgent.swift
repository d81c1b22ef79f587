// Wiring: flags and files in, a running station out. This is what `station-agent run` does, and what a manufacturer
// embeds (with their own BoardHardware if they like).
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
public import Logging
public import OCPPStation
internal import OCPPMessages
internal import OCPPStationHardware
internal import OCPPStationStorage
internal import OCPPStationWebSocket
internal import NIOPosix
internal import NIOCore
internal import ServiceLifecycle
internal import UnixSignals
internal import Synchronization

/// Everything `station-agent run` takes on its command line.
public struct StationAgentConfiguration: Sendable {
    public var csmsURL: String
    public var stationId: String
    public var boardFile: String
    public var deviceModelFile: String
    public var dataDirectory: String
    public var securityProfile: Int?
    public var basicAuthPassword: String?
    public var caFile: String?
    public var clientCertificateFile: String?
    public var clientKeyFile: String?

    public init(
        csmsURL: String, stationId: String, boardFile: String, deviceModelFile: String, dataDirectory: String,
        securityProfile: Int? = nil, basicAuthPassword: String? = nil, caFile: String? = nil,
        clientCertificateFile: String? = nil, clientKeyFile: String? = nil
    ) {
        self.csmsURL = csmsURL
        self.stationId = stationId
        self.boardFile = boardFile
        self.deviceModelFile = deviceModelFile
        self.dataDirectory = dataDirectory
        self.securityProfile = securityProfile
        self.basicAuthPassword = basicAuthPassword
        self.caFile = caFile
        self.clientCertificateFile = clientCertificateFile
        self.clientKeyFile = clientKeyFile
    }
}

/// Bad input: one line naming the file or flag, the field, and the reason.
public struct StationAgentError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A station ready to run: every input validated, state opened.
public final class StationAgent: Sendable {
    public let configuration: StationAgentConfiguration
    /// The command a Reset runs instead of re-executing the agent (from the board file), if any.
    public let rebootCommand: [String]?
    /// The station, to register a manufacturer's own variables (`register`) before `run()`.
    public let station: ChargingStation
    let board: any BoardHardware
    let store: any StationStore
    let logger: Logger
    let eventLoopGroup: MultiThreadedEventLoopGroup

    /// The files the station's storage keeps in the data directory; the board adds its own. Anything else but
    /// `*.log` is refused at start.
    public static let storageFiles: Set<String> = ["station.db", "station.db-wal", "station.db-shm", "station.db-journal"]

    /// Validates the configuration and every file it names, and opens the station's state. Throws a
    /// `StationAgentError` with one clear line on bad input; changes nothing it was given.
    public init(configuration: StationAgentConfiguration, logger: Logger) throws(StationAgentError) {
        self.configuration = configuration
        self.logger = logger
        try Self.checkFlags(configuration)
        // One event-loop thread serves the CSMS connection and the board's sockets: the agent's I/O is light, and
        // each thread costs memory on a small controller.
        let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.eventLoopGroup = eventLoopGroup
        let transport: WebSocketCSMSTransport
        do {
            transport = try WebSocketCSMSTransport(
                configuration: .init(
                    url: WebSocketCSMSTransport.endpoint(csmsURL: configuration.csmsURL, stationId: configuration.stationId),
                    pingInterval: nil),
                eventLoopGroup: eventLoopGroup, logger: logger)
        } catch {
            throw StationAgentError("--csms-url: \(error.description)")
        }
        // The TCP connect and HTTP upgrade run while the files are read and the state is opened: they are the two
        // halves of the time to the first BootNotification. Nothing is sent before the station runs; if the input
        // turns out bad, the process exits and the connection just closes.
        transport.startConnecting()

        // An existing database opens and checks itself on another thread while the files are parsed: the two are
        // the longest steps before the first BootNotification. Opening a current file changes nothing in it; if
        // the input turns out bad, it is closed again before the agent refuses to start. A new database is only
        // created, and an older one only migrated, once everything validated: bad input changes nothing.
        let directory = configuration.dataDirectory
        let databasePath = directory + "/station.db"
        let earlyStore =
            FileAccess.isRegularFile(databasePath)
            ? BackgroundResult { try SQLiteStationStore(path: databasePath, upgrade: false) } : nil
        let board: BoardConfiguration
        var deviceModel: DeviceModel
        let store: SQLiteStationStore
        do throws(StationAgentError) {
            do {
                board = try BoardConfiguration.load(path: configuration.boardFile)
            } catch {
                throw StationAgentError(error.description)
            }
            do {
                let text = try FileAccess.readText(configuration.deviceModelFile)
                deviceModel = try DeviceModel.parse(text, file: configuration.deviceModelFile)
                // EVSE and Connector components the file does not describe come from the board (3 phases at 230 V).
                deviceModel.addBoardComponents(board.evses.map { evse in
                    DeviceModel.BoardEVSE(
                        id: evse.id, maxPowerW: (evse.maxCurrentA * 230 * 3).rounded(),
                        connectors: evse.connectors.map { ConnectorDescription(id: $0.id, type: $0.type) })
                })
                try deviceModel.checkRequiredVariables(file: configuration.deviceModelFile)
                try Self.checkConsistency(board: board, deviceModel: deviceModel, file: configuration.deviceModelFile)
            } catch let error as DeviceModelError {
                throw StationAgentError(error.description)
            } catch {
                throw StationAgentError("device model \(configuration.deviceModelFile): \(error)")
            }
            try Self.prepareDataDirectory(
                directory,
                allowed: Self.storageFiles.union(board.dataDirectoryFileNames).union(SimulatedBoard.leftoverFileNames))
            do {
                switch earlyStore?.wait() {
                case .success(let opened): store = opened
                case .failure(let error as StationStoreError) where error.upgradeDeferred:
                    store = try SQLiteStationStore(path: databasePath)
                case .failure(let error): throw error
                case nil: store = try SQLiteStationStore(path: databasePath)
                }
            } catch let error as StationStoreError {
                throw StationAgentError(error.description)
            } catch {
                throw StationAgentError("state file \(databasePath): \(error)")
            }
        } catch {
            (try? earlyStore?.wait().get())?.closeNow()
            throw error
        }
        let hardware: any BoardHardware
        do {
            hardware = try board.makeHardware(dataDirectory: directory, eventLoopGroup: eventLoopGroup, logger: logger)
        } catch {
            store.closeNow()
            throw StationAgentError("\(error)")
        }

        transport.setPingInterval(deviceModel.integer("OCPPCommCtrlr", "WebSocketPingInterval").map { Duration.seconds($0) })
        self.rebootCommand = board.rebootCommand
        self.board = hardware
        self.store = store
        // The same SQLite file holds the station's values and the durable outbox with the open transaction records.
        self.station = ChargingStation(
            deviceModel: deviceModel, board: hardware, store: store, outbox: store, transport: transport, logger: logger)
    }

    static func checkFlags(_ configuration: StationAgentConfiguration) throws(StationAgentError) {
        let url = configuration.csmsURL
        if !(url.hasPrefix("ws://") || url.hasPrefix("wss://")) {
            throw StationAgentError("--csms-url \(url): must start with ws:// or wss://")
        }
        if url.hasPrefix("wss://") {
            throw StationAgentError("--csms-url \(url): wss:// (security profiles 2 and 3) is not supported yet")
        }
        let id = configuration.stationId
        // SecurityCtrlr.Identity is an identifierString of at most 48 characters.
        if id.isEmpty || id.count > 48 {
            throw StationAgentError("--station-id: must be 1 to 48 characters")
        }
        if let profile = configuration.securityProfile {
            if !(0...3).contains(profile) {
                throw StationAgentError("--security-profile \(profile): must be 0, 1, 2 or 3")
            }
            if profile != 0 {
                throw StationAgentError("--security-profile \(profile): security profiles 1-3 are not supported yet")
            }
        }
        let notYet: [(String, String?)] = [
            ("--basic-auth-password", configuration.basicAuthPassword), ("--ca-file", configuration.caFile),
            ("--client-cert", configuration.clientCertificateFile), ("--client-key", configuration.clientKeyFile),
        ]
        for (flag, value) in notYet where value != nil {
            throw StationAgentError("\(flag): not supported yet (security profiles come in a later release)")
        }
    }

    /// The board and the device model must describe the same EVSEs and connectors.
    static func checkConsistency(board: BoardConfiguration, deviceModel: DeviceModel, file: String) throws(DeviceModelError) {
        let boardConnectors = Set(board.evseDescriptions.flatMap { evse in evse.connectors.map { "\(evse.id)/\($0.id)" } })
        let boardEVSEs = Set(board.evseDescriptions.map(\.id))
        var modelConnectors = Set<String>()
        var modelEVSEs = Set<Int>()
        for component in deviceModel.components {
            if component.name == "EVSE", let id = component.evseId { modelEVSEs.insert(id) }
            if component.name == "Connector", let id = component.evseId, let connector = component.connectorId {
                modelConnectors.insert("\(id)/\(connector)")
            }
        }
        for id in boardEVSEs.subtracting(modelEVSEs).sorted() {
            throw DeviceModelError(file: file, field: "EVSE[evse \(id)]", reason: "the board has EVSE \(id) but the device model has no EVSE component for it")
        }
        for id in modelEVSEs.subtracting(boardEVSEs).sorted() {
            throw DeviceModelError(file: file, field: "EVSE[evse \(id)]", reason: "the board has no EVSE \(id)")
        }
        for key in boardConnectors.subtracting(modelConnectors).sorted() {
            throw DeviceModelError(file: file, field: "Connector[\(key)]", reason: "the board has connector \(key) but the device model has no Connector component for it")
        }
        for key in modelConnectors.subtracting(boardConnectors).sorted() {
            throw DeviceModelError(file: file, field: "Connector[\(key)]", reason: "the board has no connector \(key)")
        }
    }

    /// Creates the data directory if missing; refuses a path that is not a writable directory, and files in it
    /// that are neither logs (`*.log`) nor the agent's state.
    static func prepareDataDirectory(_ path: String, allowed: Set<String>) throws(StationAgentError) {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno != ENOENT { throw StationAgentError("--data-dir \(path): \(FileAccess.errorText(errno))") }
            if let failure = FileAccess.makeDirectories(path) {
                throw StationAgentError("--data-dir \(path): cannot create: \(failure)")
            }
            return
        }
        if (info.st_mode & S_IFMT) != S_IFDIR {
            throw StationAgentError("--data-dir \(path): not a directory")
        }
        if access(path, R_OK | W_OK | X_OK) != 0 {
            throw StationAgentError("--data-dir \(path): not readable and writable: \(FileAccess.errorText(errno))")
        }
        guard let entries = FileAccess.listDirectory(path) else {
            throw StationAgentError("--data-dir \(path): cannot list: \(FileAccess.errorText(errno))")
        }
        for name in entries.sorted() where !name.hasSuffix(".log") && !allowed.contains(name) {
            throw StationAgentError(
                "--data-dir \(path): unexpected file \(name) (the directory holds only the agent's state and *.log files)")
        }
    }

    /// Runs until SIGTERM/SIGINT (graceful, at most 5 s) or a Reset from the CSMS, then closes the state cleanly.
    public func run() async throws -> ChargingStation.Outcome {
        let outcome = OutcomeBox()
        let stationService = StationService(station: station, outcome: outcome)
        let boardService = BoardService(board: board, station: station)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: boardService),
                .init(service: stationService, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // The agent's contract: stopped within 5 s of SIGTERM. Past 4 s, whatever still runs is cancelled.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(4)
        groupConfiguration.maximumCancellationDuration = .milliseconds(500)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            logger.error("station stopped with an error: \(error)")
            try? await store.close()
            throw error
        }
        try await store.close()
        try? await eventLoopGroup.shutdownGracefully()
        return outcome.value
    }
}

// CustomStringConvertible: ServiceLifecycle names each service with "\(service)", which for a plain struct means
// reflection at start-up.
struct StationService: Service, CustomStringConvertible {
    var description: String { "station" }
    /// The station, to register a manufacturer's own variables (`register`) before `run()`.
    public let station: ChargingStation
    let outcome: OutcomeBox
    func run() async throws {
        outcome.value = await station.run()
    }
}

struct BoardService: Service, CustomStringConvertible {
    var description: String { "board" }
    let board: any BoardHardware
    /// The station, to register a manufacturer's own variables (`register`) before `run()`.
    public let station: ChargingStation
    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await board.run(station: station)
        }
    }
}

final class OutcomeBox: Sendable {
    private let storage = Mutex(ChargingStation.Outcome.stopped)
    var value: ChargingStation.Outcome {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

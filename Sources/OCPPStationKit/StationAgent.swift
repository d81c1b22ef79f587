// Wiring: flags and files in, a running station out. This is what `station-agent run` does, and what a manufacturer
// embeds (with their own BoardHardware if they like).
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
public import Logging
public import OCPPStation
public import OCPPMessages
public import OCPPStationHardware
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

    /// The security profile the flags ask for: --security-profile, or else what the other flags imply (a client
    /// certificate: 3; wss://: 2; a password: 1; otherwise 0, the development mode without authentication).
    public var resolvedSecurityProfile: Int {
        if let securityProfile { return securityProfile }
        if csmsURL.hasPrefix("wss://") { return clientCertificateFile != nil ? 3 : 2 }
        return basicAuthPassword != nil ? 1 : 0
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

    /// Builds the station's hardware from the validated board file: a manufacturer's own drivers instead of the
    /// backends this package has. `dataDirectory` is where hardware state may be kept.
    public typealias HardwareFactory = @Sendable (_ board: BoardConfiguration, _ dataDirectory: String) throws -> any BoardHardware

    /// The TLS material in the data directory: copied there from the flags on first start, kept afterwards.
    public static let csmsRootFile = "csms-root.pem"
    public static let stationCertificateFile = "station-cert.pem"
    public static let stationKeyFile = "station-key.pem"
    /// Every file of the certificate storage, and the temporary files of its atomic writes.
    static let securityFiles: Set<String> = Set(
        CertificateItem.allCases.flatMap { [CertificateFiles.fileName($0), CertificateFiles.fileName($0) + ".new"] })

    /// Validates the configuration and every file it names, and opens the station's state. Throws a
    /// `StationAgentError` with one clear line on bad input; changes nothing it was given.
    /// - Parameter hardware: the manufacturer's `BoardHardware`, built from the board file (default: the board
    ///   file's backends: the sim board, GPIO lines, Modbus meters). Its EVSEs and connectors must be the board file's.
    public init(
        configuration: StationAgentConfiguration, logger: Logger, hardware makeHardware: HardwareFactory? = nil
    ) throws(StationAgentError) {
        self.configuration = configuration
        self.logger = logger
        try Self.checkFlags(configuration)
        let directory = configuration.dataDirectory
        let securityProfile = configuration.resolvedSecurityProfile
        // The TLS material: what an earlier start stored in the data directory wins over the flags (the CSMS may
        // have installed newer material); on first start the flags' files, which are copied there.
        let tlsFiles = WebSocketCSMSTransport.TLSFiles(
            csmsRootCertificates: Self.existing(directory, Self.csmsRootFile) ?? configuration.caFile,
            clientCertificate: Self.existing(directory, Self.stationCertificateFile) ?? configuration.clientCertificateFile,
            clientKey: Self.existing(directory, Self.stationKeyFile) ?? configuration.clientKeyFile)
        let material = try Self.checkTLSMaterial(tlsFiles, securityProfile: securityProfile, configuration: configuration)
        // One event-loop thread serves the CSMS connection and the board's sockets: the agent's I/O is light, and
        // each thread costs memory on a small controller.
        let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.eventLoopGroup = eventLoopGroup
        // The transport reads the data directory's files at every connection (what the CSMS installed since, A02,
        // M05), and the flags' files until they are copied there.
        let certificateFiles = CertificateFiles(directory: directory)
        let transport = WebSocketCSMSTransport(
            configuration: .init(
                tlsFiles: WebSocketCSMSTransport.TLSFiles(
                    csmsRootCertificates: certificateFiles.path(.csmsRootCertificates),
                    clientCertificate: certificateFiles.path(.stationCertificate),
                    clientKey: certificateFiles.path(.stationKey)),
                tlsFallbackFiles: WebSocketCSMSTransport.TLSFiles(
                    csmsRootCertificates: configuration.caFile, clientCertificate: configuration.clientCertificateFile,
                    clientKey: configuration.clientKeyFile)),
            eventLoopGroup: eventLoopGroup, logger: logger)
        let provisioning = ConnectionProvisioning(
            stationId: configuration.stationId, csmsURL: configuration.csmsURL, securityProfile: securityProfile,
            basicAuthPassword: configuration.basicAuthPassword, hasCSMSRootCertificate: material.csmsRoot,
            hasStationCertificate: material.stationCertificate)
        // The TCP connect, TLS handshake and HTTP upgrade run while the files are read and the state is opened: they
        // are the two halves of the time to the first BootNotification. Nothing is sent before the station runs; if
        // the input turns out bad, the process exits and the connection just closes. It is used only if the stored
        // network connection profile 1 is what the flags say (a first start, or the CSMS changed nothing). With a
        // password, only on a first start: later the stored password wins, and a stale one must not be sent.
        let firstStart = !POSIXFiles.isRegularFile(directory + "/station.db")
        if let password = configuration.basicAuthPassword ?? (securityProfile == 0 || securityProfile == 3 ? "" : nil),
            password.isEmpty || firstStart
        {
            transport.startConnecting(
                ConnectionProfile(
                    slot: 1, csmsURL: configuration.csmsURL, stationId: configuration.stationId,
                    securityProfile: securityProfile, basicAuthPassword: password.isEmpty ? nil : password))
        }

        // An existing database opens and checks itself on another thread while the files are parsed: the two are
        // the longest steps before the first BootNotification. Opening a current file changes nothing in it; if
        // the input turns out bad, it is closed again before the agent refuses to start. A new database is only
        // created, and an older one only migrated, once everything validated: bad input changes nothing.
        let databasePath = directory + "/station.db"
        let earlyStore =
            POSIXFiles.isRegularFile(databasePath)
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
                let text = try POSIXFiles.readText(configuration.deviceModelFile)
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
                allowed: Self.storageFiles.union(Self.securityFiles).union(board.dataDirectoryFileNames)
                    .union(SimulatedBoard.leftoverFileNames))
            try Self.copyTLSMaterial(configuration, into: directory, logger: logger)
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
            if let makeHardware {
                hardware = try makeHardware(board, directory)
            } else {
                hardware = try board.makeHardware(dataDirectory: directory, eventLoopGroup: eventLoopGroup, logger: logger)
            }
        } catch {
            store.closeNow()
            throw StationAgentError("\(error)")
        }
        // The device model was checked against the board file: the hardware must have exactly its EVSEs.
        let described = hardware.evses.map { [$0.id] + $0.connectors.map(\.id) }
        guard described == board.evseDescriptions.map({ [$0.id] + $0.connectors.map(\.id) }) else {
            store.closeNow()
            throw StationAgentError(
                "board file \(configuration.boardFile): the hardware has EVSEs \(described) (id, connector ids), the file \(board.evseDescriptions.map { [$0.id] + $0.connectors.map(\.id) })")
        }

        transport.setPingInterval(deviceModel.integer("OCPPCommCtrlr", "WebSocketPingInterval").map { Duration.seconds($0) })
        self.rebootCommand = board.rebootCommand
        self.board = hardware
        self.store = store
        // The same SQLite file holds the station's values and the durable outbox with the open transaction records.
        self.station = ChargingStation(
            deviceModel: deviceModel, board: hardware, store: store, outbox: store, transport: transport,
            authorizationStore: store, provisioning: provisioning,
            securityLog: SecurityLogFile(path: directory + "/" + SecurityLogFile.fileName, logger: logger),
            certificates: certificateFiles, logger: logger)
    }

    /// Registers the firmware's handler for the CSMS's DataTransferRequests with this vendorId (P01); a vendorId
    /// without a handler is answered UnknownVendorId.
    public func setDataTransferHandler(vendorId: String, _ handler: DataTransferHandler?) async {
        await station.setDataTransferHandler(vendorId: vendorId, handler)
    }

    /// Sends a DataTransferRequest to the CSMS (P02); throws when offline or unanswered.
    public func sendDataTransfer(_ request: DataTransferRequest) async throws -> DataTransferResponse {
        try await station.sendDataTransfer(request)
    }

    static func checkFlags(_ configuration: StationAgentConfiguration) throws(StationAgentError) {
        let url = configuration.csmsURL
        if !(url.hasPrefix("ws://") || url.hasPrefix("wss://")) {
            throw StationAgentError("--csms-url \(url): must start with ws:// or wss://")
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
        }
        let profile = configuration.resolvedSecurityProfile
        if let problem = WebSocketCSMSTransport.problem(withURL: url, securityProfile: profile) {
            throw StationAgentError("--csms-url \(url): \(problem)")
        }
        if let password = configuration.basicAuthPassword {
            // A00.FR.304 (errata): 16 to 40 characters (BasicAuthPassword's maxLimit in device-model.json).
            if password.count < 16 || password.count > 40 {
                throw StationAgentError("--basic-auth-password: must be 16 to 40 characters")
            }
            // A00.FR.303: with Basic auth the identity may not contain ":" (nor "." for some CSMSs).
            if id.contains(":") { throw StationAgentError("--station-id: may not contain \":\" with Basic authentication") }
        } else if profile == 1 || profile == 2 {
            throw StationAgentError("--security-profile \(profile): needs --basic-auth-password")
        }
        if (configuration.clientCertificateFile == nil) != (configuration.clientKeyFile == nil) {
            throw StationAgentError("--client-cert and --client-key go together")
        }
    }

    static func existing(_ directory: String, _ name: String) -> String? {
        let path = directory + "/" + name
        return POSIXFiles.isRegularFile(path) ? path : nil
    }

    /// Reads and checks the TLS material the security profile needs (and any the flags name): refuses to start
    /// naming the file and the reason. Returns what is there.
    static func checkTLSMaterial(
        _ files: WebSocketCSMSTransport.TLSFiles, securityProfile: Int, configuration: StationAgentConfiguration
    ) throws(StationAgentError) -> (csmsRoot: Bool, stationCertificate: Bool) {
        let named: [(String, String?)] = [
            ("--ca-file", files.csmsRootCertificates), ("--client-cert", files.clientCertificate),
            ("--client-key", files.clientKey),
        ]
        for (flag, path) in named {
            guard let path else { continue }
            do {
                _ = try POSIXFiles.readText(path)
            } catch {
                throw StationAgentError("\(flag) \(path): \(error.description)")
            }
        }
        let needsRoot = securityProfile >= 2 || files.csmsRootCertificates != nil
        let hasStation = files.clientCertificate != nil && files.clientKey != nil
        if needsRoot {
            do {
                _ = try WebSocketCSMSTransport.tlsConfiguration(securityProfile: hasStation ? 3 : 2, files: files)
            } catch {
                throw StationAgentError(error.description)
            }
        } else if hasStation {
            throw StationAgentError("--client-cert: a station certificate needs the CSMS root certificates (--ca-file)")
        }
        if securityProfile == 3 && !hasStation {
            throw StationAgentError("--security-profile 3: needs --client-cert and --client-key")
        }
        return (needsRoot, hasStation)
    }

    /// First start: the flags' TLS material goes into the data directory (the key readable by the agent only).
    /// Later starts keep what is there (the CSMS may have installed newer material); different flags are a warning.
    static func copyTLSMaterial(_ configuration: StationAgentConfiguration, into directory: String, logger: Logger)
        throws(StationAgentError)
    {
        let copies: [(String, String?, String, mode_t)] = [
            ("--ca-file", configuration.caFile, csmsRootFile, 0o644),
            ("--client-cert", configuration.clientCertificateFile, stationCertificateFile, 0o644),
            ("--client-key", configuration.clientKeyFile, stationKeyFile, 0o600),
        ]
        for (flag, source, name, mode) in copies {
            guard let source else { continue }
            let target = directory + "/" + name
            let text: String
            do {
                text = try POSIXFiles.readText(source)
            } catch {
                throw StationAgentError("\(flag) \(source): \(error.description)")
            }
            if POSIXFiles.isRegularFile(target) {
                if (try? POSIXFiles.readText(target)) != text {
                    logger.warning("\(flag) \(source) differs from \(target), which was installed earlier and is kept")
                }
                continue
            }
            if let failure = POSIXFiles.writeFile(target, text, mode: mode) {
                throw StationAgentError("--data-dir: cannot store \(flag) \(source): \(failure)")
            }
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
            if errno != ENOENT { throw StationAgentError("--data-dir \(path): \(POSIXFiles.errorText(errno))") }
            if let failure = POSIXFiles.makeDirectories(path) {
                throw StationAgentError("--data-dir \(path): cannot create: \(failure)")
            }
            return
        }
        if (info.st_mode & S_IFMT) != S_IFDIR {
            throw StationAgentError("--data-dir \(path): not a directory")
        }
        if access(path, R_OK | W_OK | X_OK) != 0 {
            throw StationAgentError("--data-dir \(path): not readable and writable: \(POSIXFiles.errorText(errno))")
        }
        guard let entries = POSIXFiles.listDirectory(path) else {
            throw StationAgentError("--data-dir \(path): cannot list: \(POSIXFiles.errorText(errno))")
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

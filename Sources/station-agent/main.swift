// station-agent: the thin executable. Parses flags, then hands over to OCPPStationKit.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import Logging
import OCPPStation
import OCPPStationHardware
import OCPPStationKit

struct StationAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station-agent",
        abstract: "An OCPP 2.0.1 charging-station agent.",
        subcommands: [Run.self, Sim.self])
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the station against a CSMS.")

    @Option(name: .customLong("csms-url"), help: "The CSMS endpoint, ws://HOST:PORT/PATH (the station id is appended).")
    var csmsURL: String
    @Option(name: .customLong("station-id"), help: "The station's identity (at most 48 characters).")
    var stationId: String
    @Option(help: "The board file (for example boards/sim.json).")
    var board: String
    @Option(name: .customLong("device-model"), help: "The device model (for example device-model.json).")
    var deviceModel: String
    @Option(name: .customLong("data-dir"), help: "The directory holding all persistent state (created if missing).")
    var dataDir: String
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"
    @Option(name: .customLong("basic-auth-password"), help: "Security profiles 1-2 (not supported yet).")
    var basicAuthPassword: String?
    @Option(name: .customLong("security-profile"), help: "0 (none) to 3; profiles 1-3 are not supported yet.")
    var securityProfile: Int?
    @Option(name: .customLong("ca-file"), help: "CSMS CA certificate, PEM (not supported yet).")
    var caFile: String?
    @Option(name: .customLong("client-cert"), help: "Station certificate, PEM (not supported yet).")
    var clientCert: String?
    @Option(name: .customLong("client-key"), help: "Station private key, PEM (not supported yet).")
    var clientKey: String?

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw Failure("--log-level \(logLevel): must be trace, debug, info, notice, warning, error or critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "station-agent")
        let configuration = StationAgentConfiguration(
            csmsURL: csmsURL, stationId: stationId, boardFile: board, deviceModelFile: deviceModel, dataDirectory: dataDir,
            securityProfile: securityProfile, basicAuthPassword: basicAuthPassword, caFile: caFile,
            clientCertificateFile: clientCert, clientKeyFile: clientKey)
        let agent: StationAgent
        do {
            agent = try StationAgent(configuration: configuration, logger: logger)
        } catch {
            throw Failure(error.description)
        }
        switch try await agent.run() {
        case .stopped:
            logger.info("stopped")
        case .reset:
            reboot(agent.rebootCommand, logger: logger)
        }
    }

    /// B11: the reset reboots. With a board reboot command, run it; otherwise re-execute this agent in place with the
    /// same arguments (and so the same data directory).
    func reboot(_ command: [String]?, logger: Logger) -> Never {
        if let command, let program = command.first {
            logger.notice("reset: running \(command.joined(separator: " "))")
            var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
            execvp(program, &argv)
            logger.critical("cannot run \(program): \(String(cString: strerror(errno)))")
            Glibc.exit(1)
        }
        logger.notice("reset: re-executing the agent")
        var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        logger.critical("cannot re-execute: \(String(cString: strerror(errno)))")
        Glibc.exit(1)
    }
}

struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drive the simulated board of a running agent (through DATA_DIR/sim.sock).",
        discussion: "Commands: plug, unplug, ev-charge, ev-suspend, tap, power, fault, clear-fault, status.")

    @Option(name: .customLong("data-dir"), help: "The running agent's data directory.")
    var dataDir: String
    @Argument(help: "plug | unplug | ev-charge | ev-suspend | tap | power | fault | clear-fault | status")
    var command: String
    @Option(help: "The EVSE id.")
    var evse: Int?
    @Option(help: "Fault kind: ground-fault, overcurrent, meter-lost, emergency-stop.")
    var kind: String?
    @Option(name: .customLong("id-token"), help: "The token presented (tap).")
    var idToken: String?
    @Option(help: "The token type (tap), default ISO14443.")
    var type: String?
    @Option(help: "What the EV draws, in watts (power).")
    var watts: Double?

    func run() throws {
        let request = SimControlClient.request(
            command: command, evse: evse, kind: kind, idToken: idToken, type: type, watts: watts)
        let reply: String
        do {
            reply = try SimControlClient.send(request: request, dataDirectory: dataDir)
        } catch {
            throw Failure("\(error)")
        }
        print(reply)
        if !reply.contains("\"ok\":true") { throw ExitCode(1) }
    }
}

/// A one-line error for stderr.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// Bad input gets one line on stderr and a non-zero exit, never a usage dump or a stack trace.
do {
    var command = try StationAgentCommand.parseAsRoot()
    if let run = command as? Run {
        try await run.run()
    } else {
        try command.run()
    }
} catch let failure as Failure {
    FileHandleStderr.write("station-agent: \(failure.description)\n")
    exit(2)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let exitCode = StationAgentCommand.exitCode(for: error)
    if exitCode == .success {
        print(StationAgentCommand.fullMessage(for: error))
        exit(0)
    }
    let message = StationAgentCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    FileHandleStderr.write("station-agent: \(message)\n")
    exit(2)
}

enum FileHandleStderr {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)
    }
}

// station-agent: the thin executable. Parses flags, then hands over to OCPPStationKit.
//
// The flags are parsed by hand (CommandLine.swift) rather than with swift-argument-parser: its reflection-based
// parsing cost about a third of the agent's start-up CPU (protocol-conformance scans over the whole static binary),
// and start-up to BootNotification is a measured target.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging
import OCPPStation
import OCPPStationHardware
import OCPPStationKit

let usage = """
    station-agent: an OCPP 2.0.1 charging-station agent.

    USAGE:
      station-agent run --csms-url ws://HOST:PORT/PATH --station-id ID --board FILE --device-model FILE --data-dir DIR
                        [--log-level trace|debug|info|notice|warning|error|critical]
                        [--basic-auth-password P] [--security-profile 0-3] [--ca-file F] [--client-cert F --client-key F]
      station-agent sim --data-dir DIR COMMAND [--evse N] [--connector N] [--kind KIND] [--id-token T] [--type T] [--watts W]
          COMMAND: plug | unplug | ev-charge | ev-suspend | tap | power | fault | clear-fault | status

    run   connects to <csms-url>/<station-id> and runs the station; SIGTERM or SIGINT stops it.
    sim   drives the simulated board of a running agent through DIR/sim.sock and prints its reply.
    """

let runFlags: Set<String> = [
    "--csms-url", "--station-id", "--board", "--device-model", "--data-dir", "--log-level", "--basic-auth-password",
    "--security-profile", "--ca-file", "--client-cert", "--client-key",
]
let simFlags: Set<String> = ["--data-dir", "--evse", "--connector", "--kind", "--id-token", "--type", "--watts"]

func run(_ flags: Flags) async throws(Failure) {
    let levelName = flags["--log-level"] ?? "info"
    guard let level = Logger.Level(rawValue: levelName) else {
        throw Failure("--log-level \(levelName): must be trace, debug, info, notice, warning, error or critical")
    }
    let configuration = StationAgentConfiguration(
        csmsURL: try flags.required("--csms-url"), stationId: try flags.required("--station-id"),
        boardFile: try flags.required("--board"), deviceModelFile: try flags.required("--device-model"),
        dataDirectory: try flags.required("--data-dir"), securityProfile: try flags.integer("--security-profile"),
        basicAuthPassword: flags["--basic-auth-password"], caFile: flags["--ca-file"],
        clientCertificateFile: flags["--client-cert"], clientKeyFile: flags["--client-key"])
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    let logger = Logger(label: "station-agent")
    let agent: StationAgent
    do {
        agent = try StationAgent(configuration: configuration, logger: logger)
    } catch {
        throw Failure(error.description)
    }
    do {
        switch try await agent.run() {
        case .stopped:
            logger.info("stopped")
        case .reset:
            reboot(agent.rebootCommand, logger: logger)
        }
    } catch {
        logger.critical("stopped with an error: \(error)")
        exit(1)
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
        exit(1)
    }
    logger.notice("reset: re-executing the agent")
    var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", &argv)
    logger.critical("cannot re-execute: \(String(cString: strerror(errno)))")
    exit(1)
}

func sim(_ flags: Flags) throws(Failure) -> Int32 {
    guard let command = flags.positional.first, flags.positional.count == 1 else {
        throw Failure("sim: give exactly one command (plug, unplug, ev-charge, ev-suspend, tap, power, fault, clear-fault, status)")
    }
    let request = SimControlClient.request(
        command: command, evse: try flags.integer("--evse"), kind: flags["--kind"], idToken: flags["--id-token"],
        type: flags["--type"], watts: try flags.number("--watts"), connector: try flags.integer("--connector"))
    let dataDirectory = try flags.required("--data-dir")
    let reply: String
    do {
        reply = try SimControlClient.send(request: request, dataDirectory: dataDirectory)
    } catch {
        throw Failure(error.description)
    }
    print(reply)
    return reply.contains("\"ok\":true") ? 0 : 1
}

// One malloc arena: the agent is a small daemon, and per-thread arenas cost anonymous memory for nothing.
// (glibc's mallopt(M_ARENA_MAX = -8, 1); <malloc.h> is not in the Glibc module.)
@_silgen_name("mallopt") func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
_ = mallopt(-8, 1)

// Bad input gets one line on stderr and exit code 2, never a usage dump or a stack trace.
let arguments = Array(CommandLine.arguments.dropFirst())
do throws(Failure) {
    switch arguments.first {
    case "run":
        let flags = try Flags(parsing: arguments.dropFirst(), allowed: runFlags, positionals: false)
        if flags.help { print(usage) } else { try await run(flags) }
    case "sim":
        let flags = try Flags(parsing: arguments.dropFirst(), allowed: simFlags, positionals: true)
        if flags.help { print(usage) } else { exit(try sim(flags)) }
    case "-h", "--help", "help":
        print(usage)
    case nil:
        throw Failure("missing command: run or sim (see station-agent --help)")
    case let other?:
        throw Failure("unknown command \(other): run or sim (see station-agent --help)")
    }
} catch {
    let line = "station-agent: \(error.description)\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    exit(2)
}

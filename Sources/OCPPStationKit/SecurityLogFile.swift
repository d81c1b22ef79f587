// The security log (Part 2 appendix, security events) as a file in the data directory: one line per event,
// `<timestamp> <type>[ <techInfo>]`. Security events are rare; each line is appended with its own write.
internal import OCPPStation
internal import Logging
internal import OCPPStationHardware  // POSIXFiles

struct SecurityLogFile: SecurityEventLog {
    static let fileName = "security.log"
    let path: String
    let logger: Logger

    func record(type: String, timestamp: String, techInfo: String?) async {
        let line = "\(timestamp) \(type)" + (techInfo.map { " " + $0.filter { $0 != "\n" && $0 != "\r" } } ?? "")
        if let failure = POSIXFiles.appendLine(path, line) {
            logger.error("cannot write the security log \(path): \(failure)")
        }
    }
}

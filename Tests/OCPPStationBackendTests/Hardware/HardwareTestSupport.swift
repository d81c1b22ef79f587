// Helpers for the hardware backend tests: temp directories, the repository root, raw socket access.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import OCPPStation
@testable import OCPPStationHardware

enum HardwareTestSupport {
    /// The repository root: the nearest directory above this file with `boards/sim.json`.
    static func repositoryRoot(filePath: String = #filePath) -> String {
        var directory = POSIXFiles.parentDirectory(of: filePath)
        while directory != "/" && !directory.isEmpty {
            if POSIXFiles.kind(path: directory + "/boards/sim.json") == .file { return directory }
            directory = POSIXFiles.parentDirectory(of: directory)
        }
        fatalError("no boards/sim.json above \(filePath)")
    }

    static var simBoardPath: String { repositoryRoot() + "/boards/sim.json" }

    static func simBoard() throws -> BoardConfiguration {
        try BoardConfiguration.load(path: simBoardPath)
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func contents(of path: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    static func listing(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    /// Runs blocking work on its own thread, so the cooperative pool stays free for the code under test.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    /// `SimControlClient.send` off the cooperative pool.
    static func send(_ request: String, _ dataDirectory: String) async throws -> String {
        try await offPool { try SimControlClient.send(request: request, dataDirectory: dataDirectory) }
    }

    /// Waits (bounded) until something accepts connections on `DATA_DIR/sim.sock`.
    static func waitForSocket(_ dataDirectory: String) async throws {
        let path = dataDirectory + "/sim.sock"
        for _ in 0..<500 {
            if POSIXFiles.kind(path: path) == .socket, let fd = try? SimControlClient.connect(socketPath: path, dataDirectory: dataDirectory) {
                close(fd)
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HardwareTestError("\(path) did not appear within 5 s")
    }
}

extension HardwareTestSupport {
    /// A Unix socket file nobody listens on, as a killed agent leaves behind.
    static func makeStaleSocket(_ path: String) throws {
        #if canImport(Darwin)
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if bound != 0 { throw HardwareTestError("cannot bind \(path)") }
    }
}

struct HardwareTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh directory under /tmp (short paths: Unix socket paths are limited to 107 bytes), removed on deinit.
final class HardwareTempDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/ocpp-hw-XXXXXX".utf8CString)
        guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HardwareTestError("mkdtemp failed")
        }
        path = String(cString: result)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A raw connection to the control socket for what `SimControlClient` does not do (several lines, huge lines).
final class SimRawControlConnection: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(dataDirectory: String) throws {
        fd = try SimControlClient.connect(socketPath: dataDirectory + "/sim.sock", dataDirectory: dataDirectory)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Writes all of `bytes`; false when the peer closed the connection.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            #if canImport(Darwin)
            let n = bytes.withUnsafeBytes { Darwin.send(fd, $0.baseAddress! + sent, $0.count - sent, 0) }
            #else
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            #endif
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            sent += n
        }
        return true
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    /// The next line, or nil at end of stream (or on a read error/timeout).
    func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }
}

/// What the station shows, fixed for a test.
struct HardwareFakeStationView: StationView {
    var views: [EVSEStationView]

    init(_ views: [EVSEStationView]) { self.views = views }

    func evseViews() async -> [EVSEStationView] { views }
}

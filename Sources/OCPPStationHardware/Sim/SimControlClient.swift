// The client side of the sim control socket, for `station-agent sim --data-dir DIR plug --evse 1` and tests.
// Plain blocking POSIX sockets: one request line out, one reply line back.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import OCPPMessages

/// Why a request could not be sent or answered, in one line.
public struct SimControlError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum SimControlClient {
    /// How long `send` waits for the reply.
    public static let replyTimeoutSeconds = 10

    /// Sends one request line (a JSON object; a trailing line break is optional) to the agent running with
    /// `dataDirectory` and returns its reply line (without line break), e.g. `{"ok":true}`.
    public static func send(request: String, dataDirectory: String) throws(SimControlError) -> String {
        let path = POSIXFiles.join(dataDirectory, "sim.sock")
        var line = request
        while line.hasSuffix("\n") || line.hasSuffix("\r") { line.removeLast() }
        if line.contains("\n") { throw SimControlError("the request must be one line") }
        let fd = try connect(socketPath: path, dataDirectory: dataDirectory)
        defer { close(fd) }

        var timeout = timeval(tv_sec: replyTimeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        let bytes = Array((line + "\n").utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { sendBytes(fd, $0.baseAddress! + sent, $0.count - sent) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SimControlError("cannot send the request to \(path): \(POSIXFiles.errnoMessage())")
            }
            sent += n
        }

        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    throw SimControlError("no reply from \(path) within \(replyTimeoutSeconds) s")
                }
                throw SimControlError("cannot read the reply from \(path): \(POSIXFiles.errnoMessage())")
            }
            if n == 0 {
                throw SimControlError("the station agent closed \(path) without replying")
            }
            if let newline = chunk[0..<n].firstIndex(of: UInt8(ascii: "\n")) {
                reply.append(contentsOf: chunk[0..<newline])
                break
            }
            reply.append(contentsOf: chunk[0..<n])
            if reply.count > 16 << 20 { throw SimControlError("the reply from \(path) is too long") }
        }
        return String(decoding: reply, as: UTF8.self)
    }

    /// A request line for `command` (plug, unplug, ev-charge, ev-suspend, tap, power, fault, clear-fault, status)
    /// with the given arguments; nil arguments are left out.
    public static func request(
        command: String, evse: Int? = nil, kind: String? = nil, idToken: String? = nil, type: String? = nil,
        watts: Double? = nil, connector: Int? = nil
    ) -> String {
        var object = JSONObject()
        object["cmd"] = .string(command)
        if let evse { object["evse"] = .integer(evse) }
        if let connector { object["connector"] = .integer(connector) }
        if let kind { object["kind"] = .string(kind) }
        if let idToken { object["idToken"] = .string(idToken) }
        if let type { object["type"] = .string(type) }
        if let watts { object["watts"] = .number(watts) }
        return JSONValue.object(object).serialized()
    }

    /// A connected stream socket to `socketPath`.
    static func connect(socketPath path: String, dataDirectory: String) throws(SimControlError) -> Int32 {
        let notRunning = "no station agent is running with --data-dir \(dataDirectory)"
        switch POSIXFiles.kind(path: path) {
        case .missing: throw SimControlError("\(notRunning) (\(path) not found)")
        case .socket: break
        default: throw SimControlError("\(notRunning) (\(path) is not a socket)")
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else {
            throw SimControlError("socket path \(path) is too long (\(pathBytes.count) bytes; the limit is \(capacity - 1))")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        #if canImport(Darwin)
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        if fd < 0 { throw SimControlError("cannot create a socket: \(POSIXFiles.errnoMessage())") }
        #if !canImport(Darwin)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        #endif
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                systemConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 {
            let code = errno
            close(fd)
            if code == ECONNREFUSED || code == ENOENT {
                throw SimControlError("\(notRunning) (\(path) refuses connections)")
            }
            throw SimControlError("cannot connect to \(path): \(POSIXFiles.errnoMessage(code))")
        }
        return fd
    }

    private static func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
        #if canImport(Glibc)
        return Glibc.connect(fd, address, length)
        #elseif canImport(Musl)
        return Musl.connect(fd, address, length)
        #else
        return Darwin.connect(fd, address, length)
        #endif
    }

    private static func sendBytes(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        // MSG_NOSIGNAL: a closed peer gives EPIPE instead of killing the process with SIGPIPE.
        return Glibc.send(fd, pointer, count, Int32(MSG_NOSIGNAL))
        #elseif canImport(Musl)
        return Musl.send(fd, pointer, count, Int32(MSG_NOSIGNAL))
        #else
        return Darwin.send(fd, pointer, count, 0)
        #endif
    }
}

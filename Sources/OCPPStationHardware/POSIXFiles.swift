// Plain POSIX file access, the package's one file helper (no Foundation in the agent): reading whole small files with
// precise errors, atomic replacement (temp file in the same directory, fsync, rename, fsync the directory), sysfs
// attributes, and what the agent's start-up needs (OCPPStationKit: text files, directories, the security log).
// `package`: the start-up helpers below take a `mode_t`.
#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif

package enum POSIXFiles {
    enum ReadError: Error, Equatable {
        case notFound
        case isDirectory
        case tooLarge(limit: Int)
        /// Any other failure, with the operating system's message.
        case failed(String)

        var reason: String {
            switch self {
            case .notFound: return "file not found"
            case .isDirectory: return "is a directory, not a file"
            case .tooLarge(let limit): return "file is larger than \(limit) bytes"
            case .failed(let message): return "cannot read: \(message)"
            }
        }
    }

    package static func errnoMessage(_ code: Int32 = errno) -> String {
        guard let message = strerror(code) else { return "errno \(code)" }
        return String(cString: message)
    }

    /// The whole file. Fails for directories and files larger than `limit`.
    static func readFile(path: String, limit: Int = 4 << 20) throws(ReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT { throw .notFound }
            if code == EISDIR { throw .isDirectory }
            throw .failed(errnoMessage(code))
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw .failed(errnoMessage()) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw .isDirectory }
        if (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) > limit { throw .tooLarge(limit: limit) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                if code == EISDIR { throw .isDirectory }
                throw .failed(errnoMessage(code))
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
            if result.count > limit { throw .tooLarge(limit: limit) }
        }
        return result
    }

    enum Kind { case missing, file, directory, socket, other }

    static func kind(path: String) -> Kind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return errno == ENOENT ? .missing : .other }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFSOCK: return .socket
        default: return .other
        }
    }

    struct WriteError: Error, CustomStringConvertible {
        var description: String
    }

    /// Replaces `path` with `bytes` atomically: readers see the old or the new content, never a mix,
    /// and after return the new content survives a power cut. The temp file (`path` + ".tmp") never stays behind.
    /// `mode` is set whatever the umask (a private key must end up 0600).
    static func writeAtomically(path: String, bytes: [UInt8], mode: mode_t = 0o644) throws(WriteError) {
        let temp = path + ".tmp"
        let directory = parentDirectory(of: path)
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0 { throw WriteError(description: "cannot create \(temp): \(errnoMessage())") }
        fchmod(fd, mode)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let message = errnoMessage()
                close(fd)
                unlink(temp)
                throw WriteError(description: "cannot write \(temp): \(message)")
            }
            written += n
        }
        if fsync(fd) != 0 {
            let message = errnoMessage()
            close(fd)
            unlink(temp)
            throw WriteError(description: "cannot fsync \(temp): \(message)")
        }
        if close(fd) != 0 {
            let message = errnoMessage()
            unlink(temp)
            throw WriteError(description: "cannot close \(temp): \(message)")
        }
        if rename(temp, path) != 0 {
            let message = errnoMessage()
            unlink(temp)
            throw WriteError(description: "cannot rename \(temp) to \(path): \(message)")
        }
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd < 0 { throw WriteError(description: "cannot open directory \(directory) to fsync it: \(errnoMessage())") }
        defer { close(dirfd) }
        if fsync(dirfd) != 0 { throw WriteError(description: "cannot fsync directory \(directory): \(errnoMessage())") }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}

extension POSIXFiles {
    /// Writes a sysfs attribute (`echo value > path`): one write of the whole value. The kernel answers a value it
    /// refuses (a duty cycle above the period) with an errno, which is in the error.
    static func writeAttribute(path: String, _ value: String) throws(WriteError) {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        if fd < 0 { throw WriteError(description: "cannot open \(path): \(errnoMessage())") }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        while true {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n == bytes.count { return }
            if n < 0 && errno == EINTR { continue }
            throw WriteError(description: "cannot write \(jsonQuoted(value)) to \(path): \(n < 0 ? errnoMessage() : "short write")")
        }
    }

    /// A sysfs attribute's value without the trailing newline.
    static func readAttribute(path: String) throws(ReadError) -> String {
        var text = String(decoding: try readFile(path: path, limit: 4096), as: UTF8.self)
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}

// What the agent's start-up path (OCPPStationKit) needs.
extension POSIXFiles {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    package static func errorText(_ code: Int32) -> String { errnoMessage(code) }

    /// Reads a whole UTF-8 file; the error says what went wrong in the system's words.
    package static func readText(_ path: String) throws(Failure) -> String {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path: path, limit: 16 << 20)
        } catch {
            switch error {
            case .notFound: throw Failure(description: errnoMessage(ENOENT))
            case .isDirectory: throw Failure(description: "is a directory")
            case .tooLarge, .failed: throw Failure(description: error.reason)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Failure(description: "not UTF-8 text") }
        return text
    }

    /// A regular file, or a link to one.
    package static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// `mkdir -p` with mode 0700: nil on success, otherwise why not.
    package static func makeDirectories(_ path: String) -> String? {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { return "\(prefix): \(errnoMessage())" }
            prefix += "/"
        }
        return nil
    }

    /// The names in a directory, without `.` and `..`; nil when it cannot be read (errno says why).
    package static func listDirectory(_ path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Writes a whole text file atomically with `mode`; nil on success, otherwise why not.
    package static func writeFile(_ path: String, _ text: String, mode: mode_t) -> String? {
        do {
            try writeAtomically(path: path, bytes: Array(text.utf8), mode: mode)
            return nil
        } catch {
            return error.description
        }
    }

    /// Appends one line to a file, creating it with mode 0600.
    package static func appendLine(_ path: String, _ line: String) -> String? {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if descriptor < 0 { return errnoMessage() }
        defer { close(descriptor) }
        let bytes = Array((line + "\n").utf8)
        let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        return count == bytes.count ? nil : errnoMessage()
    }
}

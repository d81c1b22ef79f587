// Plain POSIX file access: reading whole small files with precise errors, and atomic replacement
// (temp file in the same directory, fsync, rename, fsync the directory).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum POSIXFiles {
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

    static func errnoMessage(_ code: Int32 = errno) -> String {
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
    static func writeAtomically(path: String, bytes: [UInt8]) throws(WriteError) {
        let temp = path + ".tmp"
        let directory = parentDirectory(of: path)
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw WriteError(description: "cannot create \(temp): \(errnoMessage())") }
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

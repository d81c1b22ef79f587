// Small POSIX file helpers, so the agent's start-up path does not need Foundation's file APIs.
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

enum FileAccess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Reads a whole UTF-8 file; the error says what went wrong in words.
    static func readText(_ path: String) throws(Failure) -> String {
        var info = stat()
        if stat(path, &info) != 0 { throw Failure(description: errorText(errno)) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw Failure(description: "is a directory") }
        guard let file = fopen(path, "rb") else { throw Failure(description: errorText(errno)) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count > 0 { bytes.append(contentsOf: buffer[0..<count]) }
            if count < buffer.count {
                if ferror(file) != 0 { throw Failure(description: "read error") }
                break
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Failure(description: "not UTF-8 text") }
        return text
    }

    /// `mkdir -p`: nil on success, otherwise why not.
    static func makeDirectories(_ path: String) -> String? {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { return "\(prefix): \(errorText(errno))" }
            prefix += "/"
        }
        return nil
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    static func listDirectory(_ path: String) -> [String]? {
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
}

extension FileAccess {
    /// Writes a whole file atomically (a temporary file, fsync, rename) with `mode`; nil on success, otherwise why not.
    static func writeFile(_ path: String, _ text: String, mode: mode_t) -> String? {
        let temporary = path + ".new"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if descriptor < 0 { return "\(temporary): \(errorText(errno))" }
        // The mode given to open is filtered by the umask; a key must end up 0600 whatever the umask.
        fchmod(descriptor, mode)
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                let reason = errorText(errno)
                close(descriptor)
                unlink(temporary)
                return "\(temporary): \(reason)"
            }
            written += count
        }
        if fsync(descriptor) != 0 {
            let reason = errorText(errno)
            close(descriptor)
            unlink(temporary)
            return "\(temporary): \(reason)"
        }
        close(descriptor)
        if rename(temporary, path) != 0 { return "\(path): \(errorText(errno))" }
        return nil
    }

    /// Appends one line to a file, creating it with mode 0600.
    static func appendLine(_ path: String, _ line: String) -> String? {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if descriptor < 0 { return errorText(errno) }
        defer { close(descriptor) }
        let bytes = Array((line + "\n").utf8)
        let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        return count == bytes.count ? nil : errorText(errno)
    }
}

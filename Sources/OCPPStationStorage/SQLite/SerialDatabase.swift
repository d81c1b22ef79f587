// SQLite calls block (a commit waits for fsync, milliseconds on flash), so they do not run on Swift's cooperative
// thread pool, whose few threads would then stall every task of the station. One serial DispatchQueue owns the
// connection, as GRDB's DatabaseQueue did: async callers suspend while the queue works, synchronous callers (opening
// at start-up, `closeNow`) wait on it directly.
internal import Dispatch

final class SerialDatabase: @unchecked Sendable {
    // @unchecked: `connection` is only touched on `queue`, which runs one block at a time.
    private let connection: SQLiteConnection
    private let queue: DispatchQueue

    init(_ connection: SQLiteConnection, label: String) {
        self.connection = connection
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the queue and waits for it. Not for tasks: it blocks the calling thread.
    func sync<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try queue.sync { try body(connection) }
    }

    /// Runs `body` on the queue; the calling task suspends meanwhile and its thread is free for other work.
    func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body(self.connection) })
            }
        }
    }
}

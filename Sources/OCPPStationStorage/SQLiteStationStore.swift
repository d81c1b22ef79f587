// Station state and the durable outbox in one SQLite file (StationSchema: WAL journal, synchronous=FULL), so a write
// is on disk when the call returns and a kill -9 at any instant loses nothing that was acknowledged.
public import OCPPStation
internal import Synchronization

public final class SQLiteStationStore: StationStore {
    static var applicationID: Int32 { StationSchema.applicationID }
    static var schemaVersion: Int { StationSchema.version }

    let database: SerialDatabase
    public let path: String
    /// What is on disk, read once at open: the station loads it before its first BootNotification, and a read that
    /// hops to the database queue and back costs more than the whole read. Updated after each write is durable.
    let cache: Mutex<Contents>

    struct Contents {
        var settings: [String: String] = [:]
        var variables: [VariableAttributeKey: String] = [:]
        var monitors: [Int: String] = [:]
        /// How many messages the outbox holds: counted at open, then kept in step with every commit and removal.
        var queued = 0
    }

    /// Opens (or creates, or migrates) the store. A file that is not an ocpp-station database, is damaged, or was
    /// written by a newer agent is reported and left untouched. With `upgrade` false, a file of an older schema is not
    /// migrated either: the error's `upgradeDeferred` is set, and the caller opens it again once it may change it.
    public init(path: String, upgrade: Bool = true) throws(StationStoreError) {
        self.path = path
        let connection: SQLiteConnection
        do {
            connection = try SQLiteConnection(path: path)
        } catch {
            throw StationStoreError(path: path, reason: error.message)
        }
        do {
            cache = Mutex(try StationSchema.open(connection, path: path, upgrade: upgrade))
        } catch let error as StationStoreError {
            connection.close()
            throw error
        } catch {
            connection.close()
            throw StationStoreError(path: path, reason: Self.explain(error))
        }
        database = SerialDatabase(connection, label: "ocpp-station.storage")
    }

    /// The value of a PRAGMA, for checks and tests.
    func pragma(_ name: String) throws -> String? {
        try database.sync { db in try db.value("PRAGMA \(name)") }
    }

    static func explain(_ error: any Error) -> String {
        (error as? SQLiteError)?.message ?? "\(error)"
    }

    public func value(forKey key: String) async throws -> String? {
        cache.withLock { $0.settings[key] }
    }

    public func setValue(_ value: String?, forKey key: String) async throws {
        // One statement, so it commits on its own; the cache changes on the database queue once the commit is on
        // disk, so concurrent writes reach the cache in the order they reached the file.
        try await database.run { db in
            if let value {
                try db.run("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", key, value)
            } else {
                try db.run("DELETE FROM settings WHERE key = ?", key)
            }
            self.cache.withLock { $0.settings[key] = value }
        }
    }

    public func variableValues() async throws -> [VariableAttributeKey: String] {
        cache.withLock { $0.variables }
    }

    public func setVariableValue(_ value: String, for key: VariableAttributeKey) async throws {
        try await database.run { db in
            try db.run("INSERT OR REPLACE INTO variables (key, value) VALUES (?, ?)", key.storageKey, value)
            self.cache.withLock { $0.variables[key] = value }
        }
    }

    public func setVariableValues(_ values: [(key: VariableAttributeKey, value: String)]) async throws {
        guard !values.isEmpty else { return }
        try await database.run { db in
            try db.transaction {
                for (key, value) in values {
                    try db.run("INSERT OR REPLACE INTO variables (key, value) VALUES (?, ?)", key.storageKey, value)
                }
            }
            self.cache.withLock { cache in for (key, value) in values { cache.variables[key] = value } }
        }
    }

    public func monitors() async throws -> [Int: String] {
        cache.withLock { $0.monitors }
    }

    public func saveMonitor(id: Int, _ text: String) async throws {
        try await database.run { db in
            try db.run("INSERT OR REPLACE INTO monitors (id, monitor) VALUES (?, ?)", id, text)
            self.cache.withLock { $0.monitors[id] = text }
        }
    }

    public func removeMonitors(ids: [Int]) async throws {
        guard !ids.isEmpty else { return }
        try await database.run { db in
            try db.transaction {
                for id in ids { try db.run("DELETE FROM monitors WHERE id = ?", id) }
            }
            self.cache.withLock { cache in for id in ids { cache.monitors[id] = nil } }
        }
    }

    /// `close()` for synchronous callers (start-up that refuses bad input after the store was opened).
    public func closeNow() {
        _ = try? database.sync { db in try Self.checkpointAndClose(db) }
    }

    /// Checkpoints the WAL into the database and closes; SQLite removes the -wal and -shm files when the last
    /// connection closes cleanly. The file stays in WAL mode, so the next open needs no write.
    public func close() async throws {
        try await database.run { db in try Self.checkpointAndClose(db) }
    }

    private static func checkpointAndClose(_ db: SQLiteConnection) throws {
        defer { db.close() }
        try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }
}

public struct StationStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// The file is sound but of an older schema, and the open was asked not to migrate it.
    public var upgradeDeferred = false
    public var description: String { "state file \(path): \(reason)" }
}

extension VariableAttributeKey {
    /// One text column: the seven parts joined by U+001F (a character no OCPP identifier contains).
    var storageKey: String {
        [
            component, componentInstance ?? "", evseId.map(String.init) ?? "", connectorId.map(String.init) ?? "",
            variable, variableInstance ?? "", attributeType,
        ].joined(separator: "\u{1F}")
    }

    init?(storageKey: String) {
        let parts = storageKey.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 7 else { return nil }
        self.init(
            component: parts[0], componentInstance: parts[1].isEmpty ? nil : parts[1], evseId: Int(parts[2]),
            connectorId: Int(parts[3]), variable: parts[4], variableInstance: parts[5].isEmpty ? nil : parts[5],
            attributeType: parts[6])
    }
}

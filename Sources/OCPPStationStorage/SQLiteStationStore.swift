// Station state in SQLite through GRDB: WAL journal, synchronous=FULL, so a write is on disk when the call returns
// and a kill -9 at any instant loses nothing that was acknowledged.
public import OCPPStation
internal import GRDB
internal import Synchronization

public final class SQLiteStationStore: StationStore {
    /// Marks the file as ours ("OCPP" in ASCII) so a foreign SQLite database is refused, not migrated.
    static let applicationID: Int32 = 0x4F43_5050
    /// The schema this agent writes, in `PRAGMA user_version`. A file with a newer one is refused, never downgraded.
    static let schemaVersion = 1

    private let queue: DatabaseQueue
    public let path: String
    /// What is on disk, read once at open: the station loads it before its first BootNotification, and a read that
    /// hops to the database queue and back costs more than the whole read. Updated after each write is durable.
    private let cache: Mutex<Contents>

    struct Contents {
        var settings: [String: String] = [:]
        var variables: [VariableAttributeKey: String] = [:]
    }

    /// Opens (or creates) the store. A file that is not an ocpp-station database is reported and left untouched.
    public init(path: String) throws(StationStoreError) {
        self.path = path
        var configuration = Configuration()
        // WAL and synchronous=FULL, set here rather than with `configuration.journalMode = .wal`: GRDB's WAL set-up
        // runs after `prepareDatabase` and lowers synchronous to NORMAL, and writes a dummy transaction on every open.
        configuration.prepareDatabase { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode == "wal" else { throw DatabaseError(message: "cannot use the WAL journal (journal_mode is \(mode ?? "unknown"))") }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StationStoreError(path: path, reason: Self.explain(error))
        }
        do {
            cache = Mutex(try queue.writeWithoutTransaction { db in try Self.openSchema(db, path: path) })
        } catch let error as StationStoreError {
            try? queue.close()
            throw error
        } catch {
            try? queue.close()
            throw StationStoreError(path: path, reason: Self.explain(error))
        }
    }

    /// Checks the file is ours, creates the schema in a fresh file (one commit, so one fsync), checks integrity,
    /// and reads the contents.
    private static func openSchema(_ db: Database, path: String) throws -> Contents {
        let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        var version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        if tables.isEmpty && id == 0 {
            try db.inTransaction {
                try db.execute(sql: """
                    PRAGMA application_id = \(applicationID);
                    CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE TABLE variables (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    PRAGMA user_version = \(schemaVersion);
                    """)
                return .commit
            }
            return Contents()
        }
        if id != applicationID {
            throw StationStoreError(path: path, reason: "not an ocpp-station database (application_id \(id))")
        }
        let check = try String.fetchOne(db, sql: "PRAGMA quick_check")
        if check != "ok" { throw StationStoreError(path: path, reason: "integrity check failed: \(check ?? "no answer")") }
        // Files from before the schema version was recorded (GRDB's migration table, same tables) are version 1.
        if version == 0 && tables.isSuperset(of: ["settings", "variables"]) {
            try db.execute(sql: "PRAGMA user_version = 1")
            version = 1
        }
        if version > schemaVersion {
            throw StationStoreError(path: path, reason: "written by a newer agent (schema version \(version), this agent reads up to \(schemaVersion))")
        }
        guard version == schemaVersion, tables.isSuperset(of: ["settings", "variables"]) else {
            throw StationStoreError(path: path, reason: "unknown schema (version \(version), tables \(tables.sorted().joined(separator: ", ")))")
        }
        var contents = Contents()
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM settings") {
            contents.settings[row["key"]] = row["value"]
        }
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM variables") {
            let text: String = row["key"]
            if let key = VariableAttributeKey(storageKey: text) { contents.variables[key] = row["value"] }
        }
        return contents
    }

    /// The value of a PRAGMA, for checks and tests.
    func pragma(_ name: String) throws -> String? {
        try queue.read { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    static func explain(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return error.message ?? "\(error.resultCode)"
        }
        return "\(error)"
    }

    public func value(forKey key: String) async throws -> String? {
        cache.withLock { $0.settings[key] }
    }

    public func setValue(_ value: String?, forKey key: String) async throws {
        // One statement, so it commits on its own; the cache changes on the database queue once the commit is on
        // disk, so concurrent writes reach the cache in the order they reached the file.
        try await queue.writeWithoutTransaction { db in
            if let value {
                try db.execute(sql: "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", arguments: [key, value])
            } else {
                try db.execute(sql: "DELETE FROM settings WHERE key = ?", arguments: [key])
            }
            self.cache.withLock { $0.settings[key] = value }
        }
    }

    public func variableValues() async throws -> [VariableAttributeKey: String] {
        cache.withLock { $0.variables }
    }

    public func setVariableValue(_ value: String, for key: VariableAttributeKey) async throws {
        try await queue.writeWithoutTransaction { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO variables (key, value) VALUES (?, ?)", arguments: [key.storageKey, value])
            self.cache.withLock { $0.variables[key] = value }
        }
    }

    /// `close()` for synchronous callers (start-up that refuses bad input after the store was opened).
    public func closeNow() {
        _ = try? queue.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        try? queue.close()
    }

    /// Checkpoints the WAL into the database and closes; SQLite removes the -wal and -shm files when the last
    /// connection closes cleanly. The file stays in WAL mode, so the next open needs no write.
    public func close() async throws {
        try await queue.writeWithoutTransaction { db in
            _ = try db.checkpoint(.truncate)
        }
        try queue.close()
    }
}

public struct StationStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
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

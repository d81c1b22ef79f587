// Station state in SQLite through GRDB: WAL journal, synchronous=FULL, so a write is on disk when the call returns
// and a kill -9 at any instant loses nothing that was acknowledged.
public import OCPPStation
internal import GRDB

public final class SQLiteStationStore: StationStore {
    /// Marks the file as ours ("OCPP" in ASCII) so a foreign SQLite database is refused, not migrated.
    static let applicationID: Int32 = 0x4F43_5050

    private let queue: DatabaseQueue
    public let path: String

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
            try queue.writeWithoutTransaction { db in
                let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                if id != Self.applicationID && !(id == 0 && tables == 0) {
                    throw StationStoreError(path: path, reason: "not an ocpp-station database (application_id \(id))")
                }
            }
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                // In the same transaction as the tables: one commit (one fsync) to create a station's database.
                try db.execute(sql: """
                    PRAGMA application_id = \(Self.applicationID);
                    CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE TABLE variables (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    """)
            }
            try migrator.migrate(queue)
            let check = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }
            if check != "ok" { throw StationStoreError(path: path, reason: "integrity check failed: \(check ?? "no answer")") }
        } catch let error as StationStoreError {
            try? queue.close()
            throw error
        } catch {
            try? queue.close()
            throw StationStoreError(path: path, reason: Self.explain(error))
        }
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
        try await queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) }
    }

    public func setValue(_ value: String?, forKey key: String) async throws {
        try await queue.write { db in
            if let value {
                try db.execute(sql: "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", arguments: [key, value])
            } else {
                try db.execute(sql: "DELETE FROM settings WHERE key = ?", arguments: [key])
            }
        }
    }

    public func variableValues() async throws -> [VariableAttributeKey: String] {
        let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT key, value FROM variables") }
        var values: [VariableAttributeKey: String] = [:]
        for row in rows {
            let text: String = row["key"]
            if let key = VariableAttributeKey(storageKey: text) { values[key] = row["value"] }
        }
        return values
    }

    public func setVariableValue(_ value: String, for key: VariableAttributeKey) async throws {
        try await queue.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO variables (key, value) VALUES (?, ?)", arguments: [key.storageKey, value])
        }
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

public struct StationStoreError: Error, Sendable, CustomStringConvertible {
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

import Foundation
import OCPPStation
import Testing

@testable import OCPPStationStorage

/// A file of every earlier schema version opens with its data and gains the outbox.
struct StationSchemaMigrationTests {
    /// Version 1 exactly as the agent before the outbox wrote it (WAL, one commit).
    static let version1 = """
        PRAGMA journal_mode = WAL;
        BEGIN;
        PRAGMA application_id = \(SQLiteStationStore.applicationID);
        CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        CREATE TABLE variables (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        PRAGMA user_version = 1;
        COMMIT;
        """
    /// What the first release wrote through GRDB: its migration table beside ours, no schema version.
    static let preVersion = """
        PRAGMA application_id = \(SQLiteStationStore.applicationID);
        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
        INSERT INTO grdb_migrations VALUES ('v1');
        CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        CREATE TABLE variables (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        """
    static let heartbeat = VariableAttributeKey(component: "OCPPCommCtrlr", variable: "HeartbeatInterval")
    static let data = """
        INSERT INTO settings VALUES ('bootReason', 'RemoteReset');
        INSERT INTO variables VALUES ('\(heartbeat.storageKey)', '60');
        """

    @Test(arguments: ["version 1", "GRDB-era, no version"])
    func anOlderFileKeepsItsDataAndGainsTheOutbox(file: String) async throws {
        try await withDatabasePath { path in
            try execute((file == "version 1" ? Self.version1 : Self.preVersion) + Self.data, on: path)
            let store = try SQLiteStationStore(path: path)
            #expect(try store.pragma("user_version") == String(StationSchema.version))
            #expect(try store.pragma("journal_mode") == "wal")
            #expect(try await store.value(forKey: "bootReason") == "RemoteReset")
            #expect(try await store.variableValues() == [Self.heartbeat: "60"])
            let tables = try store.database.sync { db in
                try db.rows("SELECT name FROM sqlite_master WHERE type = 'table'") { row throws(SQLiteError) in try row[0] as String }
            }
            #expect(!tables.contains("grdb_migrations"))
            let queued = try await store.commit(transactionEvent("t1", "Started", seqNo: 0), transaction: .save(record("t1", nextSeqNo: 1)))
            #expect(queued?.id == 1)
            try await store.close()

            let reopened = try SQLiteStationStore(path: path)
            #expect(try await reopened.first() == queued)
            #expect(try await reopened.transactions() == [record("t1", nextSeqNo: 1)])
            #expect(try await reopened.value(forKey: "bootReason") == "RemoteReset")
            try await reopened.close()
        }
    }

    /// The agent's early open (while flags and files are still being validated) must not change the file: an older
    /// one is only reported as due for an upgrade, and is upgraded by the open after validation.
    @Test func anOpenThatMayNotUpgradeLeavesAnOlderFileAsItIs() async throws {
        try await withDatabasePath { path in
            try execute(Self.version1 + Self.data, on: path)
            do {
                _ = try SQLiteStationStore(path: path, upgrade: false)
                Issue.record("an older file opened without its upgrade")
            } catch {
                #expect((error as? StationStoreError)?.upgradeDeferred == true)
            }
            let db = try SQLiteConnection(path: path)
            #expect(try db.value("PRAGMA user_version") as Int? == 1)
            #expect(try db.value("SELECT COUNT(*) FROM sqlite_master WHERE name = 'outbox'") as Int? == 0)
            db.close()
            let store = try SQLiteStationStore(path: path)
            #expect(try store.pragma("user_version") == String(StationSchema.version))
            try await store.close()
            // A current file opens without an upgrade as before.
            let again = try SQLiteStationStore(path: path, upgrade: false)
            #expect(try await again.value(forKey: "bootReason") == "RemoteReset")
            try await again.close()
        }
    }

    @Test func aFailedMigrationLeavesTheFileAtItsVersion() async throws {
        try await withDatabasePath { path in
            // A version 1 file that somehow has a table named like one version 2 creates: the migration fails.
            try execute(Self.version1 + Self.data + "CREATE TABLE transactions (x);", on: path)
            #expect(throws: StationStoreError.self) { try SQLiteStationStore(path: path) }
            let db = try SQLiteConnection(path: path)
            defer { db.close() }
            #expect(try db.value("PRAGMA user_version") as Int? == 1)
            #expect(try db.value("SELECT COUNT(*) FROM sqlite_master WHERE name = 'outbox'") as Int? == 0)
            #expect(try db.value("SELECT value FROM settings") as String? == "RemoteReset")
        }
    }

    @Test func aFreshFileIsCreatedAtTheNewestVersion() async throws {
        try await withDatabasePath { path in
            let store = try SQLiteStationStore(path: path)
            #expect(try store.pragma("user_version") == String(StationSchema.version))
            #expect(StationSchema.version == StationSchema.migrations.count)
            #expect(try await store.count() == 0)
            #expect(try await store.first() == nil)
            try await store.close()
        }
    }

    @Test func aFileWithTheTablesOfAnOlderVersionMissingIsRefused() async throws {
        try await withDatabasePath { path in
            try execute(Self.version1 + "PRAGMA user_version = 2;", on: path)
            #expect(throws: StationStoreError(path: path, reason: "unknown schema (version 2, tables settings, variables)")) {
                try SQLiteStationStore(path: path)
            }
        }
    }
}

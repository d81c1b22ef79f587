import Foundation
import GRDB
import OCPPStation
import Testing

@testable import OCPPStationStorage

struct SQLiteStationStoreTests {
    /// Runs `body` with the path of a `station.db` in a new temporary directory, removed afterwards.
    func withDatabasePath(_ body: (String) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "ocpp-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(directory + "/station.db")
    }

    @Test func valuesSurviveReopeningAndCloseLeavesNoWAL() async throws {
        try await withDatabasePath { path in
            let key = VariableAttributeKey(component: "OCPPCommCtrlr", variable: "HeartbeatInterval")
            let connectorKey = VariableAttributeKey(component: "Connector", evseId: 1, connectorId: 1, variable: "AvailabilityState")
            do {
                let store = try SQLiteStationStore(path: path)
                // Nothing is acknowledged before it is on disk: WAL with a sync on every commit.
                #expect(try store.pragma("journal_mode") == "wal")
                #expect(try store.pragma("synchronous") == "2")  // FULL
                try await store.setValue("RemoteReset", forKey: "bootReason")
                try await store.setVariableValue("60", for: key)
                try await store.setVariableValue("Unavailable", for: connectorKey)
                // Written with synchronous=FULL in WAL mode: the -wal file exists while open.
                #expect(FileManager.default.fileExists(atPath: path + "-wal"))
                try await store.close()
            }
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
            #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
            let reopened = try SQLiteStationStore(path: path)
            #expect(try reopened.pragma("synchronous") == "2")
            #expect(try await reopened.value(forKey: "bootReason") == "RemoteReset")
            #expect(try await reopened.variableValues() == [key: "60", connectorKey: "Unavailable"])
            try await reopened.setValue(nil, forKey: "bootReason")
            #expect(try await reopened.value(forKey: "bootReason") == nil)
            try await reopened.close()
        }
    }

    @Test func aFileThatIsNotOursIsRefusedAndLeftUntouched() async throws {
        try await withDatabasePath { path in
            let garbage = Data("this is not a database, but somebody's notes\n".utf8) + Data(repeating: 7, count: 5000)
            try garbage.write(to: URL(fileURLWithPath: path))
            #expect(throws: StationStoreError.self) { try SQLiteStationStore(path: path) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
        }
    }

    @Test func aFreshFileRecordsItsSchemaInOneCommit() async throws {
        try await withDatabasePath { path in
            let store = try SQLiteStationStore(path: path)
            #expect(try store.pragma("user_version") == "1")
            #expect(try store.pragma("application_id") == String(SQLiteStationStore.applicationID))
            #expect(try await store.variableValues().isEmpty)
            #expect(try await store.value(forKey: "bootReason") == nil)
            try await store.close()
        }
    }

    @Test func aFileFromANewerAgentIsRefusedAndLeftUntouched() async throws {
        try await withDatabasePath { path in
            try await SQLiteStationStore(path: path).close()
            let queue = try DatabaseQueue(path: path)
            try await queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA user_version = 7") }
            try queue.close()
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(throws: StationStoreError(path: path, reason: "written by a newer agent (schema version 7, this agent reads up to 1)")) {
                try SQLiteStationStore(path: path)
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    @Test func aFileFromBeforeTheSchemaVersionIsAdopted() async throws {
        try await withDatabasePath { path in
            // What the first release wrote: GRDB's migration table beside ours, user_version 0.
            let queue = try DatabaseQueue(path: path)
            try await queue.writeWithoutTransaction { db in
                try db.execute(sql: """
                    PRAGMA application_id = \(SQLiteStationStore.applicationID);
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1');
                    CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE TABLE variables (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    INSERT INTO settings VALUES ('bootReason', 'RemoteReset');
                    """)
            }
            try queue.close()
            let store = try SQLiteStationStore(path: path)
            #expect(try store.pragma("user_version") == "1")
            #expect(try await store.value(forKey: "bootReason") == "RemoteReset")
            try await store.close()
        }
    }
}

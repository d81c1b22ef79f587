import Foundation
import OCPPStation
import Testing

@testable import OCPPStationStorage

struct SQLiteStationStoreTests {
    /// A SetVariables request's values in one commit, and the variable monitors (N07.FR.13), survive reopening.
    @Test func variableBatchesAndMonitorsSurviveReopening() async throws {
        try await withDatabasePath { path in
            let a = VariableAttributeKey(component: "OCPPCommCtrlr", variable: "OfflineThreshold")
            let b = VariableAttributeKey(component: "TestCtrlr", variable: "Current", attributeType: "Target")
            do {
                let store = try SQLiteStationStore(path: path)
                try await store.setVariableValues([(a, "1"), (b, "16"), (a, "2")])  // in order: the last one wins
                try await store.saveMonitor(id: 1, "one")
                try await store.saveMonitor(id: 2, "two")
                try await store.saveMonitor(id: 1, "one again")
                try await store.removeMonitors(ids: [2])
                try await store.close()
            }
            let reopened = try SQLiteStationStore(path: path)
            #expect(try await reopened.variableValues() == [a: "2", b: "16"])
            #expect(try await reopened.monitors() == [1: "one again"])
            try await reopened.close()
        }
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
            #expect(try store.pragma("user_version") == String(SQLiteStationStore.schemaVersion))
            #expect(try store.pragma("application_id") == String(SQLiteStationStore.applicationID))
            #expect(try await store.variableValues().isEmpty)
            #expect(try await store.value(forKey: "bootReason") == nil)
            try await store.close()
        }
    }

    @Test func aFileFromANewerAgentIsRefusedAndLeftUntouched() async throws {
        try await withDatabasePath { path in
            try await SQLiteStationStore(path: path).close()
            try execute("PRAGMA user_version = 7", on: path)
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(throws: StationStoreError(path: path, reason: "written by a newer agent (schema version 7, this agent reads up to \(StationSchema.version))")) {
                try SQLiteStationStore(path: path)
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    @Test func closeNowLeavesNoWAL() async throws {
        try await withDatabasePath { path in
            let store = try SQLiteStationStore(path: path)
            try await store.commit(transactionEvent("A", "Started", seqNo: 0), transaction: .save(record("A", nextSeqNo: 1)))
            store.closeNow()
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
            #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
            await #expect(throws: SQLiteError.self) { try await store.first() }
            let reopened = try SQLiteStationStore(path: path)
            #expect(try await reopened.count() == 1)
            try await reopened.close()
        }
    }
}

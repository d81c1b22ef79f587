import Foundation
import Testing

@testable import OCPPStationStorage

/// The typed layer under the store: bindings, reads, transactions, errors.
struct SQLiteConnectionTests {
    @Test func valuesRoundTripThroughCachedStatements() async throws {
        try await withDatabasePath { path in
            let db = try SQLiteConnection(path: path)
            defer { db.close() }
            try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT, number INTEGER)")
            let texts: [String?] = ["plain", nil, "ünïcødé \u{1F50C}", ""]
            for (offset, text) in texts.enumerated() {
                try db.run("INSERT INTO t (text, number) VALUES (?, ?)", text, offset == 1 ? nil : Int64(offset) << 40)
            }
            #expect(db.lastInsertRowID == 4)
            let rows = try db.rows("SELECT text, number FROM t ORDER BY id") { row throws(SQLiteError) in
                (try row[0] as String?, try row[1] as Int64?)
            }
            #expect(rows.map(\.0) == texts)
            #expect(rows.map(\.1) == [0, nil, 2 << 40, 3 << 40])
            // NULL read as a non-optional is an error, not a silent 0.
            #expect(throws: SQLiteError.self) {
                try db.row("SELECT number FROM t WHERE id = 2") { row throws(SQLiteError) in try row[0] as Int }
            }
        }
    }

    @Test func errorsCarrySQLitesMessageAndResultCode() async throws {
        try await withDatabasePath { path in
            let db = try SQLiteConnection(path: path)
            #expect(throws: SQLiteError(code: 1, message: "near \"SELEKT\": syntax error")) { try db.execute("SELEKT 1") }
            try db.execute("CREATE TABLE t (key TEXT PRIMARY KEY NOT NULL)")
            try db.run("INSERT INTO t VALUES (?)", "a")
            // SQLITE_CONSTRAINT_PRIMARYKEY, an extended result code.
            #expect(throws: SQLiteError(code: 1555, message: "UNIQUE constraint failed: t.key")) { try db.run("INSERT INTO t VALUES (?)", "a") }
            db.close()
            #expect(throws: SQLiteError(code: 21, message: "the database is closed")) { try db.execute("SELECT 1") }
        }
    }

    @Test func aTransactionKeepsAllOrNothing() async throws {
        struct Abandon: Error {}
        try await withDatabasePath { path in
            let db = try SQLiteConnection(path: path)
            defer { db.close() }
            try db.execute("CREATE TABLE t (n INTEGER)")
            try db.transaction { for n in 1...3 { try db.run("INSERT INTO t VALUES (?)", n) } }
            #expect(throws: Abandon.self) {
                try db.transaction {
                    try db.run("INSERT INTO t VALUES (?)", 4)
                    throw Abandon()
                }
            }
            #expect(try db.value("SELECT COUNT(*) FROM t") as Int? == 3)
            // Usable again after the rollback.
            try db.transaction { try db.run("INSERT INTO t VALUES (?)", 5) }
            #expect(try db.value("SELECT SUM(n) FROM t") as Int? == 11)
        }
    }
}

// A small typed layer over SQLite's C API: one connection, prepared statements (the hot ones cached), typed bindings
// and column reads, transactions, and errors that carry SQLite's own message and result code. It replaces GRDB, which
// imports Foundation and with it 30 MB of ICU.
//
// A connection is not thread-safe by itself: `SerialDatabase` confines it to one serial queue.
internal import CSQLite

/// A failed SQLite call: SQLite's message and its (extended) result code.
struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    var resultCode: Int32
    var message: String

    var description: String { "\(message) (SQLite result code \(resultCode))" }

    /// The error SQLite recorded on `handle` for `code`.
    init(code: Int32, handle: OpaquePointer?) {
        resultCode = code
        if let handle, let text = sqlite3_errmsg(handle) {
            message = String(cString: text)
        } else {
            message = String(cString: sqlite3_errstr(code))
        }
    }

    init(code: Int32, message: String) {
        resultCode = code
        self.message = message
    }
}

final class SQLiteConnection {
    private var handle: OpaquePointer?
    /// Prepared once, reused on every call: the statements of the hot paths (`statement(_:)`).
    private var cache: [String: SQLiteStatement] = [:]

    /// SQLite's process-wide configuration, applied once before the first connection opens: no page-cache bulk
    /// block (idle anonymous memory 2.37 -> 2.25 MiB on the sim board, see the README's Performance section).
    private static let configured: Void = { _ = csqlite_config_page_cache_without_bulk() }()

    /// Opens (creating if needed) the database file. Nothing is written until the first write statement.
    init(path: String) throws(SQLiteError) {
        _ = Self.configured
        var handle: OpaquePointer?
        // FULLMUTEX is not needed: one serial queue owns the connection. EXRESCODE gives extended result codes.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK else {
            let error = SQLiteError(code: code, handle: handle)
            sqlite3_close_v2(handle)
            throw error
        }
        self.handle = handle
    }

    deinit { close() }

    var isOpen: Bool { handle != nil }

    /// Finalizes every statement and closes. SQLite removes the -wal and -shm files when the last connection to a
    /// WAL database closes cleanly.
    func close() {
        cache.removeAll()
        sqlite3_close_v2(handle)
        handle = nil
    }

    private func openHandle() throws(SQLiteError) -> OpaquePointer {
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "the database is closed") }
        return handle
    }

    /// Runs one or more statements separated by semicolons, without bindings (schema changes, pragmas).
    func execute(_ sql: String) throws(SQLiteError) {
        let handle = try openHandle()
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw SQLiteError(code: code, handle: handle) }
    }

    /// A new prepared statement, finalized when released.
    func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        let handle = try openHandle()
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw SQLiteError(code: code, handle: handle) }
        return SQLiteStatement(statement, connection: handle)
    }

    /// The cached prepared statement for `sql`, reset and with its bindings cleared.
    func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let statement = cache[sql] {
            statement.reset()
            return statement
        }
        let statement = try prepare(sql)
        cache[sql] = statement
        return statement
    }

    /// Runs one cached statement to completion.
    func run(_ sql: String, _ values: (any SQLiteBindable)?...) throws(SQLiteError) {
        let statement = try statement(sql)
        try statement.bind(values)
        try statement.runToEnd()
    }

    /// Every row of one cached query, each read by `read`.
    func rows<T>(_ sql: String, _ values: (any SQLiteBindable)?..., read: (SQLiteRow) throws(SQLiteError) -> T)
        throws(SQLiteError) -> [T]
    {
        let statement = try statement(sql)
        try statement.bind(values)
        // Reset even when `read` throws: a statement left mid-way holds a read transaction open, which would keep a
        // checkpoint from emptying the WAL.
        defer { statement.reset() }
        var result: [T] = []
        while let row = try statement.step() { result.append(try read(row)) }
        return result
    }

    /// The first row of one cached query, read by `read`; nil when there is none.
    func row<T>(_ sql: String, _ values: (any SQLiteBindable)?..., read: (SQLiteRow) throws(SQLiteError) -> T)
        throws(SQLiteError) -> T?
    {
        let statement = try statement(sql)
        try statement.bind(values)
        defer { statement.reset() }
        return try statement.step().map(read)
    }

    /// The first column of the first row, for pragmas and counts.
    func value<T: SQLiteColumnReadable>(_ sql: String, _ values: (any SQLiteBindable)?...) throws(SQLiteError) -> T? {
        let statement = try prepare(sql)
        try statement.bind(values)
        return try statement.step().map { row throws(SQLiteError) in try row[0] }
    }

    /// The rowid of the last row this connection inserted.
    var lastInsertRowID: Int64 { handle.map(sqlite3_last_insert_rowid) ?? 0 }

    /// How many rows the last INSERT, UPDATE or DELETE changed.
    var changes: Int { handle.map { Int(sqlite3_changes($0)) } ?? 0 }

    /// Runs `body` in one transaction: BEGIN IMMEDIATE (the write lock up front, so a commit cannot fail on a lock
    /// upgrade), COMMIT when it returns, ROLLBACK when it throws: all of it is on disk, or none of it.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try run("BEGIN IMMEDIATE")
        let result: T
        do {
            result = try body()
            try run("COMMIT")
        } catch {
            // A failed COMMIT may already have rolled back; ROLLBACK then fails harmlessly.
            if let handle, sqlite3_get_autocommit(handle) == 0 { try? run("ROLLBACK") }
            throw error
        }
        return result
    }
}

/// One prepared statement. Belongs to the connection that prepared it, used on that connection's queue only.
final class SQLiteStatement {
    private let statement: OpaquePointer
    private let connection: OpaquePointer

    fileprivate init(_ statement: OpaquePointer, connection: OpaquePointer) {
        self.statement = statement
        self.connection = connection
    }

    deinit { sqlite3_finalize(statement) }

    func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    /// Binds `values` to the parameters 1, 2, ...; nil binds NULL.
    func bind(_ values: [(any SQLiteBindable)?]) throws(SQLiteError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code = value.map { $0.bind(to: statement, at: index) } ?? sqlite3_bind_null(statement, index)
            guard code == SQLITE_OK else { throw SQLiteError(code: code, handle: connection) }
        }
    }

    /// The next row, nil once the statement is done.
    func step() throws(SQLiteError) -> SQLiteRow? {
        let code = sqlite3_step(statement)
        switch code {
        case SQLITE_ROW: return SQLiteRow(statement: statement)
        case SQLITE_DONE: return nil
        default:
            let error = SQLiteError(code: code, handle: connection)
            sqlite3_reset(statement)
            throw error
        }
    }

    /// Steps until done (a write, or a query whose rows are not wanted), then resets.
    func runToEnd() throws(SQLiteError) {
        while try step() != nil {}
        sqlite3_reset(statement)
    }
}

/// The current row of a statement; valid until the statement steps again.
struct SQLiteRow {
    fileprivate let statement: OpaquePointer

    subscript<T: SQLiteColumnReadable>(_ column: Int32) -> T {
        get throws(SQLiteError) { try T.read(statement, column: column) }
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
}

/// A Swift value SQLite can take as a parameter.
protocol SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32
}

/// A Swift value read from a result column. NULL reads as nil for optionals, and is an error otherwise.
protocol SQLiteColumnReadable {
    static func read(_ statement: OpaquePointer, column: Int32) throws(SQLiteError) -> Self
}

extension Int64: SQLiteBindable, SQLiteColumnReadable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_int64(statement, index, self) }
    static func read(_ statement: OpaquePointer, column: Int32) throws(SQLiteError) -> Int64 {
        try requireNotNull(statement, column)
        return sqlite3_column_int64(statement, column)
    }
}

extension Int: SQLiteBindable, SQLiteColumnReadable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_int64(statement, index, Int64(self)) }
    static func read(_ statement: OpaquePointer, column: Int32) throws(SQLiteError) -> Int {
        Int(try Int64.read(statement, column: column))
    }
}

extension Double: SQLiteBindable, SQLiteColumnReadable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_double(statement, index, self) }
    static func read(_ statement: OpaquePointer, column: Int32) throws(SQLiteError) -> Double {
        try requireNotNull(statement, column)
        return sqlite3_column_double(statement, column)
    }
}

extension Int32: SQLiteColumnReadable {
    static func read(_ statement: OpaquePointer, column: Int32) throws(SQLiteError) -> Int32 {
        try requireNotNull(statement, column)
        return sqlite3_column_int(statement, column)
    }
}

extension String: SQLiteBindable, SQLiteColumnReadable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        var text = self
        return text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                sqlite3_bind_text(statement, index, chars.baseAddress, Int32(chars.count), csqlite_transient())
            }
        }
    }

    static func read(_ statement: OpaquePointer, column: Int32) throws(SQLiteError) -> String {
        try requireNotNull(statement, column)
        guard let text = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }
}

extension Optional: SQLiteColumnReadable where Wrapped: SQLiteColumnReadable {
    static func read(_ statement: OpaquePointer, column: Int32) throws(SQLiteError) -> Wrapped? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : try Wrapped.read(statement, column: column)
    }
}

private func requireNotNull(_ statement: OpaquePointer, _ column: Int32) throws(SQLiteError) {
    if sqlite3_column_type(statement, column) == SQLITE_NULL {
        let name = sqlite3_column_name(statement, column).map { String(cString: $0) } ?? "\(column)"
        throw SQLiteError(code: SQLITE_MISMATCH, message: "column \(name) is NULL")
    }
}

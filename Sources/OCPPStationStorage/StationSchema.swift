// The layout of station.db and how a file of any earlier version is brought up to date. A station in the field keeps
// its data across an upgrade: each migration runs in one transaction together with its `user_version` bump, so a
// power cut during an upgrade leaves the file at the old version or the new one, never between.
internal import OCPPStation

struct Migration {
    /// The `user_version` once this migration is applied.
    var version: Int
    /// The tables a file of this version has, besides those of earlier versions.
    var tables: [String]
    var sql: String
}

enum StationSchema {
    /// Marks the file as ours ("OCPP" in ASCII) so a foreign SQLite database is refused, not migrated.
    static let applicationID: Int32 = 0x4F43_5050

    /// In order, each one bringing version `version - 1` to `version`. Append only: a released migration never changes.
    static let migrations: [Migration] = [
        Migration(
            version: 1, tables: ["settings", "variables"],
            sql: """
                CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                CREATE TABLE variables (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                """),
        // The durable outbox and the open transactions. AUTOINCREMENT so a message id is never reused, even after the
        // newest message was removed and the station restarted. GRDB's bookkeeping table goes: nothing reads it.
        Migration(
            version: 2, tables: ["outbox", "transactions"],
            sql: """
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    action TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    transaction_id TEXT,
                    event_type TEXT,
                    seq_no INTEGER,
                    attempts INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX outbox_transaction_id ON outbox (transaction_id);
                CREATE TABLE transactions (
                    position INTEGER PRIMARY KEY,
                    transaction_id TEXT NOT NULL UNIQUE,
                    evse_id INTEGER NOT NULL,
                    next_seq_no INTEGER NOT NULL,
                    state TEXT NOT NULL
                );
                DROP TABLE IF EXISTS grdb_migrations;
                """),
        // The variable monitors (block N): kept across a reboot (N07.FR.13), each as the station's own JSON text.
        Migration(
            version: 3, tables: ["monitors"],
            sql: """
                CREATE TABLE monitors (id INTEGER PRIMARY KEY, monitor TEXT NOT NULL);
                """),
    ]

    /// The schema this agent writes. A file with a newer one is refused, never downgraded.
    static var version: Int { migrations.last?.version ?? 0 }

    /// Checks the file is ours and sound, creates the schema in a fresh file (one commit, so one fsync) or migrates an
    /// older one (unless `upgrade` is false), and sets WAL and synchronous=FULL. Refuses a foreign, damaged or newer
    /// file before writing to it.
    static func open(_ db: SQLiteConnection, path: String, upgrade: Bool = true) throws -> SQLiteStationStore.Contents {
        let id: Int32 = try db.value("PRAGMA application_id") ?? 0
        var version: Int = try db.value("PRAGMA user_version") ?? 0
        let tables = Set(try db.rows("SELECT name FROM sqlite_master WHERE type = 'table'") { row throws(SQLiteError) in
            try row[0] as String
        })
        if tables.isEmpty && id == 0 {
            try useDurableJournal(db, path: path)
            try db.transaction {
                try db.execute("PRAGMA application_id = \(applicationID)")
                for migration in migrations { try db.execute(migration.sql) }
                try db.execute("PRAGMA user_version = \(Self.version)")
            }
            return SQLiteStationStore.Contents()
        }
        func refuse(_ reason: String) -> StationStoreError { StationStoreError(path: path, reason: reason) }
        if id != applicationID { throw refuse("not an ocpp-station database (application_id \(id))") }
        if version > Self.version {
            throw refuse("written by a newer agent (schema version \(version), this agent reads up to \(Self.version))")
        }
        let check: String? = try db.value("PRAGMA quick_check")
        if check != "ok" { throw refuse("integrity check failed: \(check ?? "no answer")") }
        // The first release recorded no schema version (user_version 0, GRDB's migration table beside ours): its
        // tables are version 1's. Its bump to 1 is folded into the next migration's transaction.
        if version == 0 && tables.isSuperset(of: migrations[0].tables) { version = 1 }
        let expected = migrations.prefix { $0.version <= version }.flatMap(\.tables)
        guard version >= 1, tables.isSuperset(of: expected) else {
            throw refuse("unknown schema (version \(version), tables \(tables.sorted().joined(separator: ", ")))")
        }
        if version < Self.version && !upgrade {
            var error = refuse("schema version \(version) is to be upgraded to \(Self.version)")
            error.upgradeDeferred = true
            throw error
        }
        try useDurableJournal(db, path: path)
        for migration in migrations where migration.version > version {
            try db.transaction {
                try db.execute(migration.sql)
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
        }
        let contents = try read(db)
        // quick_check read every page of the file through the page cache (up to 2 MB with a long queue): hand that
        // memory back, the station reads little afterwards.
        try db.execute("PRAGMA shrink_memory")
        return contents
    }

    /// WAL with a sync on every commit: a write is on disk when the call returns, and a kill -9 or a power cut at any
    /// instant loses nothing that was acknowledged. On a file already in WAL mode this writes nothing.
    private static func useDurableJournal(_ db: SQLiteConnection, path: String) throws {
        let mode: String? = try db.value("PRAGMA journal_mode = WAL")
        guard mode == "wal" else {
            throw StationStoreError(path: path, reason: "cannot use the WAL journal (journal_mode is \(mode ?? "unknown"))")
        }
        try db.execute("PRAGMA synchronous = FULL")
    }

    /// What the station reads once at open.
    private static func read(_ db: SQLiteConnection) throws -> SQLiteStationStore.Contents {
        var contents = SQLiteStationStore.Contents()
        for (key, value) in try db.rows("SELECT key, value FROM settings", read: keyValue) {
            contents.settings[key] = value
        }
        for (text, value) in try db.rows("SELECT key, value FROM variables", read: keyValue) {
            if let key = VariableAttributeKey(storageKey: text) { contents.variables[key] = value }
        }
        for (id, text) in try db.rows("SELECT id, monitor FROM monitors", read: { row throws(SQLiteError) in
            (try row[0] as Int, try row[1] as String)
        }) {
            contents.monitors[id] = text
        }
        // The smallest index (outbox_transaction_id) answers this; afterwards the count is kept in memory.
        contents.queued = try db.value("SELECT COUNT(*) FROM outbox") ?? 0
        return contents
    }

    private static func keyValue(_ row: SQLiteRow) throws(SQLiteError) -> (String, String) {
        (try row[0], try row[1])
    }
}

// The durable outbox over the store's connection: a message and its transaction record are written in one SQLite
// transaction, so one fsync, and either both are on disk or neither (see MessageOutbox for the rules).
public import OCPPStation
internal import Synchronization

extension SQLiteStationStore: MessageOutbox {
    private static let messageColumns = "id, action, payload, transaction_id, event_type, seq_no, attempts"

    @discardableResult
    public func commit(_ message: NewOutboxMessage?, transaction change: TransactionRecordChange?) async throws
        -> OutboxMessage?
    {
        try await database.run { db in
            let queued = try db.transaction { try Self.apply(message, change, on: db) }
            if queued != nil { self.cache.withLock { $0.queued += 1 } }
            return queued
        }
    }

    /// Many commits in one SQLite transaction, for bulk loading (benchmarks, imports): all are kept, or none. Blocks
    /// the calling thread; not for the station's own work, which commits event by event.
    public func commitAll(_ commits: some Sequence<(NewOutboxMessage?, TransactionRecordChange?)>) throws {
        try database.sync { db in
            let queued = try db.transaction {
                var queued = 0
                for (message, change) in commits where try Self.apply(message, change, on: db) != nil { queued += 1 }
                return queued
            }
            self.cache.withLock { $0.queued += queued }
        }
    }

    private static func apply(_ message: NewOutboxMessage?, _ change: TransactionRecordChange?, on db: SQLiteConnection)
        throws -> OutboxMessage?
    {
        var queued: OutboxMessage?
        if let message {
            try db.run(
                "INSERT INTO outbox (action, payload, transaction_id, event_type, seq_no) VALUES (?, ?, ?, ?, ?)",
                message.action, message.payload, message.transactionId, message.eventType, message.seqNo)
            queued = OutboxMessage(
                id: db.lastInsertRowID, action: message.action, payload: message.payload,
                transactionId: message.transactionId, eventType: message.eventType, seqNo: message.seqNo)
        }
        switch change {
        case .save(let record):
            // An upsert, not INSERT OR REPLACE: the row keeps its position, so `transactions()` stays oldest first.
            try db.run(
                """
                INSERT INTO transactions (transaction_id, evse_id, next_seq_no, state) VALUES (?, ?, ?, ?)
                ON CONFLICT (transaction_id) DO UPDATE
                SET evse_id = excluded.evse_id, next_seq_no = excluded.next_seq_no, state = excluded.state
                """,
                record.transactionId, record.evseId, record.nextSeqNo, record.state)
        case .remove(let transactionId):
            try db.run("DELETE FROM transactions WHERE transaction_id = ?", transactionId)
        case nil:
            break
        }
        return queued
    }

    public func first() async throws -> OutboxMessage? {
        try await database.run { db in
            try db.row("SELECT \(Self.messageColumns) FROM outbox ORDER BY id LIMIT 1") { row throws(SQLiteError) in
                OutboxMessage(
                    id: try row[0], action: try row[1], payload: try row[2], transactionId: try row[3],
                    eventType: try row[4], seqNo: try row[5], attempts: try row[6])
            }
        }
    }

    public func remove(id: Int64) async throws {
        try await database.run { db in
            try db.run("DELETE FROM outbox WHERE id = ?", id)
            let removed = db.changes
            self.cache.withLock { $0.queued -= removed }
        }
    }

    public func setAttempts(_ attempts: Int, id: Int64) async throws {
        try await database.run { db in try db.run("UPDATE outbox SET attempts = ? WHERE id = ?", attempts, id) }
    }

    public func count(transactionId: String?) async throws -> Int {
        guard let transactionId else { return cache.withLock { $0.queued } }
        return try await database.run { db in
            try db.row("SELECT COUNT(*) FROM outbox WHERE transaction_id = ?", transactionId) { row throws(SQLiteError) in
                try row[0] as Int
            } ?? 0
        }
    }

    public func countTransactionMessages() async throws -> Int {
        try await database.run { db in
            // Served by the transaction_id index: only the rows that have one are counted.
            try db.row("SELECT COUNT(*) FROM outbox WHERE transaction_id IS NOT NULL") { row throws(SQLiteError) in
                try row[0] as Int
            } ?? 0
        }
    }

    public func transactions() async throws -> [TransactionRecord] {
        try await database.run { db in
            try db.rows("SELECT transaction_id, evse_id, next_seq_no, state FROM transactions ORDER BY position") {
                row throws(SQLiteError) in
                TransactionRecord(transactionId: try row[0], evseId: try row[1], nextSeqNo: try row[2], state: try row[3])
            }
        }
    }

    public func thinUpdatedTransactionEvents(limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        return try await database.run { db in
            let dropped = try db.transaction {
                // E12.FR.04/05: only Updated events, and of each transaction every other one (its 1st, 3rd, 5th ...
                // queued), so what remains still shows the transaction's course; Started and Ended always stay.
                let updated = try db.statement(
                    """
                    SELECT id, transaction_id FROM outbox
                    WHERE action = 'TransactionEvent' AND event_type = 'Updated' AND transaction_id IS NOT NULL
                    ORDER BY id
                    """)
                var drop: [Int64] = []
                var seen: [String: Int] = [:]
                do {
                    defer { updated.reset() }
                    while drop.count < limit, let row = try updated.step() {
                        let transactionId: String = try row[1]
                        let index = seen[transactionId, default: 0]
                        seen[transactionId] = index + 1
                        if index % 2 == 0 { drop.append(try row[0]) }
                    }
                }
                for id in drop { try db.run("DELETE FROM outbox WHERE id = ?", id) }
                return drop.count
            }
            self.cache.withLock { $0.queued -= dropped }
            return dropped
        }
    }
}

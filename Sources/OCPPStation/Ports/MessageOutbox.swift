// The durable outbox port: messages the station must deliver to the CSMS even across a crash, a power cut or an
// outage (TransactionEvent, E12; SecurityEventNotification, A04.FR.02). The SQLite backend lives in
// OCPPStationStorage; `InMemoryMessageOutbox` serves tests and embedding without persistence.
//
// The rules every implementation keeps:
// - `commit` is one atomic, durable write: the message is appended at the end of the queue *and* the transaction
//   record it belongs to is saved (with its next seqNo) or removed, or neither is. When the call returns, both are on
//   disk. So a transaction's seqNo counter never runs ahead of, or behind, the events that carry it.
// - Messages leave in the order they were committed (`first()` is the oldest). A message is removed only after the
//   CSMS answered it (`remove`), or when it is given up (E13.FR.04) or thinned (E12.FR.04/05).
internal import Synchronization

/// A message as the station hands it to the outbox.
public struct NewOutboxMessage: Sendable, Hashable {
    /// The OCPP action, for example `TransactionEvent` or `SecurityEventNotification`.
    public var action: String
    /// The request payload, JSON text, exactly as it is to be sent.
    public var payload: String
    /// For a TransactionEvent: its transaction, event type (`Started`, `Updated`, `Ended`) and seqNo.
    public var transactionId: String?
    public var eventType: String?
    public var seqNo: Int?

    public init(action: String, payload: String, transactionId: String? = nil, eventType: String? = nil, seqNo: Int? = nil) {
        self.action = action
        self.payload = payload
        self.transactionId = transactionId
        self.eventType = eventType
        self.seqNo = seqNo
    }
}

/// A message waiting in the outbox.
public struct OutboxMessage: Sendable, Hashable {
    /// Its place in the queue: increasing in commit order, never reused.
    public var id: Int64
    public var action: String
    public var payload: String
    public var transactionId: String?
    public var eventType: String?
    public var seqNo: Int?
    /// How many times it was sent and not accepted (E13: MessageAttempts).
    public var attempts: Int

    public init(
        id: Int64, action: String, payload: String, transactionId: String? = nil, eventType: String? = nil,
        seqNo: Int? = nil, attempts: Int = 0
    ) {
        self.id = id
        self.action = action
        self.payload = payload
        self.transactionId = transactionId
        self.eventType = eventType
        self.seqNo = seqNo
        self.attempts = attempts
    }
}

/// An open transaction as it is persisted: enough to continue it, or end it (PowerLoss) after an unclean stop.
public struct TransactionRecord: Sendable, Hashable {
    public var transactionId: String
    public var evseId: Int
    /// The seqNo the transaction's next event gets.
    public var nextSeqNo: Int
    /// The transaction engine's own state, JSON text; the store keeps it and does not read it.
    public var state: String

    public init(transactionId: String, evseId: Int, nextSeqNo: Int, state: String) {
        self.transactionId = transactionId
        self.evseId = evseId
        self.nextSeqNo = nextSeqNo
        self.state = state
    }
}

/// What a commit does to a transaction record.
public enum TransactionRecordChange: Sendable, Hashable {
    /// Inserts or replaces the record.
    case save(TransactionRecord)
    /// Removes the record (the transaction ended); its queued messages stay queued.
    case remove(transactionId: String)
}

/// The durable outbox and the open transactions.
public protocol MessageOutbox: Sendable {
    /// One atomic, durable commit: appends `message` (if any) at the end of the queue and applies `transaction` (if
    /// any). Returns the queued message. Throws when the write did not happen (nothing of it is kept).
    @discardableResult
    func commit(_ message: NewOutboxMessage?, transaction: TransactionRecordChange?) async throws -> OutboxMessage?
    /// The oldest queued message, nil when the queue is empty.
    func first() async throws -> OutboxMessage?
    /// Removes a message: answered by the CSMS, or given up (E13.FR.04).
    func remove(id: Int64) async throws
    /// Records a failed delivery attempt.
    func setAttempts(_ attempts: Int, id: Int64) async throws
    /// How many messages are queued; with a transaction id, how many of that transaction (E14 messagesInQueue).
    func count(transactionId: String?) async throws -> Int
    /// How many queued messages belong to a transaction (E14.FR.07/08: "transaction-related messages").
    func countTransactionMessages() async throws -> Int
    /// The open transaction records, oldest first.
    func transactions() async throws -> [TransactionRecord]
    /// E12.FR.04/05: drops up to `limit` queued TransactionEvents with eventType `Updated`, intermediate ones first
    /// (the 1st, 3rd, 5th ... of each transaction's queued Updated events), never Started or Ended. Returns how many
    /// were dropped.
    func thinUpdatedTransactionEvents(limit: Int) async throws -> Int
}

extension MessageOutbox {
    public func count() async throws -> Int { try await count(transactionId: nil) }
}

/// A `MessageOutbox` in memory, for tests and for embedding without persistence.
public final class InMemoryMessageOutbox: MessageOutbox {
    private struct State {
        var nextId: Int64 = 1
        var messages: [OutboxMessage] = []
        var transactions: [String: (order: Int64, record: TransactionRecord)] = [:]
        var order: Int64 = 0
    }
    private let state = Mutex(State())

    public init() {}

    @discardableResult
    public func commit(_ message: NewOutboxMessage?, transaction: TransactionRecordChange?) async throws -> OutboxMessage? {
        state.withLock { state in
            switch transaction {
            case .save(let record):
                let order = state.transactions[record.transactionId]?.order ?? { state.order += 1; return state.order }()
                state.transactions[record.transactionId] = (order, record)
            case .remove(let id):
                state.transactions[id] = nil
            case nil:
                break
            }
            guard let message else { return nil }
            let queued = OutboxMessage(
                id: state.nextId, action: message.action, payload: message.payload, transactionId: message.transactionId,
                eventType: message.eventType, seqNo: message.seqNo)
            state.nextId += 1
            state.messages.append(queued)
            return queued
        }
    }

    public func first() async throws -> OutboxMessage? { state.withLock { $0.messages.first } }

    public func remove(id: Int64) async throws { state.withLock { $0.messages.removeAll { $0.id == id } } }

    public func setAttempts(_ attempts: Int, id: Int64) async throws {
        state.withLock { state in
            if let index = state.messages.firstIndex(where: { $0.id == id }) { state.messages[index].attempts = attempts }
        }
    }

    public func count(transactionId: String?) async throws -> Int {
        state.withLock { state in
            guard let transactionId else { return state.messages.count }
            return state.messages.count { $0.transactionId == transactionId }
        }
    }

    public func countTransactionMessages() async throws -> Int {
        state.withLock { $0.messages.count { $0.transactionId != nil } }
    }

    public func transactions() async throws -> [TransactionRecord] {
        state.withLock { $0.transactions.values.sorted { $0.order < $1.order }.map(\.record) }
    }

    public func thinUpdatedTransactionEvents(limit: Int) async throws -> Int {
        state.withLock { state in
            var drop = Set<Int64>()
            var seen: [String: Int] = [:]
            for message in state.messages where drop.count < limit {
                guard message.action == "TransactionEvent", message.eventType == "Updated",
                    let transactionId = message.transactionId
                else { continue }
                let index = seen[transactionId, default: 0]
                seen[transactionId] = index + 1
                if index % 2 == 0 { drop.insert(message.id) }
            }
            state.messages.removeAll { drop.contains($0.id) }
            return drop.count
        }
    }
}

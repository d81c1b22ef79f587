import Foundation
import OCPPStation

@testable import OCPPStationStorage

/// Runs `body` with the path of a `station.db` in a new temporary directory, removed afterwards.
func withDatabasePath(_ body: (String) async throws -> Void) async throws {
    let directory = NSTemporaryDirectory() + "ocpp-store-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try await body(directory + "/station.db")
}

/// Runs SQL on the file through a connection of its own, as another program (or an older agent) would.
func execute(_ sql: String, on path: String) throws {
    let db = try SQLiteConnection(path: path)
    defer { db.close() }
    try db.execute(sql)
}

/// Every queued message, oldest first, removing them as a sender that got every answer would.
func drain(_ outbox: some MessageOutbox) async throws -> [OutboxMessage] {
    var messages: [OutboxMessage] = []
    while let message = try await outbox.first() {
        messages.append(message)
        try await outbox.remove(id: message.id)
    }
    return messages
}

func transactionEvent(_ transactionId: String, _ eventType: String, seqNo: Int) -> NewOutboxMessage {
    NewOutboxMessage(
        action: "TransactionEvent",
        payload: #"{"eventType":"\#(eventType)","seqNo":\#(seqNo),"transactionInfo":{"transactionId":"\#(transactionId)"}}"#,
        transactionId: transactionId, eventType: eventType, seqNo: seqNo)
}

func record(_ transactionId: String, evseId: Int = 1, nextSeqNo: Int) -> TransactionRecord {
    TransactionRecord(transactionId: transactionId, evseId: evseId, nextSeqNo: nextSeqNo, state: #"{"chargingState":"Charging"}"#)
}

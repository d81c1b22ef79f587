import Foundation
import OCPPStation
import Testing

@testable import OCPPStationStorage

/// The SQLite outbox keeps the rules of `MessageOutbox` (InMemoryMessageOutbox is the reference) across reopening.
struct SQLiteMessageOutboxTests {
    @Test func messagesLeaveInCommitOrderAndAreCounted() async throws {
        try await withDatabasePath { path in
            let store = try SQLiteStationStore(path: path)
            let started = try await store.commit(transactionEvent("A", "Started", seqNo: 0), transaction: .save(record("A", nextSeqNo: 1)))
            let security = try await store.commit(
                NewOutboxMessage(action: "SecurityEventNotification", payload: #"{"type":"StartupOfTheDevice","timestamp":"2026-12-03T08:00:00Z"}"#),
                transaction: nil)
            let other = try await store.commit(transactionEvent("B", "Started", seqNo: 0), transaction: .save(record("B", evseId: 2, nextSeqNo: 1)))
            let updated = try await store.commit(transactionEvent("A", "Updated", seqNo: 1), transaction: .save(record("A", nextSeqNo: 2)))
            #expect([started, security, other, updated].map { $0?.id } == [1, 2, 3, 4])
            #expect(try await store.count() == 4)
            #expect(try await store.count(transactionId: "A") == 2)
            #expect(try await store.count(transactionId: "B") == 1)
            #expect(try await store.count(transactionId: "C") == 0)
            #expect(try await store.countTransactionMessages() == 3)  // not the security event
            #expect(try await store.first() == started)

            try await store.setAttempts(2, id: 1)
            #expect(try await store.first()?.attempts == 2)
            try await store.remove(id: 1)
            try await store.remove(id: 1)  // Already gone: nothing changes, the count stays right.
            #expect(try await store.first() == security)
            #expect(try await store.count() == 3)
            #expect(try await store.count(transactionId: "A") == 1)
            // A commit with only a record change queues nothing.
            #expect(try await store.commit(nil, transaction: .remove(transactionId: "B")) == nil)
            #expect(try await store.count() == 3)
            try await store.close()

            let reopened = try SQLiteStationStore(path: path)
            #expect(try await reopened.count() == 3)
            #expect(try await drain(reopened) == [security, other, updated].compactMap { $0 })
            #expect(try await reopened.count() == 0)
            try await reopened.close()
        }
    }

    @Test func aFailedCommitKeepsNeitherTheMessageNorTheRecord() async throws {
        try await withDatabasePath { path in
            let store = try SQLiteStationStore(path: path)
            let started = try await store.commit(transactionEvent("A", "Started", seqNo: 0), transaction: .save(record("A", nextSeqNo: 1)))
            // Another program makes the second half of the next commits fail, after the first half was written.
            try execute(
                """
                CREATE TRIGGER refuse_record BEFORE UPDATE ON transactions WHEN NEW.next_seq_no = 2
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
                CREATE TRIGGER refuse_message BEFORE INSERT ON outbox WHEN NEW.event_type = 'Ended'
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
                """, on: path)
            await #expect(throws: SQLiteError.self) {
                try await store.commit(transactionEvent("A", "Updated", seqNo: 1), transaction: .save(record("A", nextSeqNo: 2)))
            }
            await #expect(throws: SQLiteError.self) {
                try await store.commit(transactionEvent("A", "Ended", seqNo: 1), transaction: .remove(transactionId: "A"))
            }
            #expect(try await store.count() == 1)
            #expect(try await store.count(transactionId: "A") == 1)
            #expect(try await store.transactions() == [record("A", nextSeqNo: 1)])
            // The store goes on working after a failed commit.
            let next = try await store.commit(transactionEvent("A", "Updated", seqNo: 1), transaction: .save(record("A", nextSeqNo: 3)))
            // The failed inserts never existed, so their id is free: no message was ever acknowledged with it.
            #expect(next?.id == 2)
            try await store.close()

            let reopened = try SQLiteStationStore(path: path)
            #expect(try await reopened.transactions() == [record("A", nextSeqNo: 3)])
            #expect(try await drain(reopened) == [started, next].compactMap { $0 })
            try await reopened.close()
        }
    }

    @Test func idsAreNeverReusedAfterTheNewestIsRemovedAndTheFileReopened() async throws {
        try await withDatabasePath { path in
            let store = try SQLiteStationStore(path: path)
            for seqNo in 0..<3 { try await store.commit(transactionEvent("A", "Updated", seqNo: seqNo), transaction: nil) }
            #expect(try await drain(store).map(\.id) == [1, 2, 3])
            try await store.close()
            let reopened = try SQLiteStationStore(path: path)
            #expect(try await reopened.commit(transactionEvent("A", "Updated", seqNo: 3), transaction: nil)?.id == 4)
            try await reopened.close()
        }
    }

    @Test func transactionRecordsSurviveReopeningOldestFirst() async throws {
        try await withDatabasePath { path in
            let store = try SQLiteStationStore(path: path)
            try await store.commit(nil, transaction: .save(record("A", evseId: 1, nextSeqNo: 1)))
            try await store.commit(nil, transaction: .save(record("B", evseId: 2, nextSeqNo: 1)))
            try await store.commit(nil, transaction: .save(record("C", evseId: 3, nextSeqNo: 1)))
            // Saving again keeps the record's place; removing one leaves the others in order.
            try await store.commit(transactionEvent("A", "Updated", seqNo: 1), transaction: .save(record("A", evseId: 1, nextSeqNo: 2)))
            try await store.commit(transactionEvent("B", "Ended", seqNo: 1), transaction: .remove(transactionId: "B"))
            try await store.commit(nil, transaction: .save(record("D", evseId: 2, nextSeqNo: 1)))
            let expected = [record("A", evseId: 1, nextSeqNo: 2), record("C", evseId: 3, nextSeqNo: 1), record("D", evseId: 2, nextSeqNo: 1)]
            #expect(try await store.transactions() == expected)
            try await store.close()
            let reopened = try SQLiteStationStore(path: path)
            #expect(try await reopened.transactions() == expected)
            // The ended transaction's event stays queued after its record went.
            #expect(try await reopened.count(transactionId: "B") == 1)
            try await reopened.close()
        }
    }

    /// Two transactions interleaved with other messages; thinned as the in-memory reference thins them.
    @Test(arguments: [0, 1, 3, 4, 100])
    func thinningDropsEveryOtherUpdatedEventLikeTheReference(limit: Int) async throws {
        try await withDatabasePath { path in
            let store = try SQLiteStationStore(path: path)
            let reference = InMemoryMessageOutbox()
            var commits: [NewOutboxMessage] = [transactionEvent("A", "Started", seqNo: 0), transactionEvent("B", "Started", seqNo: 0)]
            for seqNo in 1...5 {
                commits.append(transactionEvent("A", "Updated", seqNo: seqNo))
                if seqNo <= 3 { commits.append(transactionEvent("B", "Updated", seqNo: seqNo)) }
                if seqNo == 2 { commits.append(NewOutboxMessage(action: "SecurityEventNotification", payload: "{}")) }
            }
            commits.append(transactionEvent("A", "Ended", seqNo: 6))
            for message in commits {
                try await store.commit(message, transaction: nil)
                try await reference.commit(message, transaction: nil)
            }
            let dropped = try await store.thinUpdatedTransactionEvents(limit: limit)
            #expect(dropped == (try await reference.thinUpdatedTransactionEvents(limit: limit)))
            #expect(dropped == min(limit, 5))  // A's Updated 1, 3, 5 and B's 1, 3.
            #expect(try await store.count() == commits.count - dropped)
            #expect(try await store.count(transactionId: "A") == (try await reference.count(transactionId: "A")))
            let kept = try await drain(store)
            #expect(kept == (try await drain(reference)))
            #expect(kept.filter { $0.eventType != "Updated" }.count == 4)  // Started, Started, Ended, the security event.
            try await store.close()
        }
    }

    /// The files as a kill -9 leaves them (database and WAL, no checkpoint) open with every acknowledged commit.
    @Test func aFileLeftByAKilledProcessOpensWithEveryCommit() async throws {
        try await withDatabasePath { path in
            let store = try SQLiteStationStore(path: path)
            var acknowledged: [OutboxMessage] = []
            for seqNo in 0..<50 {
                if let queued = try await store.commit(transactionEvent("A", seqNo == 0 ? "Started" : "Updated", seqNo: seqNo), transaction: .save(record("A", nextSeqNo: seqNo + 1))) {
                    acknowledged.append(queued)
                }
            }
            try await store.remove(id: 1)
            // Copied while the store is open: what is on disk at this instant, the WAL not yet checkpointed.
            let crashed = path + "-crashed"
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            for suffix in ["", "-wal"] { try FileManager.default.copyItem(atPath: path + suffix, toPath: crashed + suffix) }
            try await store.close()

            let reopened = try SQLiteStationStore(path: crashed)
            #expect(try await reopened.count() == 49)
            #expect(try await reopened.transactions() == [record("A", nextSeqNo: 50)])
            #expect(try await drain(reopened) == Array(acknowledged.dropFirst()))
            try await reopened.close()
        }
    }
}

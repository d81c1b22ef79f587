import Foundation
import OCPPStation
import Testing

@testable import OCPPStationStorage

/// A process committing events is killed with SIGKILL at an arbitrary instant, several times over the same file:
/// every commit it reported is there, in order, and each transaction's record agrees with its queued events.
struct KilledWriterTests {
    /// station-bench, built beside the test bundle.
    static var writer: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("station-bench").path
    }

    /// Starts the writer, waits for `commits` reported commits, kills it; returns what it reported.
    func runAndKill(path: String, commits: Int) throws -> [(id: Int64, transactionId: String, seqNo: Int)] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.writer)
        process.arguments = ["write-until-killed", "--db", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var text = ""
        let reader = output.fileHandleForReading
        while text.filter({ $0 == "\n" }).count < commits {
            let data = reader.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        text += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .uncaughtSignal)
        // A line cut by the kill is not a reported commit.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()
        return lines.compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, let id = Int64(parts[0]), let seqNo = Int(parts[2]) else { return nil }
            return (id, String(parts[1]), seqNo)
        }
    }

    @Test func everyReportedCommitSurvivesSIGKILL() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.writer), "station-bench not built at \(Self.writer)")
        try await withDatabasePath { path in
            var reported: [(id: Int64, transactionId: String, seqNo: Int)] = []
            for cycle in 0..<4 {
                reported += try runAndKill(path: path, commits: 15 + 7 * cycle)
            }
            #expect(reported.count >= 15 + 22 + 29 + 36)
            let store = try SQLiteStationStore(path: path)
            let queued = try await drain(store)
            // Reported commits are all there, in order; at most one per kill more (committed, not yet reported).
            let reportedIds = Set(reported.map(\.id))
            #expect(queued.filter { reportedIds.contains($0.id) }.map(\.id) == reported.map(\.id))
            #expect(queued.count - reported.count <= 4)
            #expect(queued.map(\.id) == queued.map(\.id).sorted())
            // Per transaction: seqNo 0, 1, 2 ... with no gap or repeat across the kills.
            var next: [String: Int] = [:]
            for message in queued {
                let transactionId = try #require(message.transactionId)
                #expect(message.seqNo == next[transactionId, default: 0], "\(transactionId)")
                next[transactionId] = (message.seqNo ?? 0) + 1
            }
            // The open transaction's record carries the seqNo after its last queued event; ended ones have none.
            for record in try await store.transactions() {
                #expect(record.nextSeqNo == next[record.transactionId])
                #expect(record.nextSeqNo < 10)
            }
            #expect(try await store.transactions().count <= 1)
            try await store.close()
        }
    }
}

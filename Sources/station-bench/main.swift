// station-bench: measurements of the station's storage for `make bench` (Scripts/bench.py).
//
//   station-bench enqueue --dir D --count N   durable enqueue rate through SQLiteStationStore, beside a raw SQLite
//                                             insert-and-commit loop on the same disk
//   station-bench fill --db PATH --count N    N queued TransactionEvents (valid payloads) in one commit
//   station-bench write-until-killed --db PATH
//                                             commits transactions of 10 events forever, one line on stdout after
//                                             each commit returns (the storage tests kill it with SIGKILL)
//   station-bench codec [--seconds S]         the message layer's frames/s on one TransactionEvent (CodecBench.swift)
//   station-bench check-payloads              OCPPMessages' verdict on payloads read from stdin (CheckPayloads.swift)
import CSQLite
import OCPPMessages
import OCPPStation
import OCPPStationStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

struct UsageError: Error, CustomStringConvertible {
    var description: String
}

let usage = """
    usage: station-bench enqueue --dir DIRECTORY --count N
           station-bench fill --db PATH --count N
           station-bench write-until-killed --db PATH
           station-bench codec [--seconds S]
           station-bench check-payloads < lines of "MessageName<TAB>payload JSON"
    """

/// `--name value` pairs after the subcommand; every name must be one of `allowed`.
func parseFlags(_ arguments: ArraySlice<String>, allowed: Set<String>) throws(UsageError) -> [String: String] {
    var flags: [String: String] = [:]
    var rest = arguments
    while let name = rest.popFirst() {
        guard allowed.contains(name) else { throw UsageError(description: "unknown option \(name)") }
        guard let value = rest.popFirst() else { throw UsageError(description: "\(name) needs a value") }
        flags[name] = value
    }
    for name in allowed where flags[name] == nil { throw UsageError(description: "\(name) is required") }
    return flags
}

func positiveCount(_ text: String?) throws(UsageError) -> Int {
    guard let text, let count = Int(text), count > 0 else {
        throw UsageError(description: "--count must be a positive number, not \(text ?? "nothing")")
    }
    return count
}

// MARK: - Payloads

/// The `index`-th event of a transaction of `length` events, as the engine would queue it while offline: a
/// TransactionEvent with a meter value of three measurands, about 600 bytes of JSON, valid against the OCA schema.
func transactionEvent(transaction: Int, index: Int, length: Int) -> NewOutboxMessage {
    let transactionId = "00000000-0000-4000-8000-" + hex(transaction, width: 12)
    let eventType = index == 0 ? "Started" : index == length - 1 ? "Ended" : "Updated"
    let triggerReason = index == 0 ? "Authorized" : index == length - 1 ? "StopAuthorized" : "MeterValuePeriodic"
    let time = timestamp(secondsAfterMidnight: transaction * 7200 % 80_000 + index * 60)
    let energy = Double(index) * 183.5
    func sample(_ value: Double, _ measurand: String, _ phase: String?, _ unit: String) -> JSONValue {
        var object: JSONObject = ["value": .double(value), "measurand": .string(measurand), "unitOfMeasure": ["unit": .string(unit)]]
        if let phase { object["phase"] = .string(phase) }
        object["context"] = .string(index == 0 ? "Transaction.Begin" : index == length - 1 ? "Transaction.End" : "Sample.Periodic")
        return .object(object)
    }
    var transactionInfo: JSONObject = ["transactionId": .string(transactionId), "chargingState": "Charging"]
    if eventType == "Ended" {
        transactionInfo["chargingState"] = "EVConnected"
        transactionInfo["stoppedReason"] = "Local"
    }
    var payload: JSONObject = [
        "eventType": .string(eventType),
        "timestamp": .string(time),
        "triggerReason": .string(triggerReason),
        "seqNo": .int(Int64(index)),
        "offline": true,
        "transactionInfo": .object(transactionInfo),
        "evse": ["id": 1, "connectorId": 1],
        "meterValue": [
            [
                "timestamp": .string(time),
                "sampledValue": [
                    sample(energy, "Energy.Active.Import.Register", nil, "Wh"),
                    sample(11_040, "Power.Active.Import", nil, "W"),
                    sample(16.0, "Current.Import", "L1", "A"),
                ],
            ]
        ],
    ]
    // E01.FR.10: the idToken goes in the first event after authorization only.
    if index == 0 { payload["idToken"] = ["idToken": "04A2B3C4D5E6F7", "type": "ISO14443"] }
    return NewOutboxMessage(
        action: "TransactionEvent", payload: payload.serialized(), transactionId: transactionId, eventType: eventType,
        seqNo: index)
}

func hex(_ value: Int, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

func timestamp(secondsAfterMidnight seconds: Int) -> String {
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "2026-12-03T\(two(seconds / 3600 % 24)):\(two(seconds / 60 % 60)):\(two(seconds % 60))Z"
}

/// Stops with a message if the benchmark's payloads (Started, Updated, Ended) would not pass the CSMS's schema check.
func checkPayloads() throws {
    for index in [0, 1, 99] {
        let message = transactionEvent(transaction: 0, index: index, length: 100)
        _ = try TransactionEventRequest(validating: try JSONValue.parse(message.payload))
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func format(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    guard decimals > 0 else { return "\(scaled)" }
    let fraction = String(scaled % Int(scale))
    return "\(scaled / Int(scale)).\(String(repeating: "0", count: decimals - fraction.count))\(fraction)"
}

// MARK: - enqueue

/// N commits, each a TransactionEvent and its transaction's record (next seqNo), as the engine makes them.
/// Also times as many `first()` calls: a read of cached pages, so mostly the hop to the store's queue and back.
func enqueueThroughStore(directory: String, count: Int) async throws -> (commits: Duration, reads: Duration) {
    let store = try SQLiteStationStore(path: directory + "/station.db")
    let events = (0..<count).map { transactionEvent(transaction: $0 / 100, index: $0 % 100, length: 100) }
    try checkPayloads()
    let clock = ContinuousClock()
    let elapsed = try await clock.measure {
        for (offset, event) in events.enumerated() {
            let record = TransactionRecord(
                transactionId: event.transactionId ?? "", evseId: 1, nextSeqNo: offset % 100 + 1,
                state: #"{"chargingState":"Charging","meterStart":0}"#)
            try await store.commit(event, transaction: offset % 100 == 99 ? .remove(transactionId: record.transactionId) : .save(record))
        }
    }
    let reads = try await clock.measure { for _ in 0..<count { _ = try await store.first() } }
    try await store.close()
    return (elapsed, reads)
}

struct RawSQLiteError: Error, CustomStringConvertible {
    var description: String
}

/// The baseline: SQLite's C API, the same pragmas, one prepared INSERT of the same payload and a COMMIT per row.
func enqueueRaw(directory: String, count: Int) throws -> Duration {
    var db: OpaquePointer?
    func check(_ code: Int32) throws {
        if code != SQLITE_OK && code != SQLITE_DONE && code != SQLITE_ROW {
            throw RawSQLiteError(description: db.map { String(cString: sqlite3_errmsg($0)) } ?? "SQLite error \(code)")
        }
    }
    try check(sqlite3_open(directory + "/raw.db", &db))
    defer { sqlite3_close(db) }
    try check(sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE queue (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)", nil, nil, nil))
    var begin: OpaquePointer?, insert: OpaquePointer?, commit: OpaquePointer?
    try check(sqlite3_prepare_v2(db, "BEGIN", -1, &begin, nil))
    try check(sqlite3_prepare_v2(db, "INSERT INTO queue (payload) VALUES (?)", -1, &insert, nil))
    try check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nil))
    defer { for statement in [begin, insert, commit] { sqlite3_finalize(statement) } }
    let payloads = (0..<count).map { transactionEvent(transaction: $0 / 100, index: $0 % 100, length: 100).payload }
    let clock = ContinuousClock()
    return try clock.measure {
        for payload in payloads {
            try check(sqlite3_step(begin))
            sqlite3_reset(begin)
            try check(sqlite3_bind_text(insert, 1, payload, -1, csqlite_transient()))
            try check(sqlite3_step(insert))
            sqlite3_reset(insert)
            try check(sqlite3_step(commit))
            sqlite3_reset(commit)
        }
    }
}

func enqueue(_ flags: [String: String]) async throws {
    let directory = flags["--dir"] ?? "."
    let count = try positiveCount(flags["--count"])
    for file in ["station.db", "raw.db"] { unlink(directory + "/" + file) }
    let (commits, reads) = try await enqueueThroughStore(directory: directory, count: count)
    let ours = seconds(commits)
    let raw = seconds(try enqueueRaw(directory: directory, count: count))
    let oursRate = Double(count) / ours
    let rawRate = Double(count) / raw
    print("enqueue: \(count) events in \(format(ours, decimals: 3)) s = \(format(oursRate, decimals: 0)) events/s")
    print("raw sqlite: \(count) rows in \(format(raw, decimals: 3)) s = \(format(rawRate, decimals: 0)) rows/s")
    print("enqueue / raw sqlite: \(format(oursRate / rawRate, decimals: 2)) (target >= 0.50)")
    let read = seconds(reads) * 1e6 / Double(count)
    print("first(): \(count) reads, \(format(read, decimals: 1)) µs each (the store's queue round trip included)")
}

// MARK: - fill

/// `count` queued events in transactions of 100 (Started, Updated ..., Ended), no transaction left open, one commit.
func fill(_ flags: [String: String]) throws {
    let path = flags["--db"] ?? "station.db"
    let count = try positiveCount(flags["--count"])
    let store = try SQLiteStationStore(path: path)
    defer { store.closeNow() }
    try checkPayloads()
    let commits = (0..<count).lazy.map { offset -> (NewOutboxMessage?, TransactionRecordChange?) in
        let length = min(100, count - offset / 100 * 100)
        let event = transactionEvent(transaction: offset / 100, index: offset % 100, length: length)
        let transactionId = event.transactionId ?? ""
        let last = offset % 100 == length - 1
        return (
            event,
            last
                ? .remove(transactionId: transactionId)
                : .save(TransactionRecord(transactionId: transactionId, evseId: 1, nextSeqNo: offset % 100 + 1, state: "{}"))
        )
    }
    try store.commitAll(commits)
    print("fill: \(count) TransactionEvents queued in \(path)")
}

// MARK: - write-until-killed

/// Commits events as the transaction engine does (event and record in one commit), continuing the transaction a
/// previous run left open, and reports each commit once it returned: `<id> <transactionId> <seqNo>`.
func writeUntilKilled(_ flags: [String: String]) async throws {
    let store = try SQLiteStationStore(path: flags["--db"] ?? "station.db")
    let open = try await store.transactions().last
    var transaction = open.map { Int($0.transactionId.split(separator: "-").last ?? "", radix: 16) ?? 0 } ?? 0
    var index = open?.nextSeqNo ?? 0
    // A number no earlier transaction had: each had 10 events, all still queued (nothing drains here).
    if open == nil { transaction = try await store.count() }
    while true {
        let event = transactionEvent(transaction: transaction, index: index, length: 10)
        let transactionId = event.transactionId ?? ""
        let change: TransactionRecordChange =
            index == 9
            ? .remove(transactionId: transactionId)
            : .save(TransactionRecord(transactionId: transactionId, evseId: 1, nextSeqNo: index + 1, state: "{}"))
        let queued = try await store.commit(event, transaction: change)
        let line = "\(queued?.id ?? 0) \(transactionId) \(index)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count - 1) }
        index += 1
        if index == 10 { (transaction, index) = (transaction + 1, 0) }
    }
}

// MARK: - main

do {
    let arguments = CommandLine.arguments.dropFirst()
    switch arguments.first {
    case "enqueue": try await enqueue(parseFlags(arguments.dropFirst(), allowed: ["--dir", "--count"]))
    case "fill": try fill(parseFlags(arguments.dropFirst(), allowed: ["--db", "--count"]))
    case "write-until-killed": try await writeUntilKilled(parseFlags(arguments.dropFirst(), allowed: ["--db"]))
    case "check-payloads": checkPayloadsFromStdin()
    case "codec": try codecBench(parseFlags(arguments.dropFirst(), allowed: ["--seconds"]))
    default: throw UsageError(description: usage)
    }
} catch {
    let line = "station-bench: \(error)\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    exit(error is UsageError ? 64 : 1)
}

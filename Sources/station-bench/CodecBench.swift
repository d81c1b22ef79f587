// station-bench codec: the message layer's throughput on one TransactionEvent CALL (the frame of
// Scripts/py_codec.py): parse the frame's bytes, validate the payload against the OCA schema, decode it into
// TransactionEventRequest, encode the request back into a frame's bytes, on the byte path (RPCFrame,
// `decodePayload`, `callFrame`). Prints one JSON line with the frames/s and each stage's µs on the byte path and on
// the tree path (JSONValue); Scripts/codec-bench.py runs it beside the Python `ocpp` package on the same frame.

import OCPPMessages

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The frame of Scripts/py_codec.py, byte for byte as Python's json.dumps writes it.
let codecBenchFrame = #"[2, "19223201-8a2b-4b1c-9f8e-1c2d3e4f5a6b", "TransactionEvent", {"eventType": "Updated", "timestamp": "2026-11-23T19:44:20.123Z", "triggerReason": "MeterValuePeriodic", "seqNo": 17, "offline": false, "transactionInfo": {"transactionId": "7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f", "chargingState": "Charging"}, "evse": {"id": 1, "connectorId": 1}, "meterValue": [{"timestamp": "2026-11-23T19:44:20.123Z", "sampledValue": [{"value": 1234.5, "context": "Sample.Periodic", "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}}, {"value": 11000.0, "context": "Sample.Periodic", "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}}, {"value": 16.0, "context": "Sample.Periodic", "measurand": "Current.Import", "phase": "L1", "unitOfMeasure": {"unit": "A"}}, {"value": 230.1, "context": "Sample.Periodic", "measurand": "Voltage", "phase": "L1-N", "unitOfMeasure": {"unit": "V"}}]}]}]"#

/// One frame through the whole codec, the byte path the station uses: the envelope from the frame's bytes, the
/// payload validated while it is decoded into TransactionEventRequest, the request written back into a frame's
/// bytes. Returns the encoded frame's length so the work cannot be optimized away.
@inline(never)
func codecRoundTrip(_ bytes: [UInt8]) throws -> Int {
    let frame = try RPCFrame.parse(utf8: bytes)
    let request = try frame.decodePayload(as: TransactionEventRequest.self)
    return request.callFrame(messageId: frame.messageId).count
}

/// The same frame through the tree path (JSONValue, SchemaValidator, init(json:), toJSON, serializer), for the
/// per-stage comparison.
@inline(never)
func treeRoundTrip(_ bytes: [UInt8]) throws -> Int {
    guard case .call(let messageId, _, let payload) = try RPCMessage.parse(utf8: bytes) else { return 0 }
    let request = try TransactionEventRequest(validating: payload)
    return request.call(messageId: messageId).serializedBytes().count
}

/// Microseconds of CPU time per call of `body`, over about `seconds` of CPU time (on a shared machine the
/// wall-clock time of a stage mostly measures the scheduler).
func microseconds(_ seconds: Double, _ body: () throws -> Int) rethrows -> Double {
    var sink = 0
    var calls = 0
    let start = clockSeconds(CLOCK_PROCESS_CPUTIME_ID)
    var elapsed = 0.0
    repeat {
        for _ in 0..<200 { sink &+= try body() }
        calls += 200
        elapsed = clockSeconds(CLOCK_PROCESS_CPUTIME_ID) - start
    } while elapsed < seconds
    if sink == 42 { print("") }  // keeps `sink` alive
    return elapsed / Double(calls) * 1e6
}

/// Per-stage cost of both paths, in µs of CPU time a frame.
func codecStages(_ bytes: [UInt8], seconds: Double) throws -> [(String, Double)] {
    let frame = try RPCFrame.parse(utf8: bytes)
    let request = try frame.decodePayload(as: TransactionEventRequest.self)
    guard case .call(let messageId, _, let payload) = try RPCMessage.parse(utf8: bytes) else { return [] }
    let json = request.toJSON()
    let message = request.call(messageId: messageId)
    return [
        ("byte_envelope", try microseconds(seconds) { try RPCFrame.parse(utf8: bytes).messageId.utf8.count }),
        ("byte_validate_decode", try microseconds(seconds) { try frame.decodePayload(as: TransactionEventRequest.self).seqNo }),
        ("byte_encode", microseconds(seconds) { request.callFrame(messageId: messageId).count }),
        ("byte_total", try microseconds(seconds) { try codecRoundTrip(bytes) }),
        ("tree_total", try microseconds(seconds) { try treeRoundTrip(bytes) }),
        ("tree_parse", try microseconds(seconds) { try RPCMessage.parse(utf8: bytes).messageId.utf8.count }),
        ("tree_validate", try microseconds(seconds) {
            try SchemaValidator.validate(payload, against: TransactionEventRequest.schema)
            return 1
        }),
        ("tree_decode", try microseconds(seconds) { try TransactionEventRequest(json: payload).seqNo }),
        ("tree_toJSON", microseconds(seconds) { request.call(messageId: messageId).messageId.utf8.count }),
        ("tree_serialize", microseconds(seconds) { message.serializedBytes().count + (json.isNull ? 1 : 0) }),
    ]
}

func clockSeconds(_ clock: clockid_t) -> Double {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func codecBench(_ flags: [String: String]) throws {
    let seconds = Double(flags["--seconds"] ?? "3") ?? 3
    let bytes = Array(codecBenchFrame.utf8)
    var sink = try codecRoundTrip(bytes)
    guard sink > 0 else { throw UsageError(description: "the benchmark frame is not a CALL") }
    // Both paths must write the same frame, or the comparison means nothing.
    let treeFrame = try RPCMessage.parse(utf8: bytes)
    guard case .call(let id, _, let payload) = treeFrame,
        try TransactionEventRequest(validating: payload).call(messageId: id).serializedBytes()
            == RPCFrame.parse(utf8: bytes).decodePayload(as: TransactionEventRequest.self).callFrame(messageId: id)
    else { throw UsageError(description: "the byte path and the tree path disagree on the benchmark frame") }
    var frames = 0
    let start = clockSeconds(CLOCK_MONOTONIC)
    let cpuStart = clockSeconds(CLOCK_PROCESS_CPUTIME_ID)
    var elapsed = 0.0
    repeat {
        for _ in 0..<1000 { sink &+= try codecRoundTrip(bytes) }
        frames += 1000
        elapsed = clockSeconds(CLOCK_MONOTONIC) - start
    } while elapsed < seconds
    let perSecond = Double(frames) / elapsed
    // Frames per second of CPU time too: on a shared machine the wall-clock rate depends on the scheduler's share.
    let perCPUSecond = Double(frames) / (clockSeconds(CLOCK_PROCESS_CPUTIME_ID) - cpuStart)
    let stages = try codecStages(bytes, seconds: min(seconds / 6, 0.5))
        .map { "\"\($0.0)_cpu_us\": \(format($0.1, decimals: 2))" }.joined(separator: ", ")
    print("{\"swift_frames_per_s\": \(Int(perSecond.rounded())), \"us_per_frame\": \(format(1e6 / perSecond, decimals: 2)), "
        + "\"swift_frames_per_cpu_s\": \(Int(perCPUSecond.rounded())), \(stages), \"check\": \(sink & 1)}")
}

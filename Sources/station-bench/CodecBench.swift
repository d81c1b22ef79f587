// station-bench codec: the message layer's throughput on one TransactionEvent CALL (the frame of
// Scripts/py_codec.py): parse the frame's bytes, validate the payload against the OCA schema, decode it into
// TransactionEventRequest, encode the request back into a frame's bytes. Prints one JSON line; Scripts/codec-bench.py
// runs it beside the Python `ocpp` package on the same frame.

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

/// One frame through the whole codec; returns the encoded frame's length so the work cannot be optimized away.
@inline(never)
func codecRoundTrip(_ bytes: [UInt8]) throws -> Int {
    guard case .call(let messageId, _, let payload) = try RPCMessage.parse(utf8: bytes) else { return 0 }
    let request = try TransactionEventRequest(validating: payload)
    return request.call(messageId: messageId).serializedBytes().count
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
    print("{\"swift_frames_per_s\": \(Int(perSecond.rounded())), \"us_per_frame\": \(format(1e6 / perSecond, decimals: 2)), "
        + "\"swift_frames_per_cpu_s\": \(Int(perCPUSecond.rounded())), \"check\": \(sink & 1)}")
}

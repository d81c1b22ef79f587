import OCPPMessages
import Testing

/// Deterministic xorshift generator so failures are reproducible.
struct XorShift {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}

@Suite struct FuzzTests {
    /// Byte-level corruption of real frames: parsing, validation and decoding must only ever throw.
    @Test func corruptedFramesNeverCrash() {
        var rng = XorShift(state: 0x2545_F491_4F6C_DD1D)
        let noise = Array("[]{}\",:0123456789.-eE\\ntruefalsenull é".utf8)
        var parsed = 0
        for instance in syntheticInstances {
            let base = Array(#"[2,"m-1","X",\#(instance.minimal)]"#.utf8)
            for _ in 0..<25 {
                var bytes = base
                for _ in 0...rng.below(3) {
                    let i = rng.below(bytes.count)
                    switch rng.below(3) {
                    case 0: bytes[i] = noise[rng.below(noise.count)]
                    case 1: bytes.remove(at: i)
                    default: bytes.insert(noise[rng.below(noise.count)], at: i)
                    }
                }
                let text = String(decoding: bytes, as: UTF8.self)
                guard case .call(_, _, let payload)? = try? RPCMessage.parse(text) else { continue }
                parsed += 1
                _ = try? SchemaValidator.validate(payload, against: instance.type.schema)
                _ = try? instance.type.init(json: payload)
            }
        }
        #expect(parsed > 0)
    }

    /// Structural mutation: a value of the wrong shape anywhere is an error, never a crash, for every type.
    @Test func arbitraryValuesNeverCrashDecoders() {
        let values: [JSONValue] = [.null, .bool(true), .int(-1), .int(Int64.max), .double(1e300), .double(-0.5), .string(""),
            .array([]), .array([.null]), .object(JSONObject()), ["customData": ["vendorId": 1]], ["evse": [[:]]]]
        for instance in syntheticInstances {
            for v in values {
                _ = try? SchemaValidator.validate(v, against: instance.type.schema)
                _ = try? instance.type.init(json: v)
                _ = try? instance.type.init(validating: v)
            }
        }
    }
}

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

/// The codes a frame that is not acceptable OCPP-J may be answered with (RPCMessage.parse's table).
let frameErrorCodes: Set<RPCErrorCode> = [.rpcFrameworkError, .messageTypeNotSupported, .protocolError, .formatViolation]

/// `Payload.selfCheck` as (accepted, what went wrong).
func checkOutcome<Payload: OCPPPayload>(_ type: Payload.Type, _ payload: JSONValue) -> (accepted: Bool, failure: String?) {
    do {
        return (try Payload.selfCheck(payload) == .accepted, nil)
    } catch {
        return (false, error.description)
    }
}

@Suite struct FuzzTests {
    /// Byte-level corruption of real frames: the frame is refused with a frame code, or its payload is refused with
    /// a payload code, or it is accepted and round-trips.
    @Test func corruptedFramesAreRefusedWithAPart4CodeOrRoundTrip() {
        var rng = XorShift(state: 0x2545_F491_4F6C_DD1D)
        let noise = Array("[]{}\",:0123456789.-eE\\ntruefalsenull é".utf8)
        var (refusedFrames, refusedPayloads, accepted) = (0, 0, 0)
        for instance in syntheticInstances {
            for text in [instance.minimal, instance.maximal] {
                let base = Array(#"[2,"m-1","X",\#(text)]"#.utf8)
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
                    let frame = String(decoding: bytes, as: UTF8.self)
                    // The byte path (RPCFrame) must agree with the tree path on every corrupted frame.
                    do {
                        _ = try instance.type.selfCheck(frame: bytes)
                    } catch {
                        Issue.record("\(instance.name): \(error)")
                    }
                    let payload: JSONValue
                    do {
                        guard case .call(_, _, let p) = try RPCMessage.parse(frame) else {
                            Issue.record("a corrupted CALL parsed as another frame type: \(frame.prefix(200))")
                            continue
                        }
                        payload = p
                    } catch {
                        #expect(frameErrorCodes.contains(error.code), "\(error.code) for \(frame.prefix(200))")
                        refusedFrames += 1
                        continue
                    }
                    let (ok, failure) = checkOutcome(instance.type, payload)
                    #expect(failure == nil, "\(instance.name): \(failure ?? "") in \(frame.prefix(300))")
                    if ok { accepted += 1 } else { refusedPayloads += 1 }
                }
            }
        }
        // The corruption must exercise all three outcomes, or the test has stopped testing anything.
        #expect(refusedFrames > 100)
        #expect(refusedPayloads > 100)
        #expect(accepted > 10)
    }

    /// Structural mutation: any JSON value at the root or in place of a member is refused with a payload code, or
    /// accepted and round-trips.
    @Test func arbitraryValuesAreRefusedWithAPart4CodeOrRoundTrip() throws {
        let values: [JSONValue] = [.null, .bool(true), .int(-1), .int(Int64.max), .int(Int64(Int32.max) + 1), .double(1e300),
            .double(-0.5), .double(5.0), .string(""), .string("2024-02-29T00:00:00Z"), .array([]), .array([.null]),
            .object(JSONObject()), ["customData": ["vendorId": 1]], ["evse": [[:]]], ["vendorId": "v", "x": [1, "y"]]]
        var (refused, accepted) = (0, 0)
        for instance in syntheticInstances {
            // At the root: a non-object is FormatViolation (Part 4 §4.1.5).
            for v in values where v.objectValue == nil {
                #expect(throws: OCPPValidationError.self) { try instance.type.init(validating: v) }
                do {
                    _ = try instance.type.init(validating: v)
                } catch {
                    #expect(error.code == .formatViolation, "\(instance.name) root \(v): \(error)")
                }
            }
            // In place of each member of the maximal instance.
            guard case .object(let object) = try JSONValue.parse(instance.maximal) else { continue }
            for key in object.keys {
                for v in values {
                    var mutated = object
                    mutated[key] = v
                    let (ok, failure) = checkOutcome(instance.type, .object(mutated))
                    #expect(failure == nil, "\(instance.name).\(key) = \(v): \(failure ?? "")")
                    if ok { accepted += 1 } else { refused += 1 }
                }
            }
        }
        #expect(refused > 1000)
        #expect(accepted > 10)
    }
}

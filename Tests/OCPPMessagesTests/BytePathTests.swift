import OCPPMessages
import Testing

/// The byte path (RPCFrame, the generated `init(bytes:)` / `writeJSON`) against the tree path (JSONValue,
/// SchemaValidator, `init(json:)` / `toJSON`): `selfCheck(frame:)` fails unless both give the same verdict, the same
/// error, equal values and the same bytes.
@Suite struct BytePathTests {
    func frame(_ instance: SyntheticInstance, _ payload: String) -> [UInt8] {
        let isRequest = instance.name.hasSuffix("Request")
        let action = isRequest ? String(instance.name.dropLast("Request".count)) : ""
        return Array((isRequest ? "[2,\"m-1\",\"\(action)\",\(payload)]" : "[3,\"m-1\",\(payload)]").utf8)
    }

    func outcome(_ type: any OCPPPayload.Type, _ bytes: [UInt8]) -> FrameOutcome? {
        do {
            return try type.selfCheck(frame: bytes)
        } catch {
            Issue.record("\(error)")
            return nil
        }
    }

    @Test(arguments: syntheticInstances)
    func bothPathsAcceptEverySyntheticInstance(_ instance: SyntheticInstance) {
        for payload in [instance.minimal, instance.maximal] {
            #expect(outcome(instance.type, frame(instance, payload)) == .accepted, "\(instance.name): \(payload.prefix(200))")
            // The same text with whitespace wherever JSON allows it.
            var spaced = ""
            var inString = false
            var escaped = false
            for c in payload {
                spaced.append(c)
                if inString {
                    if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                } else if c == "\"" {
                    inString = true
                } else if ",:[{".contains(c) {
                    spaced.append(" \n\t")
                }
            }
            #expect(outcome(instance.type, frame(instance, " \(spaced)\r\n")) == .accepted, "\(instance.name): \(spaced.prefix(200))")
        }
    }

    /// The byte path writes what the tree path writes, for every synthetic instance.
    @Test(arguments: syntheticInstances)
    func writeJSONWritesTheTreePathsBytes(_ instance: SyntheticInstance) throws {
        for payload in [instance.minimal, instance.maximal] {
            let value = try instance.type.init(validating: JSONValue.parse(payload))
            #expect(value.jsonBytes() == value.toJSON().serializedBytes(), "\(instance.name)")
        }
    }

    static let transactionEvent = #"{"eventType":"Updated","timestamp":"2026-11-23T19:44:20.123Z","triggerReason":"MeterValuePeriodic","seqNo":17,"transactionInfo":{"transactionId":"tx-1"},"meterValue":[{"timestamp":"2026-11-23T19:44:20Z","sampledValue":[{"value":1234.5,"unitOfMeasure":{"unit":"Wh"}}]}]}"#

    /// Edge cases of the byte path's reading: forms it reads itself, forms it hands to the tree path, and
    /// refusals. Each must get the tree path's verdict (checked by `selfCheck(frame:)`); the expected verdict is
    /// spelled out too, so a change on both sides at once is noticed.
    @Test(arguments: [
        (#""seqNo":17"#, #""seqNo":17.0"#, "accepted"),  // an integer written as a number with a zero fraction
        (#""seqNo":17"#, #""seqNo":1.7e1"#, "accepted"),
        (#""seqNo":17"#, #""seqNo":-0"#, "accepted"),
        (#""seqNo":17"#, #""seqNo":9223372036854775807"#, "accepted"),
        (#""seqNo":17"#, #""seqNo":9223372036854775808"#, "TypeConstraintViolation"),
        (#""seqNo":17"#, #""seqNo":17.5"#, "TypeConstraintViolation"),
        (#""seqNo":17"#, #""seqNo":"17""#, "TypeConstraintViolation"),
        (#""seqNo":17"#, #""seqNo":null"#, "TypeConstraintViolation"),
        (#""seqNo":17"#, #""seqNo":017"#, "RpcFrameworkError"),
        (#""seqNo":17"#, #""seqNo":1e400"#, "RpcFrameworkError"),
        (#""seqNo":17"#, #""seqNo":17,"seqNo":18"#, "RpcFrameworkError"),  // duplicate key
        (#""seqNo":17"#, #""seqNo":17,"extra":{"seqNo":1,"seqNo":2}"#, "RpcFrameworkError"),
        (#""seqNo":17"#, #""seqNo":17,"extra":1"#, "FormatViolation"),
        (#""seqNo":17"#, #""seqN\u006f":17"#, "accepted"),  // an escaped key
        (#""seqNo":17,"#, "", "OccurrenceConstraintViolation"),
        (#""Updated""#, #""Upd\u0061ted""#, "accepted"),  // an escaped enum value
        (#""Updated""#, #""Updated ""#, "PropertyConstraintViolation"),
        (#""Updated""#, #""Update""#, "PropertyConstraintViolation"),
        (#""2026-11-23T19:44:20.123Z""#, #""2026-11-23T19:44:20.123+01:00""#, "accepted"),
        (#""2026-11-23T19:44:20.123Z""#, #""2026-11-23t19:44:20z""#, "accepted"),
        (#""2026-11-23T19:44:20.123Z""#, #""2026\u002d11-23T19:44:20Z""#, "accepted"),
        (#""2026-11-23T19:44:20.123Z""#, #""2026-02-29T19:44:20Z""#, "PropertyConstraintViolation"),
        (#""2026-11-23T19:44:20.123Z""#, #""2026-11-23 19:44:20Z""#, "PropertyConstraintViolation"),
        (#""tx-1""#, #""tx\n\"1\"\/\u00e9\ud83d\ude00""#, "accepted"),  // escapes in a string member
        (#""tx-1""#, #""\#(String(repeating: "é", count: 36))""#, "accepted"),  // 36 characters, 72 bytes
        (#""tx-1""#, #""\#(String(repeating: "é", count: 37))""#, "PropertyConstraintViolation"),  // 37
        (#""tx-1""#, #""\ud800""#, "RpcFrameworkError"),  // a lone surrogate
        (#""tx-1""#, "\"tx\u{01}\"", "RpcFrameworkError"),  // an unescaped control character
        (#"1234.5"#, #"1234.50000000000000000001"#, "accepted"),
        (#"1234.5"#, #"-0.0"#, "accepted"),
        (#"1234.5"#, #"1E+3"#, "accepted"),
        (#"1234.5"#, #"123456789012345678"#, "accepted"),
        (#"1234.5"#, #"0.1e-330"#, "accepted"),
        (#"1234.5"#, #"true"#, "TypeConstraintViolation"),
        (#"[{"value""#, #"[ {"value""#, "accepted"),
        (#""sampledValue":[{"value":1234.5,"unitOfMeasure":{"unit":"Wh"}}]"#, #""sampledValue":[]"#, "OccurrenceConstraintViolation"),
        (#""unitOfMeasure":{"unit":"Wh"}"#, #""unitOfMeasure":{"unit":"Wh","multiplier":2}"#, "accepted"),
        (#""unitOfMeasure":{"unit":"Wh"}"#, #""unitOfMeasure":{"unit":"Wh","customData":{"vendorId":"v","x":[1,{"y":null}],"z":"\u00e9"}}"#, "accepted"),
        (#""unitOfMeasure":{"unit":"Wh"}"#, #""unitOfMeasure":{"unit":"Wh","customData":{"vendorId":"v","x":1,"x":2}}"#, "RpcFrameworkError"),
        (#""unitOfMeasure":{"unit":"Wh"}"#, #""unitOfMeasure":{"unit":"Wh","customData":{"x":1}}"#, "OccurrenceConstraintViolation"),
        (#""unitOfMeasure":{"unit":"Wh"}"#, #""unitOfMeasure":{"unit":"Wh","customData":{"vendorId":"v","deep":\#(String(repeating: "[", count: 60))\#(String(repeating: "]", count: 60))}}"#, "RpcFrameworkError"),
        (#""unitOfMeasure":{"unit":"Wh"}"#, #""unitOfMeasure":{"unit":"Wh","customData":{"vendorId":"v","deep":\#(String(repeating: "[", count: 55))\#(String(repeating: "]", count: 55))}}"#, "accepted"),
    ])
    func payloadEdgeCases(_ original: String, _ replacement: String, _ expected: String) throws {
        let payload = Self.transactionEvent.replacingFirst(original, with: replacement)
        #expect(payload != Self.transactionEvent || original == replacement)
        let bytes = Array("[2,\"m-1\",\"TransactionEvent\",\(payload)]".utf8)
        let result = try TransactionEventRequest.selfCheck(frame: bytes)
        switch result {
        case .accepted: #expect(expected == "accepted", "\(payload)")
        case .refused(let error): #expect(error.code.rawValue == expected, "\(payload): \(error)")
        case .refusedFrame(let error): #expect(error.code.rawValue == expected, "\(payload): \(error)")
        }
    }

    /// Envelopes the byte path reads itself and ones it hands to `RPCMessage.parse`.
    @Test(arguments: [
        (#"[2,"m-1","TransactionEvent",P]"#, "accepted"),
        (" \n[ 2 , \"m-1\" ,\t\"TransactionEvent\" , P ] \n", "accepted"),
        (#"[2,"m\u002d1","TransactionEvent",P]"#, "accepted"),
        (#"[2,"123456789012345678901234567890123456","TransactionEvent",P]"#, "accepted"),
        (#"[2,"1234567890123456789012345678901234567","TransactionEvent",P]"#, "RpcFrameworkError"),
        (#"[2,"\#(String(repeating: "é", count: 36))","TransactionEvent",P]"#, "accepted"),
        (#"[2,"\#(String(repeating: "é", count: 37))","TransactionEvent",P]"#, "RpcFrameworkError"),
        (#"[2,"m-1","TransactionEvent",P,1]"#, "ProtocolError"),
        (#"[2,"m-1","TransactionEvent",P]]"#, "RpcFrameworkError"),
        (#"[2,"m-1","TransactionEvent",P] x"#, "RpcFrameworkError"),
        (#"[2,"m-1","TransactionEvent",P"#, "RpcFrameworkError"),
        (#"[2.0,"m-1","TransactionEvent",P]"#, "RpcFrameworkError"),
        (#"[5,"m-1","TransactionEvent",P]"#, "MessageTypeNotSupported"),
        (#"[2,"m-1",7,P]"#, "ProtocolError"),
        (#"[2,"m-1","TransactionEvent",[P]]"#, "FormatViolation"),
    ])
    func envelopeEdgeCases(_ template: String, _ expected: String) throws {
        let bytes = Array(template.replacingFirst("P", with: Self.transactionEvent).utf8)
        switch try TransactionEventRequest.selfCheck(frame: bytes) {
        case .accepted: #expect(expected == "accepted", "\(template)")
        case .refused(let error): #expect(error.code.rawValue == expected, "\(template): \(error)")
        case .refusedFrame(let error): #expect(error.code.rawValue == expected, "\(template): \(error)")
        }
    }

    @Test func invalidUTF8IsAFrameError() throws {
        var bytes = Array("[2,\"m-1\",\"TransactionEvent\",\(Self.transactionEvent)]".utf8)
        let i = bytes.firstIndex(of: UInt8(ascii: "x"))!  // in "tx-1"
        bytes[i] = 0xC0
        #expect(try TransactionEventRequest.selfCheck(frame: bytes) == .refusedFrame(
            RPCFrameError(messageId: "-1", code: .rpcFrameworkError, description: "Frame is not valid JSON: JSON parse error at byte \(i): invalid UTF-8")))
    }

    @Test func callFrameWritesTheTreePathsFrame() throws {
        let request = try TransactionEventRequest(validating: JSONValue.parse(Self.transactionEvent))
        #expect(request.callFrame(messageId: "id \"1\"") == request.call(messageId: "id \"1\"").serializedBytes())
        let response = TransactionEventResponse(totalCost: 1.25, chargingPriority: -9)
        #expect(response.callResultFrame(messageId: "r") == response.callResult(messageId: "r").serializedBytes())
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        replacing(target, with: replacement, maxReplacements: 1)
    }
}

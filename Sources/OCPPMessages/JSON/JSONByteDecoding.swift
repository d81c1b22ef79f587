// The byte path of the generated decoders: each generated type reads itself straight from the frame's UTF-8 bytes
// and checks its schema on the way (required members, types, enums, maxLength in code points, minimum/maximum,
// additionalProperties false, minItems/maxItems, RFC 3339 date-times), so a valid payload costs one pass over its
// bytes and no JSONValue tree.
//
// The byte path only ever accepts. Anything it does not accept (a schema violation, a JSON error anywhere in the
// frame, or merely input it does not handle itself: escapes in keys, enum values or date-times, integers written
// as `5.0`) makes it give up with `JSONBytesMismatch`, and the caller then runs the tree path (`JSONValue.parse`,
// `SchemaValidator`, `init(json:)`) on the same bytes. That path alone decides every refusal, so the verdicts and
// CALLERROR codes (Part 4 §4.3) are the tree path's by construction; the byte path must only never accept what
// the tree path refuses, and decode to the same value when both accept (the differential test and
// `OCPPPayload.selfCheck` compare the two).

/// The byte path cannot accept the input; the tree path decides.
struct JSONBytesMismatch: Error {}

/// A JSON string's bytes between the quotes, when it has no escapes.
struct RawJSONString {
    let bytes: UnsafeBufferPointer<UInt8>

    /// Whether the bytes equal `literal` (a generated member name or enum value).
    @inline(__always)
    func equals(_ literal: StaticString) -> Bool {
        guard literal.utf8CodeUnitCount == bytes.count else { return false }
        let p = literal.utf8Start
        for i in 0..<bytes.count where bytes[i] != p[i] { return false }
        return true
    }
}

extension JSONByteParser {
    typealias Mismatch = JSONBytesMismatch

    @inline(__always)
    mutating func expectByte(_ c: UInt8) throws(Mismatch) {
        guard index < bytes.count, bytes[index] == c else { throw Mismatch() }
        index += 1
    }

    /// Enters an object or array: `open` and the whitespace after it. Returns true if it is empty (then also
    /// consumed its closing byte). Nesting counts as in `parseValue`, so `any` members deeper down see the same
    /// depth limit.
    @inline(__always)
    mutating func enter(_ open: UInt8, close: UInt8) throws(Mismatch) -> Bool {
        try expectByte(open)
        depth += 1
        if depth > maxDepth { throw Mismatch() }
        skipWhitespace()
        if index < bytes.count, bytes[index] == close {
            index += 1
            depth -= 1
            return true
        }
        return false
    }

    /// After a member or element: true at `,` (another follows), false at `close` (the container ended).
    @inline(__always)
    mutating func next(close: UInt8) throws(Mismatch) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw Mismatch() }
        let c = bytes[index]
        index += 1
        if c == UInt8(ascii: ",") {
            skipWhitespace()
            return true
        }
        if c == close {
            depth -= 1
            return false
        }
        throw Mismatch()
    }

    /// A string without escapes: its bytes (validated as UTF-8) and its length in Unicode code points. Throws for
    /// escapes too; `readString` handles those.
    @inline(__always)
    mutating func readRawString() throws(Mismatch) -> (RawJSONString, codePoints: Int) {
        try expectByte(UInt8(ascii: "\""))
        let start = index
        var codePoints = 0
        while index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: "\"") {
                let raw = RawJSONString(bytes: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                index += 1
                return (raw, codePoints)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { throw Mismatch() }
            if c < 0x80 {
                index += 1
            } else {
                guard let length = try? utf8SequenceLength() else { throw Mismatch() }
                index += length
            }
            codePoints += 1
        }
        throw Mismatch()
    }

    /// A member name and the `:` after it.
    @inline(__always)
    mutating func readKey() throws(Mismatch) -> RawJSONString {
        let (key, _) = try readRawString()
        skipWhitespace()
        try expectByte(UInt8(ascii: ":"))
        skipWhitespace()
        return key
    }

    /// A string member, with escapes decoded; nil maxLength = unbounded.
    mutating func readString(maxLength: Int?) throws(Mismatch) -> String {
        let start = index
        if let raw = try? readRawString() {
            if let maxLength, raw.codePoints > maxLength { throw Mismatch() }
            return String(decoding: raw.0.bytes, as: UTF8.self)
        }
        index = start
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let s = try? parseString() else { throw Mismatch() }
        if let maxLength, s.unicodeScalars.count > maxLength { throw Mismatch() }
        return s
    }

    /// An enum value's bytes (no escapes); the generated enum matches them.
    @inline(__always)
    mutating func readEnumValue() throws(Mismatch) -> RawJSONString {
        try readRawString().0
    }

    mutating func readDateTime() throws(Mismatch) -> OCPPDateTime {
        let (raw, _) = try readRawString()
        guard let d = OCPPDateTime(rfc3339: raw.bytes) else { throw Mismatch() }
        return d
    }

    /// An integer written without fraction or exponent that fits in Int64, within the schema's bounds (compared
    /// as Doubles, as `SchemaValidator.checkBounds` does).
    mutating func readInt(minimum: Double?, maximum: Double?) throws(Mismatch) -> Int {
        let start = index
        guard (try? scanNumber()) == true, let v = JSONByteParser.int64(UnsafeBufferPointer(rebasing: bytes[start..<index])) else {
            throw Mismatch()
        }
        let n = Double(v)
        if let minimum, n < minimum { throw Mismatch() }
        if let maximum, n > maximum { throw Mismatch() }
        return Int(v)
    }

    mutating func readDouble(minimum: Double?, maximum: Double?) throws(Mismatch) -> Double {
        let start = index
        guard let isInteger = try? scanNumber() else { throw Mismatch() }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
        let n: Double
        if isInteger, let v = JSONByteParser.int64(text) {
            n = Double(v)
        } else {
            guard let d = JSONByteParser.double(text) else { throw Mismatch() }
            n = d
        }
        if let minimum, n < minimum { throw Mismatch() }
        if let maximum, n > maximum { throw Mismatch() }
        return n
    }

    mutating func readBool() throws(Mismatch) -> Bool {
        guard index < bytes.count else { throw Mismatch() }
        switch bytes[index] {
        case UInt8(ascii: "t"):
            guard (try? expectLiteral("true")) != nil else { throw Mismatch() }
            return true
        case UInt8(ascii: "f"):
            guard (try? expectLiteral("false")) != nil else { throw Mismatch() }
            return false
        default: throw Mismatch()
        }
    }

    /// An untyped member (`any`): whatever JSON value is there.
    mutating func readAny() throws(Mismatch) -> JSONValue {
        guard let v = try? parseValue() else { throw Mismatch() }
        return v
    }

    /// An array whose elements `element` reads, with `minItems` / `maxItems`.
    @inline(__always)
    mutating func readArray<T>(
        minItems: Int?, maxItems: Int?, _ element: (inout JSONByteParser) throws(Mismatch) -> T
    ) throws(Mismatch) -> [T] {
        var elements: [T] = []
        if try !enter(UInt8(ascii: "["), close: UInt8(ascii: "]")) {
            elements.reserveCapacity(4)  // one allocation for the usual few elements instead of growing 1, 2, 4
            repeat {
                elements.append(try element(&self))
            } while try next(close: UInt8(ascii: "]"))
        }
        if let minItems, elements.count < minItems { throw Mismatch() }
        if let maxItems, elements.count > maxItems { throw Mismatch() }
        return elements
    }
}

extension OCPPPayload {
    /// The byte path from outside: reads the payload object at `start` of `bytes`; nil when the byte path does not
    /// accept it. `depth` is the nesting of the containers around the payload (1 inside a frame's array).
    static func decodeBytes(
        _ bytes: UnsafeBufferPointer<UInt8>, at start: Int, depth: Int,
        _ read: (inout JSONByteParser) throws(JSONBytesMismatch) -> Self
    ) -> (value: Self, end: Int)? {
        var parser = JSONByteParser(bytes: bytes, maxDepth: JSONValue.defaultMaxDepth)
        parser.index = start
        parser.depth = depth
        guard let value = try? read(&parser) else { return nil }
        return (value, parser.index)
    }
}

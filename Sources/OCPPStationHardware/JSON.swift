// A small JSON reader and writer for board files, the sim board's state file and the sim control socket.
// Strict (RFC 8259), position-aware (line and column in errors), bounded nesting depth, never traps on bad input.

/// A parsed JSON value. Objects keep their members in document order.
enum HWJSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// `integral` is true when the literal had no fraction and no exponent (`3`, not `3.0` or `3e0`).
    case number(Double, integral: Bool)
    case string(String)
    case array([HWJSONValue])
    case object(HWJSONObject)

    /// "a string", "an object", ... for error messages.
    var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    static func int(_ value: Int) -> HWJSONValue { .number(Double(value), integral: true) }
    static func double(_ value: Double) -> HWJSONValue { .number(value, integral: false) }
}

/// A JSON object: members in document order, no duplicate keys.
struct HWJSONObject: Sendable, Equatable {
    private(set) var members: [(key: String, value: HWJSONValue)] = []

    init() {}

    init(_ members: KeyValuePairs<String, HWJSONValue>) {
        for (key, value) in members { self[key] = value }
    }

    var keys: [String] { members.map(\.key) }

    subscript(key: String) -> HWJSONValue? {
        get { members.first(where: { $0.key == key })?.value }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    static func == (lhs: HWJSONObject, rhs: HWJSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

/// Why a text is not valid JSON, and where (1-based line and column; column counts bytes).
struct HWJSONSyntaxError: Error, Equatable, CustomStringConvertible {
    var line: Int
    var column: Int
    var reason: String
    var description: String { "invalid JSON at line \(line), column \(column): \(reason)" }
}

// MARK: - Reading

struct HWJSONParser {
    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses exactly one JSON value (surrounding whitespace allowed).
    static func parse(_ bytes: [UInt8]) throws(HWJSONSyntaxError) -> HWJSONValue {
        var parser = HWJSONParser(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }  // tolerate a UTF-8 byte order mark
        parser.skipWhitespace()
        if parser.index >= bytes.count { throw parser.error("the text is empty", at: parser.index) }
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw parser.error("unexpected \(parser.describe(parser.index)) after the end of the JSON value", at: parser.index)
        }
        return value
    }

    static func parse(_ text: String) throws(HWJSONSyntaxError) -> HWJSONValue {
        try parse(Array(text.utf8))
    }

    private func error(_ reason: String, at offset: Int) -> HWJSONSyntaxError {
        var line = 1
        var lineStart = 0
        var i = 0
        let end = min(offset, bytes.count)
        while i < end {
            if bytes[i] == UInt8(ascii: "\n") {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        return HWJSONSyntaxError(line: line, column: offset - lineStart + 1, reason: reason)
    }

    private func describe(_ offset: Int) -> String {
        guard offset < bytes.count else { return "end of text" }
        let byte = bytes[offset]
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        if byte == 0x20 { return "space" }
        if byte == 0x0A { return "line break" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(HWJSONSyntaxError) -> HWJSONValue {
        guard index < bytes.count else { throw error("unexpected end of text, expected a value", at: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected \(describe(index)), expected a value", at: index)
        }
    }

    private mutating func expectLiteral(_ literal: String) throws(HWJSONSyntaxError) {
        let start = index
        for byte in literal.utf8 {
            guard index < bytes.count, bytes[index] == byte else {
                throw error("unexpected \(describe(start)), expected a value", at: start)
            }
            index += 1
        }
    }

    private mutating func enter() throws(HWJSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth { throw error("nesting deeper than \(Self.maximumDepth) levels", at: index) }
    }

    private mutating func parseObject() throws(HWJSONSyntaxError) -> HWJSONValue {
        try enter()
        index += 1  // {
        var object = HWJSONObject()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error("unexpected \(describe(index)), expected a string key", at: index)
            }
            let keyStart = index
            let key = try parseString()
            if object[key] != nil { throw error("duplicate key \(jsonQuoted(key))", at: keyStart) }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("unexpected \(describe(index)), expected ':' after key \(jsonQuoted(key))", at: index)
            }
            index += 1
            skipWhitespace()
            object[key] = try parseValue()
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of text, expected ',' or '}'", at: index) }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return .object(object)
            }
            throw error("unexpected \(describe(index)), expected ',' or '}'", at: index)
        }
    }

    private mutating func parseArray() throws(HWJSONSyntaxError) -> HWJSONValue {
        try enter()
        index += 1  // [
        var elements: [HWJSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of text, expected ',' or ']'", at: index) }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return .array(elements)
            }
            throw error("unexpected \(describe(index)), expected ',' or ']'", at: index)
        }
    }

    private mutating func parseHex4() throws(HWJSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("incomplete \\u escape", at: index) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape", at: index)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseString() throws(HWJSONSyntaxError) -> String {
        let start = index
        index += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard index < bytes.count else { throw error("unterminated string", at: start) }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let string = String(validating: utf8, as: UTF8.self) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                return string
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw error("unterminated string", at: start) }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): utf8.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): utf8.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): utf8.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    let escapeStart = index - 2
                    var scalarValue = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalarValue) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                        else { throw error("unpaired surrogate in \\u escape", at: escapeStart) }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw error("unpaired surrogate in \\u escape", at: escapeStart)
                        }
                        scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalarValue) {
                        throw error("unpaired surrogate in \\u escape", at: escapeStart)
                    }
                    guard let scalar = Unicode.Scalar(scalarValue) else {
                        throw error("invalid \\u escape", at: escapeStart)
                    }
                    utf8.append(contentsOf: String(Character(scalar)).utf8)
                default:
                    throw error("invalid escape sequence in string", at: index - 2)
                }
            case 0x00..<0x20:
                throw error("control character (byte 0x\(String(byte, radix: 16, uppercase: true))) in string", at: index)
            default:
                utf8.append(byte)
                index += 1
            }
        }
    }

    private mutating func parseNumber() throws(HWJSONSyntaxError) -> HWJSONValue {
        let start = index
        var integral = true
        func isDigit(_ offset: Int) -> Bool {
            offset < bytes.count && bytes[offset] >= UInt8(ascii: "0") && bytes[offset] <= UInt8(ascii: "9")
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { throw error("invalid number", at: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) { throw error("invalid number (leading zero)", at: start) }
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard isDigit(index) else { throw error("invalid number (no digits after '.')", at: start) }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            integral = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw error("invalid number (no digits in exponent)", at: start) }
            while isDigit(index) { index += 1 }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw error("number \(text) is out of range", at: start) }
        return .number(value, integral: integral)
    }
}

// MARK: - Writing

/// `s` as a JSON string literal (quotes included). Also used to quote values in one-line error messages.
func jsonQuoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\u{2028}": out += "\\u2028"
        case "\u{2029}": out += "\\u2029"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16, uppercase: false)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    out += "\""
    return out
}

/// A number as compact JSON: integral values without a fraction (`7400`, not `7400.0`); non-finite values as `null`.
func jsonNumber(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    if value == value.rounded(), abs(value) < 1e15 {
        return String(Int64(value))
    }
    return "\(value)"
}

extension HWJSONValue {
    /// Compact JSON (no whitespace, no line breaks).
    var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n, _): out += jsonNumber(n)
        case .string(let s): out += jsonQuoted(s)
        case .array(let elements):
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += "," }
                element.write(to: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (i, member) in object.members.enumerated() {
                if i > 0 { out += "," }
                out += jsonQuoted(member.key)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }
}

// Board files, the sim board's state file and the sim control socket in OCPPMessages' JSON (`JSONValue`, one parser
// and one writer in the package), with what a person editing a file needs: the line and column of a syntax error,
// and numbers written compactly (`7400`, not `7400.0`).
internal import OCPPMessages

extension JSONValue {
    /// "a string", "an object", ... for error messages.
    var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// An integer member.
    static func integer(_ value: Int) -> JSONValue { .int(Int64(value)) }

    /// A number written compactly: integral values as integers (`7400`, not `7400.0`), non-finite ones as `null`.
    static func number(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        if value == value.rounded(), abs(value) < 1e15 { return .int(Int64(value)) }
        return .double(value)
    }

    /// The value as a Double when it is a number.
    var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
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

/// Board files, the sim board's state file and its control requests are read by the package's one JSON parser
/// (OCPPMessages' `JSONParser`); this adds what a person editing a file needs: the line and column of an error, a
/// tolerated byte order mark, and numbers that remember whether they were written as integers.
enum HWJSONParser {
    /// Parses exactly one JSON value (surrounding whitespace allowed).
    static func parse(_ bytes: [UInt8]) throws(HWJSONSyntaxError) -> JSONValue {
        let bom = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0  // tolerate a UTF-8 byte order mark
        if bytes[bom...].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            throw error(bytes, "the text is empty", at: bytes.count)
        }
        do {
            return try JSONParser.parse(Array(bytes[bom...]))
        } catch {
            throw Self.error(bytes, error.reason, at: bom + error.offset)
        }
    }

    static func parse(_ text: String) throws(HWJSONSyntaxError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// The error at byte `offset`, as a 1-based line and column.
    private static func error(_ bytes: [UInt8], _ reason: String, at offset: Int) -> HWJSONSyntaxError {
        let before = bytes[..<min(offset, bytes.count)]
        let line = before.count { $0 == UInt8(ascii: "\n") } + 1
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        return HWJSONSyntaxError(line: line, column: offset - lineStart + 1, reason: reason)
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

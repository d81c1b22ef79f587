// The hardware side's JSON document model: values that remember integers, members in document order, compact
// writing (`7400`, not `7400.0`) for board files, the sim board's state file and the sim control socket. Parsing is
// OCPPMessages' JSONParser (one parser in the package), with line and column added to its errors.
internal import OCPPMessages

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

/// Board files, the sim board's state file and its control requests are read by the package's one JSON parser
/// (OCPPMessages' `JSONParser`); this adds what a person editing a file needs: the line and column of an error, a
/// tolerated byte order mark, and numbers that remember whether they were written as integers.
enum HWJSONParser {
    /// Parses exactly one JSON value (surrounding whitespace allowed).
    static func parse(_ bytes: [UInt8]) throws(HWJSONSyntaxError) -> HWJSONValue {
        let bom = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0  // tolerate a UTF-8 byte order mark
        if bytes[bom...].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            throw error(bytes, "the text is empty", at: bytes.count)
        }
        do {
            return HWJSONValue(try JSONParser.parse(Array(bytes[bom...])))
        } catch {
            throw Self.error(bytes, error.reason, at: bom + error.offset)
        }
    }

    static func parse(_ text: String) throws(HWJSONSyntaxError) -> HWJSONValue {
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

extension HWJSONValue {
    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(Double(i), integral: true)
        case .double(let d): self = .number(d, integral: false)
        case .string(let s): self = .string(s)
        case .array(let elements): self = .array(elements.map(HWJSONValue.init))
        case .object(let object):
            var members = HWJSONObject()
            for (key, member) in object.pairs { members[key] = HWJSONValue(member) }
            self = .object(members)
        }
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

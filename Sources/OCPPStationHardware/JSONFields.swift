// Strict field access on parsed JSON, with the field path (`evses[1].connectors[0].type`) in every error.
internal import OCPPMessages

/// A field that is missing, of the wrong type, not allowed, or has a bad value.
struct HWJSONFieldError: Error, Equatable {
    /// The field path, for example `evses[1].connectors[0].type`; empty for the top level.
    var field: String
    var reason: String
}

/// An object at a field path. An explicit `null` counts as absent for optional fields.
struct HWJSONFields {
    let path: String
    let object: JSONObject

    init(_ value: JSONValue, path: String) throws(HWJSONFieldError) {
        guard case .object(let object) = value else {
            throw HWJSONFieldError(
                field: path, reason: path.isEmpty ? "expected a JSON object at the top level, got \(value.kindDescription)" : "expected an object, got \(value.kindDescription)")
        }
        self.path = path
        self.object = object
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Every key must be one of `allowed` (a typo must not be silently ignored).
    func rejectUnknownKeys(allowed: [String]) throws(HWJSONFieldError) {
        for key in object.keys where !allowed.contains(key) {
            throw HWJSONFieldError(
                field: fieldPath(key), reason: "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
        }
    }

    func value(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    func require(_ key: String) throws(HWJSONFieldError) -> JSONValue {
        guard let value = value(key) else { throw HWJSONFieldError(field: fieldPath(key), reason: "required field is missing") }
        return value
    }

    // Strings

    func string(_ key: String) throws(HWJSONFieldError) -> String {
        try Self.string(try require(key), path: fieldPath(key))
    }

    func optionalString(_ key: String) throws(HWJSONFieldError) -> String? {
        guard let value = value(key) else { return nil }
        return try Self.string(value, path: fieldPath(key))
    }

    static func string(_ value: JSONValue, path: String) throws(HWJSONFieldError) -> String {
        guard case .string(let s) = value else {
            throw HWJSONFieldError(field: path, reason: "expected a string, got \(value.kindDescription)")
        }
        return s
    }

    // Integers

    func int(_ key: String) throws(HWJSONFieldError) -> Int {
        try Self.int(try require(key), path: fieldPath(key))
    }

    func optionalInt(_ key: String) throws(HWJSONFieldError) -> Int? {
        guard let value = value(key) else { return nil }
        return try Self.int(value, path: fieldPath(key))
    }

    static func int(_ value: JSONValue, path: String) throws(HWJSONFieldError) -> Int {
        guard let n = value.number else {
            throw HWJSONFieldError(field: path, reason: "expected an integer, got \(value.kindDescription)")
        }
        guard case .int(let i) = value, abs(i) <= 9_007_199_254_740_992 else {
            throw HWJSONFieldError(field: path, reason: "expected an integer, got \(jsonNumber(n))")
        }
        return Int(i)
    }

    // Numbers

    func number(_ key: String) throws(HWJSONFieldError) -> Double {
        try Self.number(try require(key), path: fieldPath(key))
    }

    func optionalNumber(_ key: String) throws(HWJSONFieldError) -> Double? {
        guard let value = value(key) else { return nil }
        return try Self.number(value, path: fieldPath(key))
    }

    static func number(_ value: JSONValue, path: String) throws(HWJSONFieldError) -> Double {
        guard let n = value.number else {
            throw HWJSONFieldError(field: path, reason: "expected a number, got \(value.kindDescription)")
        }
        return n
    }

    // Booleans

    func bool(_ key: String) throws(HWJSONFieldError) -> Bool {
        try Self.bool(try require(key), path: fieldPath(key))
    }

    func optionalBool(_ key: String) throws(HWJSONFieldError) -> Bool? {
        guard let value = value(key) else { return nil }
        return try Self.bool(value, path: fieldPath(key))
    }

    static func bool(_ value: JSONValue, path: String) throws(HWJSONFieldError) -> Bool {
        guard case .bool(let b) = value else {
            throw HWJSONFieldError(field: path, reason: "expected true or false, got \(value.kindDescription)")
        }
        return b
    }

    // Arrays and objects

    func array(_ key: String) throws(HWJSONFieldError) -> [JSONValue] {
        try Self.array(try require(key), path: fieldPath(key))
    }

    func optionalArray(_ key: String) throws(HWJSONFieldError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        return try Self.array(value, path: fieldPath(key))
    }

    static func array(_ value: JSONValue, path: String) throws(HWJSONFieldError) -> [JSONValue] {
        guard case .array(let elements) = value else {
            throw HWJSONFieldError(field: path, reason: "expected an array, got \(value.kindDescription)")
        }
        return elements
    }

    func object(_ key: String) throws(HWJSONFieldError) -> HWJSONFields {
        try HWJSONFields(try require(key), path: fieldPath(key))
    }

    func optionalObject(_ key: String) throws(HWJSONFieldError) -> HWJSONFields? {
        guard let value = value(key) else { return nil }
        return try HWJSONFields(value, path: fieldPath(key))
    }

    /// `path[index]`.
    func elementPath(_ key: String, _ index: Int) -> String { "\(fieldPath(key))[\(index)]" }
}

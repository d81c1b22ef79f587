// Strict field access on parsed JSON, with the field path (`evses[1].connectors[0].type`) in every error.

/// A field that is missing, of the wrong type, not allowed, or has a bad value.
struct JSONFieldError: Error, Equatable {
    /// The field path, for example `evses[1].connectors[0].type`; empty for the top level.
    var field: String
    var reason: String
}

/// An object at a field path. An explicit `null` counts as absent for optional fields.
struct JSONFields {
    let path: String
    let object: JSONObject

    init(_ value: JSONValue, path: String) throws(JSONFieldError) {
        guard case .object(let object) = value else {
            throw JSONFieldError(
                field: path, reason: path.isEmpty ? "expected a JSON object at the top level, got \(value.kindDescription)" : "expected an object, got \(value.kindDescription)")
        }
        self.path = path
        self.object = object
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Every key must be one of `allowed` (a typo must not be silently ignored).
    func rejectUnknownKeys(allowed: [String]) throws(JSONFieldError) {
        for key in object.keys where !allowed.contains(key) {
            throw JSONFieldError(
                field: fieldPath(key), reason: "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
        }
    }

    func value(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    func require(_ key: String) throws(JSONFieldError) -> JSONValue {
        guard let value = value(key) else { throw JSONFieldError(field: fieldPath(key), reason: "required field is missing") }
        return value
    }

    // Strings

    func string(_ key: String) throws(JSONFieldError) -> String {
        try Self.string(try require(key), path: fieldPath(key))
    }

    func optionalString(_ key: String) throws(JSONFieldError) -> String? {
        guard let value = value(key) else { return nil }
        return try Self.string(value, path: fieldPath(key))
    }

    static func string(_ value: JSONValue, path: String) throws(JSONFieldError) -> String {
        guard case .string(let s) = value else {
            throw JSONFieldError(field: path, reason: "expected a string, got \(value.kindDescription)")
        }
        return s
    }

    // Integers

    func int(_ key: String) throws(JSONFieldError) -> Int {
        try Self.int(try require(key), path: fieldPath(key))
    }

    func optionalInt(_ key: String) throws(JSONFieldError) -> Int? {
        guard let value = value(key) else { return nil }
        return try Self.int(value, path: fieldPath(key))
    }

    static func int(_ value: JSONValue, path: String) throws(JSONFieldError) -> Int {
        guard case .number(let n, let integral) = value else {
            throw JSONFieldError(field: path, reason: "expected an integer, got \(value.kindDescription)")
        }
        guard integral, n == n.rounded(), abs(n) <= 9_007_199_254_740_992 else {
            throw JSONFieldError(field: path, reason: "expected an integer, got \(jsonNumber(n))")
        }
        return Int(n)
    }

    // Numbers

    func number(_ key: String) throws(JSONFieldError) -> Double {
        try Self.number(try require(key), path: fieldPath(key))
    }

    func optionalNumber(_ key: String) throws(JSONFieldError) -> Double? {
        guard let value = value(key) else { return nil }
        return try Self.number(value, path: fieldPath(key))
    }

    static func number(_ value: JSONValue, path: String) throws(JSONFieldError) -> Double {
        guard case .number(let n, _) = value else {
            throw JSONFieldError(field: path, reason: "expected a number, got \(value.kindDescription)")
        }
        return n
    }

    // Booleans

    func bool(_ key: String) throws(JSONFieldError) -> Bool {
        let value = try require(key)
        guard case .bool(let b) = value else {
            throw JSONFieldError(field: fieldPath(key), reason: "expected true or false, got \(value.kindDescription)")
        }
        return b
    }

    // Arrays and objects

    func array(_ key: String) throws(JSONFieldError) -> [JSONValue] {
        try Self.array(try require(key), path: fieldPath(key))
    }

    func optionalArray(_ key: String) throws(JSONFieldError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        return try Self.array(value, path: fieldPath(key))
    }

    static func array(_ value: JSONValue, path: String) throws(JSONFieldError) -> [JSONValue] {
        guard case .array(let elements) = value else {
            throw JSONFieldError(field: path, reason: "expected an array, got \(value.kindDescription)")
        }
        return elements
    }

    func object(_ key: String) throws(JSONFieldError) -> JSONFields {
        try JSONFields(try require(key), path: fieldPath(key))
    }

    func optionalObject(_ key: String) throws(JSONFieldError) -> JSONFields? {
        guard let value = value(key) else { return nil }
        return try JSONFields(value, path: fieldPath(key))
    }

    /// `path[index]`.
    func elementPath(_ key: String, _ index: Int) -> String { "\(fieldPath(key))[\(index)]" }
}

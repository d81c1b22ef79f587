// The protocols every generated message type conforms to, and the JSON plumbing the generated code uses.

/// A request or response payload of an OCPP 2.0.1 message.
public protocol OCPPPayload: Sendable, Hashable {
    /// Decodes a payload. Assumes the value was validated against `schema`, but never traps: a value that
    /// does not fit throws an `OCPPValidationError` (wrong types → TypeConstraintViolation, missing required
    /// members → OccurrenceConstraintViolation, unknown enum values and invalid date-times →
    /// PropertyConstraintViolation). Undeclared members are ignored and lengths are not checked here.
    init(json: JSONValue) throws(OCPPValidationError)
    /// The JSON object of this payload; nil optionals are left out (Part 4 §4.1.5).
    func toJSON() -> JSONValue
    /// The schema of this payload (from the OCA JSON schema of the message).
    static var schema: SchemaNode { get }
}

/// A request (the payload of a CALL).
public protocol OCPPRequest: OCPPPayload {
    associatedtype Response: OCPPResponse
    static var action: OCPPAction { get }
}

/// A response (the payload of a CALLRESULT).
public protocol OCPPResponse: OCPPPayload {}

extension OCPPPayload {
    /// Validates `json` against `Self.schema`, then decodes it.
    public init(validating json: JSONValue) throws(OCPPValidationError) {
        try SchemaValidator.validate(json, against: Self.schema)
        try self.init(json: json)
    }
}

extension OCPPRequest {
    /// The CALL frame carrying this request.
    public func call(messageId: String) -> RPCMessage {
        .call(messageId: messageId, action: Self.action.rawValue, payload: toJSON())
    }
}

extension OCPPResponse {
    /// The CALLRESULT frame carrying this response.
    public func callResult(messageId: String) -> RPCMessage {
        .callResult(messageId: messageId, payload: toJSON())
    }
}

// MARK: - Plumbing for generated code

/// A Swift value that maps to and from one JSON value.
protocol JSONConvertible {
    static func decode(_ value: JSONValue, path: String) throws(OCPPValidationError) -> Self
    func toJSON() -> JSONValue
}

/// A generated struct decoded from a JSON object.
protocol JSONObjectConvertible: JSONConvertible {
    init(reader: JSONObjectReader) throws(OCPPValidationError)
}

extension JSONObjectConvertible {
    static func decode(_ value: JSONValue, path: String) throws(OCPPValidationError) -> Self {
        try Self(reader: JSONObjectReader(value, path: path))
    }
}

/// A generated string enum.
protocol JSONStringEnum: JSONConvertible, RawRepresentable<String> {}

extension JSONStringEnum {
    static func decode(_ value: JSONValue, path: String) throws(OCPPValidationError) -> Self {
        guard case .string(let s) = value else { throw SchemaValidator.typeError(path, "\(Self.self) string", value) }
        guard let v = Self(rawValue: s) else {
            throw OCPPValidationError(code: .propertyConstraintViolation, path: path, reason: "\"\(s.prefix(64))\" is not a valid \(Self.self) value")
        }
        return v
    }
    func toJSON() -> JSONValue { .string(rawValue) }
}

/// Reads the members of a JSON object for a generated initializer.
struct JSONObjectReader {
    let object: JSONObject
    let path: String

    init(_ value: JSONValue, path: String) throws(OCPPValidationError) {
        guard case .object(let object) = value else {
            if path.isEmpty {
                throw OCPPValidationError(code: .formatViolation, path: "", reason: "payload must be a JSON object, got \(value.typeName)")
            }
            throw SchemaValidator.typeError(path, "object", value)
        }
        self.object = object
        self.path = path
    }

    func required<T: JSONConvertible>(_ key: String) throws(OCPPValidationError) -> T {
        guard let v = object[key] else {
            throw OCPPValidationError(code: .occurrenceConstraintViolation, path: SchemaValidator.join(path, key), reason: "required property is missing")
        }
        return try T.decode(v, path: SchemaValidator.join(path, key))
    }

    func optional<T: JSONConvertible>(_ key: String) throws(OCPPValidationError) -> T? {
        guard let v = object[key] else { return nil }
        return try T.decode(v, path: SchemaValidator.join(path, key))
    }
}

extension JSONObject {
    /// Sets `key` unless `value` is nil (optional empty fields are left out, Part 4 §4.1.5).
    mutating func put<T: JSONConvertible>(_ key: String, _ value: T?) {
        if let value { self[key] = value.toJSON() }
    }
}

extension String: JSONConvertible {
    static func decode(_ value: JSONValue, path: String) throws(OCPPValidationError) -> String {
        guard case .string(let s) = value else { throw SchemaValidator.typeError(path, "string", value) }
        return s
    }
    func toJSON() -> JSONValue { .string(self) }
}

extension Int: JSONConvertible {
    static func decode(_ value: JSONValue, path: String) throws(OCPPValidationError) -> Int {
        switch value {
        case .int(let i):
            guard let v = Int(exactly: i) else { throw OCPPValidationError(code: .typeConstraintViolation, path: path, reason: "integer out of range") }
            return v
        case .double(let d):
            guard let i = JSONValue.exactInt64(d), let v = Int(exactly: i) else {
                throw OCPPValidationError(code: .typeConstraintViolation, path: path, reason: "expected integer, got \(d)")
            }
            return v
        default: throw SchemaValidator.typeError(path, "integer", value)
        }
    }
    func toJSON() -> JSONValue { .int(Int64(self)) }
}

extension Double: JSONConvertible {
    static func decode(_ value: JSONValue, path: String) throws(OCPPValidationError) -> Double {
        guard let d = value.doubleValue else { throw SchemaValidator.typeError(path, "number", value) }
        return d
    }
    func toJSON() -> JSONValue { .double(self) }
}

extension Bool: JSONConvertible {
    static func decode(_ value: JSONValue, path: String) throws(OCPPValidationError) -> Bool {
        guard case .bool(let b) = value else { throw SchemaValidator.typeError(path, "boolean", value) }
        return b
    }
    func toJSON() -> JSONValue { .bool(self) }
}

extension OCPPDateTime: JSONConvertible {
    static func decode(_ value: JSONValue, path: String) throws(OCPPValidationError) -> OCPPDateTime {
        guard case .string(let s) = value else { throw SchemaValidator.typeError(path, "date-time string", value) }
        guard let d = OCPPDateTime(rfc3339: s) else {
            throw OCPPValidationError(code: .propertyConstraintViolation, path: path, reason: "\"\(s.prefix(64))\" is not an RFC 3339 date-time")
        }
        return d
    }
    func toJSON() -> JSONValue { .string(rfc3339) }
}

extension JSONValue: JSONConvertible {
    static func decode(_ value: JSONValue, path: String) throws(OCPPValidationError) -> JSONValue { value }
    func toJSON() -> JSONValue { self }
}

extension Array: JSONConvertible where Element: JSONConvertible {
    static func decode(_ value: JSONValue, path: String) throws(OCPPValidationError) -> [Element] {
        guard case .array(let elements) = value else { throw SchemaValidator.typeError(path, "array", value) }
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        for (i, e) in elements.enumerated() {
            result.append(try Element.decode(e, path: "\(path)[\(i)]"))
        }
        return result
    }
    func toJSON() -> JSONValue { .array(map { $0.toJSON() }) }
}

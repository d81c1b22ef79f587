// The protocols every generated message type conforms to, and the JSON plumbing the generated code uses.

/// A request or response payload of an OCPP 2.0.1 message.
///
/// Two ways in and out: the tree path (`init(json:)` / `init(validating:)` / `toJSON()`, over `JSONValue`) and
/// the byte path (`RPCFrame.decodePayload`, `writeJSON(to:)`, `callFrame(messageId:)`, straight from and to UTF-8
/// bytes). Both accept the same payloads with the same values and write the same text; only the tree path names
/// errors, and the byte path hands every payload it does not accept to it.
public protocol OCPPPayload: Sendable, Equatable {
    /// Decodes a payload. Assumes the value was validated against `schema`, but never traps: a value that
    /// does not fit throws an `OCPPValidationError` (wrong types → TypeConstraintViolation, missing required
    /// members → OccurrenceConstraintViolation, unknown enum values and invalid date-times →
    /// PropertyConstraintViolation). Undeclared members are ignored and lengths are not checked here.
    init(json: JSONValue) throws(OCPPValidationError)
    /// The JSON object of this payload; nil optionals are left out (Part 4 §4.1.5).
    func toJSON() -> JSONValue
    /// The schema of this payload (from the OCA JSON schema of the message).
    static var schema: SchemaNode { get }
    /// The byte path: the payload object starting at `start` in `bytes`, validated against `schema` while it is
    /// read, and the offset after it; nil if it is not valid (or not in a form the byte path reads), in which case
    /// the tree path decides. `depth` is the number of arrays/objects around the payload (1 inside a frame).
    static func decodeValidPayload(utf8 bytes: UnsafeBufferPointer<UInt8>, at start: Int, depth: Int) -> (value: Self, end: Int)?
    /// Appends the payload's compact JSON text: the bytes `toJSON().serializedBytes()` gives, without the tree.
    func writeJSON(to out: inout [UInt8])
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

    /// The CALL frame carrying this request as UTF-8 bytes, written directly: the bytes of
    /// `call(messageId:).serializedBytes()`.
    public func callFrame(messageId: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        JSONValue.writeLiteral("[2,", to: &out)
        JSONValue.writeString(messageId, to: &out)
        out.append(UInt8(ascii: ","))
        JSONValue.writeString(Self.action.rawValue, to: &out)
        out.append(UInt8(ascii: ","))
        writeJSON(to: &out)
        out.append(UInt8(ascii: "]"))
        return out
    }
}

extension OCPPResponse {
    /// The CALLRESULT frame carrying this response.
    public func callResult(messageId: String) -> RPCMessage {
        .callResult(messageId: messageId, payload: toJSON())
    }

    /// The CALLRESULT frame carrying this response as UTF-8 bytes: the bytes of
    /// `callResult(messageId:).serializedBytes()`.
    public func callResultFrame(messageId: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONValue.writeLiteral("[3,", to: &out)
        JSONValue.writeString(messageId, to: &out)
        out.append(UInt8(ascii: ","))
        writeJSON(to: &out)
        out.append(UInt8(ascii: "]"))
        return out
    }
}

extension OCPPPayload {
    /// The payload's compact JSON text as UTF-8 bytes, written directly.
    public func jsonBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        writeJSON(to: &out)
        return out
    }
}

// MARK: - Plumbing for the tree path of generated code

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

    typealias Decode<T> = (JSONValue, String) throws(OCPPValidationError) -> T

    func required<T>(_ key: String, _ decode: Decode<T>) throws(OCPPValidationError) -> T {
        guard let v = object[key] else {
            throw OCPPValidationError(code: .occurrenceConstraintViolation, path: SchemaValidator.join(path, key), reason: "required property is missing")
        }
        return try decode(v, SchemaValidator.join(path, key))
    }

    func optional<T>(_ key: String, _ decode: Decode<T>) throws(OCPPValidationError) -> T? {
        guard let v = object[key] else { return nil }
        return try decode(v, SchemaValidator.join(path, key))
    }

    func requiredArray<T>(_ key: String, _ decode: Decode<T>) throws(OCPPValidationError) -> [T] {
        try required(key) { (v, p) throws(OCPPValidationError) in try JSONDecode.array(v, path: p, decode) }
    }

    func optionalArray<T>(_ key: String, _ decode: Decode<T>) throws(OCPPValidationError) -> [T]? {
        try optional(key) { (v, p) throws(OCPPValidationError) in try JSONDecode.array(v, path: p, decode) }
    }
}

/// The tree path's decoders of the JSON types the generated members use.
enum JSONDecode {
    static func string(_ value: JSONValue, path: String) throws(OCPPValidationError) -> String {
        guard case .string(let s) = value else { throw SchemaValidator.typeError(path, "string", value) }
        return s
    }

    static func int(_ value: JSONValue, path: String) throws(OCPPValidationError) -> Int {
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

    static func double(_ value: JSONValue, path: String) throws(OCPPValidationError) -> Double {
        guard let d = value.doubleValue else { throw SchemaValidator.typeError(path, "number", value) }
        return d
    }

    static func bool(_ value: JSONValue, path: String) throws(OCPPValidationError) -> Bool {
        guard case .bool(let b) = value else { throw SchemaValidator.typeError(path, "boolean", value) }
        return b
    }

    static func dateTime(_ value: JSONValue, path: String) throws(OCPPValidationError) -> OCPPDateTime {
        guard case .string(let s) = value else { throw SchemaValidator.typeError(path, "date-time string", value) }
        guard let d = OCPPDateTime(rfc3339: s) else {
            throw OCPPValidationError(code: .propertyConstraintViolation, path: path, reason: "\"\(s.prefix(64))\" is not an RFC 3339 date-time")
        }
        return d
    }

    static func any(_ value: JSONValue, path: String) throws(OCPPValidationError) -> JSONValue { value }

    static func enumeration<E>(_ value: JSONValue, path: String, _ name: String, _ named: (String) -> E?) throws(OCPPValidationError) -> E {
        guard case .string(let s) = value else { throw SchemaValidator.typeError(path, "\(name) string", value) }
        guard let v = named(s) else {
            throw OCPPValidationError(code: .propertyConstraintViolation, path: path, reason: "\"\(s.prefix(64))\" is not a valid \(name) value")
        }
        return v
    }

    static func array<T>(_ value: JSONValue, path: String, _ decode: JSONObjectReader.Decode<T>) throws(OCPPValidationError) -> [T] {
        guard case .array(let elements) = value else { throw SchemaValidator.typeError(path, "array", value) }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (i, e) in elements.enumerated() {
            result.append(try decode(e, "\(path)[\(i)]"))
        }
        return result
    }
}

// The tree path's encoders of the JSON types the generated members use.
extension String { func toJSON() -> JSONValue { .string(self) } }
extension Int { func toJSON() -> JSONValue { .int(Int64(self)) } }
extension Double { func toJSON() -> JSONValue { .double(self) } }
extension Bool { func toJSON() -> JSONValue { .bool(self) } }
extension OCPPDateTime { func toJSON() -> JSONValue { .string(rfc3339) } }

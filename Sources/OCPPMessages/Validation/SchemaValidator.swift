// Validation of JSON payloads against the OCA schemas, with failures mapped to OCPP-J error codes.

/// A payload that does not conform to its schema (or cannot be decoded into its type).
public struct OCPPValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The CALLERROR code to answer with (Part 4 §4.3).
    public var code: RPCErrorCode
    /// Dotted path to the offending value, e.g. `chargingStation.model` or `meterValue[0].sampledValue`;
    /// empty for the payload itself.
    public var path: String
    public var reason: String

    public init(code: RPCErrorCode, path: String, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public var description: String { path.isEmpty ? "\(code.rawValue): \(reason)" : "\(code.rawValue) at \(path): \(reason)" }

    /// The CALLERROR frame answering the CALL `messageId` with this error (description at most 255
    /// characters, details `{}`).
    public func callError(messageId: String) -> RPCMessage {
        .callError(messageId: messageId, code: code.rawValue, description: String(description.prefix(255)), details: .object(JSONObject()))
    }
}

/// Validates JSON values against `SchemaNode`s.
///
/// Failure → error code (Part 4 §4.3, Table 8):
///
/// | Failure                                                          | Code                           |
/// |------------------------------------------------------------------|--------------------------------|
/// | payload (root) is not a JSON object                              | FormatViolation                |
/// | property not declared where `additionalProperties` is false      | FormatViolation                |
/// | required property missing                                        | OccurrenceConstraintViolation  |
/// | array with fewer than `minItems` / more than `maxItems` elements | OccurrenceConstraintViolation  |
/// | JSON type differs from the schema's (`"12"` for integer, `1.5`   | TypeConstraintViolation        |
/// |   for integer, `null` anywhere, object for string, ...)          |                                |
/// | string not in `enum`                                             | PropertyConstraintViolation    |
/// | string longer than `maxLength` (code points)                     | PropertyConstraintViolation    |
/// | `date-time` string that is not RFC 3339                          | PropertyConstraintViolation    |
/// | number below `minimum` / above `maximum`                         | PropertyConstraintViolation    |
///
/// Why: Table 8 calls FormatViolation "syntactically incorrect", i.e. the payload does not have the shape of
/// the action's message at all (not an object, or members the message does not define). Occurrence
/// constraints are the cardinalities of OCPP's data model (1 vs 0..1, 1..* vs 0..*), which the schemas
/// express with `required` and `minItems`/`maxItems`. TypeConstraintViolation is Table 8's own example
/// (`"somestring": 12`): a value of the wrong JSON data type. Everything else is a value of the right type
/// that the field does not allow: PropertyConstraintViolation ("contains an invalid value"); an invalid
/// date-time is a string of the wrong form, i.e. an invalid value of the string type.
///
/// `integer` follows draft-06: any number with zero fractional part (`5.0`, `1e2`) is an integer; one
/// outside Int64 is a TypeConstraintViolation since no field can hold it.
///
/// Order: within an object, undeclared properties are reported first, then missing required ones (schema
/// order), then the members' own violations (schema order, depth first); the first failure is thrown.
public enum SchemaValidator {
    /// Validates an OCPP message payload: the root must be an object (FormatViolation otherwise).
    public static func validate(_ value: JSONValue, against schema: SchemaNode) throws(OCPPValidationError) {
        if case .object = schema.resolved, value.objectValue == nil {
            throw OCPPValidationError(code: .formatViolation, path: "", reason: "payload must be a JSON object, got \(value.typeName)")
        }
        try check(value, schema, path: "", depth: 0)
    }

    /// Validates a value at an arbitrary position (no root rule: a non-object is a TypeConstraintViolation).
    public static func validateValue(_ value: JSONValue, against schema: SchemaNode, path: String = "") throws(OCPPValidationError) {
        try check(value, schema, path: path, depth: 0)
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    static func typeError(_ path: String, _ expected: String, _ value: JSONValue) -> OCPPValidationError {
        OCPPValidationError(code: .typeConstraintViolation, path: path, reason: "expected \(expected), got \(value.typeName)")
    }

    static func check(_ value: JSONValue, _ schema: SchemaNode, path: String, depth: Int) throws(OCPPValidationError) {
        switch schema {
        case .any:
            return
        case .reference(let r):
            // Each hop consumes depth, so a self-referencing ref chain cannot loop forever.
            guard depth < 256 else { throw OCPPValidationError(code: .formatViolation, path: path, reason: "schema reference chain too deep") }
            try check(value, r.target, path: path, depth: depth + 1)
        case .boolean:
            guard case .bool = value else { throw typeError(path, "boolean", value) }
        case .integer(let minimum, let maximum):
            let n: Double
            switch value {
            case .int(let i): n = Double(i)
            case .double(let d):
                guard d.rounded(.towardZero) == d else {
                    throw OCPPValidationError(code: .typeConstraintViolation, path: path, reason: "expected integer, got \(d)")
                }
                guard JSONValue.exactInt64(d) != nil else {
                    throw OCPPValidationError(code: .typeConstraintViolation, path: path, reason: "integer \(d) out of range")
                }
                n = d
            default: throw typeError(path, "integer", value)
            }
            try checkBounds(n, minimum, maximum, path: path)
        case .number(let minimum, let maximum):
            guard let n = value.doubleValue else { throw typeError(path, "number", value) }
            try checkBounds(n, minimum, maximum, path: path)
        case .string(let maxLength):
            guard case .string(let s) = value else { throw typeError(path, "string", value) }
            if let maxLength {
                let length = s.unicodeScalars.count
                if length > maxLength {
                    throw OCPPValidationError(code: .propertyConstraintViolation, path: path, reason: "string of length \(length) exceeds maxLength \(maxLength)")
                }
            }
        case .dateTime:
            guard case .string(let s) = value else { throw typeError(path, "date-time string", value) }
            if OCPPDateTime(rfc3339: s) == nil {
                throw OCPPValidationError(code: .propertyConstraintViolation, path: path, reason: "\"\(s.prefix(64))\" is not an RFC 3339 date-time")
            }
        case .enumeration(let e):
            guard case .string(let s) = value else { throw typeError(path, "\(e.name) string", value) }
            if !e.contains(s) {
                throw OCPPValidationError(code: .propertyConstraintViolation, path: path, reason: "\"\(s.prefix(64))\" is not a valid \(e.name) value")
            }
        case .array(let a):
            guard case .array(let elements) = value else { throw typeError(path, "array", value) }
            if let minItems = a.minItems, elements.count < minItems {
                throw OCPPValidationError(code: .occurrenceConstraintViolation, path: path, reason: "array has \(elements.count) elements, at least \(minItems) required")
            }
            if let maxItems = a.maxItems, elements.count > maxItems {
                throw OCPPValidationError(code: .occurrenceConstraintViolation, path: path, reason: "array has \(elements.count) elements, at most \(maxItems) allowed")
            }
            for (i, element) in elements.enumerated() {
                try check(element, a.items, path: "\(path)[\(i)]", depth: depth + 1)
            }
        case .object(let o):
            guard case .object(let object) = value else { throw typeError(path, "object", value) }
            if !o.additionalProperties {
                for key in object.keys where o.index[key] == nil {
                    throw OCPPValidationError(code: .formatViolation, path: join(path, key), reason: "property is not defined by \(o.name)")
                }
            }
            for p in o.properties where p.isRequired && object[p.name] == nil {
                throw OCPPValidationError(code: .occurrenceConstraintViolation, path: join(path, p.name), reason: "required property is missing")
            }
            for p in o.properties {
                if let member = object[p.name] {
                    try check(member, p.schema, path: join(path, p.name), depth: depth + 1)
                }
            }
        }
    }

    static func checkBounds(_ n: Double, _ minimum: Double?, _ maximum: Double?, path: String) throws(OCPPValidationError) {
        if let minimum, n < minimum {
            throw OCPPValidationError(code: .propertyConstraintViolation, path: path, reason: "\(n) is below the minimum \(minimum)")
        }
        if let maximum, n > maximum {
            throw OCPPValidationError(code: .propertyConstraintViolation, path: path, reason: "\(n) is above the maximum \(maximum)")
        }
    }
}

// The properties every payload read from outside input must have, as one check shared by the fuzz-style tests,
// the libFuzzer targets (Tests/Fuzz/) and `station-bench check-payloads`.

/// How the message layer treated one payload, when it treated it consistently.
public enum PayloadOutcome: Sendable, Equatable {
    /// Validated, decoded, and its encoding decodes to the same value.
    case accepted
    /// Refused with this code, which is one of the four payload codes of Part 4 §4.3, Table 8.
    case refused(OCPPValidationError)
}

/// A payload the message layer treated inconsistently: a bug.
public struct PayloadInconsistency: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension OCPPPayload {
    /// The codes a payload that does not fit its schema may be refused with (Part 4 §4.3, Table 8).
    public static var payloadErrorCodes: Set<RPCErrorCode> {
        [.formatViolation, .occurrenceConstraintViolation, .typeConstraintViolation, .propertyConstraintViolation]
    }

    /// Runs `payload` through validation and decoding and checks that they agree: the validator refuses exactly
    /// what `init(validating:)` refuses, with the same error and a payload code; a payload the validator accepts
    /// decodes, and the decoded value encodes to JSON text that parses, re-validates and decodes to an equal value.
    public static func selfCheck(_ payload: JSONValue) throws(PayloadInconsistency) -> PayloadOutcome {
        var validatorError: OCPPValidationError? = nil
        do {
            try SchemaValidator.validate(payload, against: schema)
        } catch {
            validatorError = error
        }
        let decoded: Self
        do {
            decoded = try Self(validating: payload)
        } catch {
            guard let validatorError else {
                throw PayloadInconsistency(description: "\(Self.self): valid, but decoding threw \(error)")
            }
            guard error == validatorError, payloadErrorCodes.contains(error.code) else {
                throw PayloadInconsistency(description: "\(Self.self): init(validating:) threw \(error), the validator \(validatorError)")
            }
            return .refused(error)
        }
        if let validatorError {
            throw PayloadInconsistency(description: "\(Self.self): decoded although the validator refused it: \(validatorError)")
        }
        let text = decoded.toJSON().serialized()
        let again: Self
        do {
            again = try Self(validating: JSONValue.parse(text))
        } catch {
            throw PayloadInconsistency(description: "\(Self.self): its encoding is refused (\(error)): \(text.prefix(300))")
        }
        guard again == decoded else {
            throw PayloadInconsistency(description: "\(Self.self): its encoding decodes to another value: \(text.prefix(300))")
        }
        return .accepted
    }
}

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

/// How the message layer treated one frame's bytes, when both paths agree.
public enum FrameOutcome: Sendable, Equatable {
    /// Both paths decoded the payload to the same value and write it back as the same text, which round-trips.
    case accepted
    /// Both paths refused the payload with this error (one of Part 4 §4.3, Table 8's payload codes).
    case refused(OCPPValidationError)
    /// Both paths refused the frame itself with this error.
    case refusedFrame(RPCFrameError)
}

extension OCPPPayload {
    /// Runs one CALL or CALLRESULT frame carrying a `Self` payload through both paths and checks that they agree:
    /// the tree path (`RPCMessage.parse(utf8:)`, then `selfCheck(_:)` on the payload) and the byte path
    /// (`RPCFrame.parse(utf8:)`, `decodePayload`, `writeJSON`). Same verdict, same error, equal values, and the
    /// same encoded bytes.
    public static func selfCheck(frame bytes: [UInt8]) throws(PayloadInconsistency) -> FrameOutcome {
        let tree: FrameOutcome
        var treeValue: Self? = nil
        do {
            switch try RPCMessage.parse(utf8: bytes) {
            case .call(_, _, let payload), .callResult(_, let payload):
                switch try selfCheck(payload) {
                case .accepted:
                    tree = .accepted
                    treeValue = try? Self(validating: payload)
                case .refused(let error): tree = .refused(error)
                }
            case .callError:
                tree = .refused(RPCFrame.callErrorHasNoPayload)
            }
        } catch let error as RPCFrameError {
            tree = .refusedFrame(error)
        } catch let error as PayloadInconsistency {
            throw error
        } catch {
            throw PayloadInconsistency(description: "\(Self.self): unexpected \(error)")
        }
        let bytePath: FrameOutcome
        do {
            let value = try RPCFrame.parse(utf8: bytes).decodePayload(as: Self.self)
            guard let treeValue else {
                throw PayloadInconsistency(description: "\(Self.self): the byte path accepts what the tree path refuses (\(tree)): \(String(decoding: bytes.prefix(300), as: UTF8.self))")
            }
            guard value == treeValue else {
                throw PayloadInconsistency(description: "\(Self.self): the byte path decodes another value than the tree path: \(String(decoding: bytes.prefix(300), as: UTF8.self))")
            }
            let written = value.jsonBytes()
            guard written == treeValue.toJSON().serializedBytes() else {
                throw PayloadInconsistency(description: "\(Self.self): writeJSON writes \(String(decoding: written.prefix(300), as: UTF8.self)), the tree path something else")
            }
            bytePath = .accepted
        } catch let error as RPCFrameError {
            bytePath = .refusedFrame(error)
        } catch let error as RPCFrame.DecodingError {
            switch error {
            case .frame(let e): bytePath = .refusedFrame(e)
            case .payload(let e): bytePath = .refused(e)
            }
        } catch let error as PayloadInconsistency {
            throw error
        } catch {
            throw PayloadInconsistency(description: "\(Self.self): unexpected \(error)")
        }
        guard bytePath == tree else {
            throw PayloadInconsistency(description: "\(Self.self): byte path \(bytePath), tree path \(tree): \(String(decoding: bytes.prefix(300), as: UTF8.self))")
        }
        return tree
    }
}

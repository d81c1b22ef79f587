// OCPP-J RPC frames (Part 4 §4.2): CALL, CALLRESULT and CALLERROR.

/// One OCPP-J frame.
public enum RPCMessage: Sendable, Hashable {
    /// `[2, messageId, action, payload]` (Part 4 §4.2.1).
    case call(messageId: String, action: String, payload: JSONValue)
    /// `[3, messageId, payload]` (Part 4 §4.2.2).
    case callResult(messageId: String, payload: JSONValue)
    /// `[4, messageId, errorCode, errorDescription, errorDetails]` (Part 4 §4.2.3). The code is kept as the
    /// wire string so a frame with a code outside Table 8 still parses; see `errorCode`.
    case callError(messageId: String, code: String, description: String, details: JSONValue)
}

/// Why a text is not an acceptable OCPP-J frame, with what to answer.
///
/// `messageId` is the frame's id when it could be read, else `"-1"` (Part 4 §4.2.3).
public struct RPCFrameError: Error, Sendable, Hashable, CustomStringConvertible {
    public var messageId: String
    public var code: RPCErrorCode
    public var description: String

    public init(messageId: String, code: RPCErrorCode, description: String) {
        self.messageId = messageId
        self.code = code
        self.description = description
    }

    /// The CALLERROR frame answering this error: description cut to 255 characters, details `{}`
    /// (Part 4 §4.2.3, Table 7).
    public func callError() -> RPCMessage {
        .callError(messageId: messageId, code: code.rawValue, description: String(description.prefix(255)), details: .object(JSONObject()))
    }
}

extension RPCMessage {
    /// Message Type Numbers (Part 4 §4.1.3, Table 3).
    public static let callTypeId: Int64 = 2
    public static let callResultTypeId: Int64 = 3
    public static let callErrorTypeId: Int64 = 4
    /// Maximum messageId length: string[36] (Part 4 §4.1.4, Table 4).
    public static let maxMessageIdLength = 36
    /// The messageId used in a CALLERROR when the offending frame's id cannot be read (Part 4 §4.2.3).
    public static let unreadableMessageId = "-1"

    public var messageId: String {
        switch self {
        case .call(let id, _, _), .callResult(let id, _), .callError(let id, _, _, _): return id
        }
    }

    /// The error code of a CALLERROR if it is one of Table 8's codes; nil for other frames and unknown codes.
    public var errorCode: RPCErrorCode? {
        if case .callError(_, let code, _, _) = self { return RPCErrorCode(rawValue: code) }
        return nil
    }

    /// The frame as compact JSON text.
    public func serialized() -> String { jsonValue.serialized() }

    /// The frame as compact JSON text in UTF-8 bytes.
    public func serializedBytes() -> [UInt8] { jsonValue.serializedBytes() }

    /// The frame as a JSON array.
    public var jsonValue: JSONValue {
        switch self {
        case .call(let id, let action, let payload):
            return .array([.int(RPCMessage.callTypeId), .string(id), .string(action), payload])
        case .callResult(let id, let payload):
            return .array([.int(RPCMessage.callResultTypeId), .string(id), payload])
        case .callError(let id, let code, let description, let details):
            return .array([.int(RPCMessage.callErrorTypeId), .string(id), .string(code), .string(description), details])
        }
    }

    /// Parses one OCPP-J frame.
    ///
    /// Frame-level failures and the code chosen for each (checked in this order):
    ///
    /// | # | Failure                                                      | Code                     | messageId |
    /// |---|--------------------------------------------------------------|--------------------------|-----------|
    /// | 1 | text is not valid JSON (§4.1.2)                              | RpcFrameworkError        | "-1"      |
    /// | 2 | not a JSON array, or an empty array                          | RpcFrameworkError        | "-1"      |
    /// | 3 | element 0 is not an integer (e.g. `"2"`, `2.0`) (§4.1.3)     | RpcFrameworkError        | id if readable |
    /// | 4 | element 0 is an integer other than 2, 3, 4 (§4.1.3, §4.4)    | MessageTypeNotSupported  | id if readable |
    /// | 5 | messageId missing, not a string, or > 36 characters (§4.1.4) | RpcFrameworkError        | "-1"      |
    /// | 6 | CALL without exactly 4 elements (§4.2.1)                     | ProtocolError            | id        |
    /// | 7 | CALL action not a string                                     | ProtocolError            | id        |
    /// | 8 | CALL payload not a JSON object (§4.1.5; `null` included)     | FormatViolation          | id        |
    /// | 9 | CALLRESULT without exactly 3 elements (§4.2.2)               | ProtocolError            | id        |
    /// |10 | CALLRESULT payload not a JSON object                          | FormatViolation          | id        |
    /// |11 | CALLERROR without exactly 5 elements (§4.2.3)                | ProtocolError            | id        |
    /// |12 | CALLERROR errorCode or errorDescription not a string         | ProtocolError            | id        |
    ///
    /// Reasons: §4.2.3 asks for "-1" exactly when the id cannot be read and Table 8 describes
    /// RpcFrameworkError as "not a valid RPC Request, for example: MessageId could not be read", so anything
    /// that breaks the envelope before the id is known is RpcFrameworkError. A too-long id is reported with
    /// "-1" because echoing it would make our own CALLERROR violate string[36]. An unknown message type is
    /// MessageTypeNotSupported per §4.4 even when the rest of the frame is unreadable (§4.1.3: its payload
    /// is ignored). Once type and id are known, a wrong element count or wrongly typed envelope field is
    /// "not conform the PDU structure" = ProtocolError. A non-object payload is the payload being
    /// syntactically wrong for any action = FormatViolation (same as `SchemaValidator` at the root).
    /// errorDetails is accepted as any JSON value (Table 7 asks for an object, but a malformed CALLERROR is
    /// never answered and keeping whatever the peer sent is more useful than rejecting it).
    /// A CALLRESULT/CALLERROR failure is still thrown as a typed error, but a station must not answer it.
    public static func parse(_ text: String) throws(RPCFrameError) -> RPCMessage {
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw RPCFrameError(messageId: unreadableMessageId, code: .rpcFrameworkError, description: "Frame is not valid JSON: \(error.description)")
        }
        return try parse(value)
    }

    /// Parses one OCPP-J frame given as UTF-8 bytes (validated as UTF-8); see `parse(_:)` for the error mapping.
    public static func parse(utf8 bytes: some Collection<UInt8>) throws(RPCFrameError) -> RPCMessage {
        let value: JSONValue
        do {
            value = try JSONValue.parse(utf8: bytes)
        } catch {
            throw RPCFrameError(messageId: unreadableMessageId, code: .rpcFrameworkError, description: "Frame is not valid JSON: \(error.description)")
        }
        return try parse(value)
    }

    /// Parses one OCPP-J frame already decoded as JSON; see `parse(_:)` for the error mapping.
    public static func parse(_ value: JSONValue) throws(RPCFrameError) -> RPCMessage {
        guard case .array(let elements) = value, !elements.isEmpty else {
            throw RPCFrameError(messageId: unreadableMessageId, code: .rpcFrameworkError, description: "Frame is not a non-empty JSON array")
        }
        var readableId: String? = nil
        if elements.count >= 2, case .string(let id) = elements[1], id.unicodeScalars.count <= maxMessageIdLength {
            readableId = id
        }
        guard case .int(let typeId) = elements[0] else {
            throw RPCFrameError(messageId: readableId ?? unreadableMessageId, code: .rpcFrameworkError, description: "MessageTypeId is not an integer")
        }
        guard typeId == callTypeId || typeId == callResultTypeId || typeId == callErrorTypeId else {
            throw RPCFrameError(messageId: readableId ?? unreadableMessageId, code: .messageTypeNotSupported, description: "MessageTypeId \(typeId) is not supported")
        }
        guard let id = readableId else {
            let reason: String
            if elements.count < 2 {
                reason = "MessageId is missing"
            } else if case .string = elements[1] {
                reason = "MessageId is longer than \(maxMessageIdLength) characters"
            } else {
                reason = "MessageId is not a string"
            }
            throw RPCFrameError(messageId: unreadableMessageId, code: .rpcFrameworkError, description: reason)
        }
        switch typeId {
        case callTypeId:
            guard elements.count == 4 else {
                throw RPCFrameError(messageId: id, code: .protocolError, description: "CALL must have 4 elements, got \(elements.count)")
            }
            guard case .string(let action) = elements[2] else {
                throw RPCFrameError(messageId: id, code: .protocolError, description: "CALL action is not a string")
            }
            guard case .object = elements[3] else {
                throw RPCFrameError(messageId: id, code: .formatViolation, description: "CALL payload is not a JSON object")
            }
            return .call(messageId: id, action: action, payload: elements[3])
        case callResultTypeId:
            guard elements.count == 3 else {
                throw RPCFrameError(messageId: id, code: .protocolError, description: "CALLRESULT must have 3 elements, got \(elements.count)")
            }
            guard case .object = elements[2] else {
                throw RPCFrameError(messageId: id, code: .formatViolation, description: "CALLRESULT payload is not a JSON object")
            }
            return .callResult(messageId: id, payload: elements[2])
        default:
            guard elements.count == 5 else {
                throw RPCFrameError(messageId: id, code: .protocolError, description: "CALLERROR must have 5 elements, got \(elements.count)")
            }
            guard case .string(let code) = elements[2], case .string(let description) = elements[3] else {
                throw RPCFrameError(messageId: id, code: .protocolError, description: "CALLERROR errorCode and errorDescription must be strings")
            }
            return .callError(messageId: id, code: code, description: description, details: elements[4])
        }
    }
}

public import OCPPMessages

/// An error that becomes a CALLERROR on the wire. Handlers throw it; anything else thrown by a handler is
/// answered with InternalError (Part 4 §4.3).
public struct OCPPCallError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: RPCErrorCode
    public var message: String
    public var details: JSONValue

    public init(_ code: RPCErrorCode, _ message: String, details: JSONValue = .object(JSONObject())) {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The CALLERROR frame answering `messageId`. ErrorDescription is at most 255 characters (Part 4 §4.2.3).
    public func frame(messageId: String) -> RPCMessage {
        .callError(messageId: messageId, code: code.rawValue, description: String(message.prefix(255)), details: details)
    }
}

/// Why an outgoing CALL did not get a CALLRESULT.
public struct RPCCallFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// No answer within OCPPCommCtrlr.MessageTimeout.
        case timeout
        /// The CSMS answered with a CALLERROR.
        case callError(code: String, description: String)
        /// The connection closed before the answer came.
        case connectionClosed
        /// The CSMS's CALLRESULT does not validate against the response schema.
        case invalidResponse(OCPPValidationError)
    }
    public var action: String
    public var kind: Kind

    public init(action: String, kind: Kind) {
        self.action = action
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .timeout: return "\(action): no response within the message timeout"
        case .callError(let code, let text): return "\(action): CSMS answered CALLERROR \(code) \(text)"
        case .connectionClosed: return "\(action): connection closed before the response"
        case .invalidResponse(let error): return "\(action): invalid response: \(error.code.rawValue) at \(error.path): \(error.reason)"
        }
    }
}

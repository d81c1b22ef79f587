// OCPP-J RPC framework error codes (Part 4 §4.3, Table 8).

/// The twelve error codes a CALLERROR may carry (Part 4 §4.3). Raw values are the exact wire strings.
public enum RPCErrorCode: String, Sendable, CaseIterable {
    /// Payload for Action is syntactically incorrect.
    case formatViolation = "FormatViolation"
    /// Any other error not covered by the more specific error codes.
    case genericError = "GenericError"
    /// An internal error occurred and the receiver was not able to process the requested Action successfully.
    case internalError = "InternalError"
    /// A message with a Message Type Number received that is not supported by this implementation.
    case messageTypeNotSupported = "MessageTypeNotSupported"
    /// Requested Action is not known by receiver.
    case notImplemented = "NotImplemented"
    /// Requested Action is recognized but not supported by the receiver.
    case notSupported = "NotSupported"
    /// Payload for Action is syntactically correct but at least one of the fields violates occurrence constraints.
    case occurrenceConstraintViolation = "OccurrenceConstraintViolation"
    /// Payload is syntactically correct but at least one field contains an invalid value.
    case propertyConstraintViolation = "PropertyConstraintViolation"
    /// Payload for Action is not conform the PDU structure.
    case protocolError = "ProtocolError"
    /// Content of the call is not a valid RPC Request, for example: MessageId could not be read.
    case rpcFrameworkError = "RpcFrameworkError"
    /// During the processing of Action a security issue occurred preventing receiver from completing the Action.
    case securityError = "SecurityError"
    /// Payload for Action is syntactically correct but at least one of the fields violates data type constraints.
    case typeConstraintViolation = "TypeConstraintViolation"
}

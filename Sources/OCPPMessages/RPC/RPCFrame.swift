// The byte path for incoming frames: one OCPP-J frame read from its UTF-8 bytes without a JSONValue tree. The
// envelope (`[2, "id", "Action", ` or `[3, "id", `) is read directly; the payload is read by the generated
// decoder of the type the caller names, which validates it on the way (JSON/JSONByteDecoding.swift).
//
// Verdicts and CALLERROR codes are those of `RPCMessage.parse` and `OCPPPayload.init(validating:)`: whatever the
// byte path does not accept (an unusual envelope, a CALLERROR frame, any JSON or schema error) is handed to them.

/// One OCPP-J frame read from its UTF-8 bytes (the byte path of `RPCMessage.parse(utf8:)`).
public struct RPCFrame: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A CALL of `action` (any string; `OCPPAction(rawValue:)` tells whether it is one of the 64).
        case call(action: String)
        case callResult
        /// A CALLERROR; its code and description are in `message()`.
        case callError
    }

    public let messageId: String
    public let kind: Kind

    private let bytes: [UInt8]
    /// Where the payload object starts in `bytes`, when the envelope was read directly.
    private let payloadStart: Int?
    /// The whole frame as a tree, when the envelope was not in the form the byte path reads.
    private let tree: RPCMessage?

    /// Reads a frame's envelope. Throws what `RPCMessage.parse(utf8:)` throws for a frame it refuses; a JSON error
    /// inside the payload may only surface in `decodePayload` (as `.frame`).
    public static func parse(utf8 bytes: [UInt8]) throws(RPCFrameError) -> RPCFrame {
        if let frame = bytes.withUnsafeBufferPointer({ readEnvelope($0, bytes) }) { return frame }
        let message = try RPCMessage.parse(utf8: bytes)
        let kind: Kind
        switch message {
        case .call(_, let action, _): kind = .call(action: action)
        case .callResult: kind = .callResult
        case .callError: kind = .callError
        }
        return RPCFrame(messageId: message.messageId, kind: kind, bytes: bytes, payloadStart: nil, tree: message)
    }

    /// The envelope of a CALL or CALLRESULT written plainly: `[`, the type 2 or 3, an id and (CALL) an action of
    /// printable ASCII without escapes, then `{`; whitespace allowed where JSON allows it. nil for anything else.
    private static func readEnvelope(_ buffer: UnsafeBufferPointer<UInt8>, _ bytes: [UInt8]) -> RPCFrame? {
        var p = JSONByteParser(bytes: buffer, maxDepth: JSONValue.defaultMaxDepth)
        func plainString(_ p: inout JSONByteParser, maxLength: Int) -> String? {
            // ASCII only (code points == bytes), so the length limit is checked on bytes as the tree path counts.
            guard let string = try? p.readRawString(), string.codePoints == string.0.bytes.count, string.codePoints <= maxLength
            else { return nil }
            return String(decoding: string.0.bytes, as: UTF8.self)
        }
        func comma(_ p: inout JSONByteParser) -> Bool {
            p.skipWhitespace()
            guard (try? p.expectByte(UInt8(ascii: ","))) != nil else { return false }
            p.skipWhitespace()
            return true
        }
        p.skipWhitespace()
        guard (try? p.expectByte(UInt8(ascii: "["))) != nil else { return nil }
        p.skipWhitespace()
        guard p.index + 1 < buffer.count else { return nil }
        let type = buffer[p.index]
        guard type == UInt8(ascii: "2") || type == UInt8(ascii: "3") else { return nil }
        p.index += 1
        guard comma(&p), let messageId = plainString(&p, maxLength: RPCMessage.maxMessageIdLength), comma(&p) else { return nil }
        var kind = Kind.callResult
        if type == UInt8(ascii: "2") {
            guard let action = plainString(&p, maxLength: Int.max), comma(&p) else { return nil }
            kind = .call(action: action)
        }
        guard p.index < buffer.count, buffer[p.index] == UInt8(ascii: "{") else { return nil }
        return RPCFrame(messageId: messageId, kind: kind, bytes: bytes, payloadStart: p.index, tree: nil)
    }

    /// The frame as `RPCMessage.parse(utf8:)` reads it (the tree path).
    public func message() throws(RPCFrameError) -> RPCMessage {
        if let tree { return tree }
        return try RPCMessage.parse(utf8: bytes)
    }

    static let callErrorHasNoPayload = OCPPValidationError(code: .formatViolation, path: "", reason: "a CALLERROR has no payload")

    /// Why a payload could not be decoded.
    public enum DecodingError: Error, Sendable, Equatable {
        /// The frame itself is refused (a JSON error in the payload, more elements after it, ...): what
        /// `RPCMessage.parse(utf8:)` throws for it.
        case frame(RPCFrameError)
        /// The payload does not fit its schema: what `init(validating:)` throws for it.
        case payload(OCPPValidationError)
    }

    /// Validates and decodes the payload of a CALL or CALLRESULT as `type`: the byte path when the payload is
    /// valid, else exactly the error of the tree path. A CALLERROR has no payload to decode: `.payload` with
    /// FormatViolation.
    public func decodePayload<Payload: OCPPPayload>(as type: Payload.Type = Payload.self) throws(DecodingError) -> Payload {
        if let payloadStart {
            let decoded = bytes.withUnsafeBufferPointer { buffer -> Payload? in
                guard let (value, end) = Payload.decodeValidPayload(utf8: buffer, at: payloadStart, depth: 1) else { return nil }
                // The frame ends right after the payload: `]` and whitespace only.
                var p = JSONByteParser(bytes: buffer, maxDepth: JSONValue.defaultMaxDepth)
                p.index = end
                p.skipWhitespace()
                guard (try? p.expectByte(UInt8(ascii: "]"))) != nil else { return nil }
                p.skipWhitespace()
                return p.index == buffer.count ? value : nil
            }
            if let decoded { return decoded }
        }
        let message: RPCMessage
        do {
            message = try self.message()
        } catch {
            throw .frame(error)
        }
        let payload: JSONValue
        switch message {
        case .call(_, _, let p), .callResult(_, let p): payload = p
        case .callError:
            throw .payload(RPCFrame.callErrorHasNoPayload)
        }
        do {
            return try Payload(validating: payload)
        } catch {
            throw .payload(error)
        }
    }
}

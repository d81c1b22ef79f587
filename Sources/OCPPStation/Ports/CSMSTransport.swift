// The connection port: one OCPP-J WebSocket at a time to the CSMS.
// The backend (OCPPStationWebSocket) owns sockets, TLS and the WebSocket handshake; the station only sees text frames.

/// One open connection to the CSMS.
public struct CSMSConnection: Sendable {
    /// Text messages from the CSMS, in order. Finishes when the connection closes.
    public var incoming: AsyncThrowingStream<String, any Error>
    /// Sends one text message. Throws when the connection is gone.
    public var send: @Sendable (String) async throws -> Void

    public init(incoming: AsyncThrowingStream<String, any Error>, send: @escaping @Sendable (String) async throws -> Void) {
        self.incoming = incoming
        self.send = send
    }
}

/// Opens connections to the CSMS.
public protocol CSMSTransport: Sendable {
    /// Connects, runs `session` while the connection is open, and closes the connection (normal closure)
    /// when `session` returns. Throws when the connection cannot be opened (refused, TLS, HTTP upgrade, or the
    /// CSMS did not select the `ocpp2.0.1` subprotocol) or when it breaks.
    func withConnection(_ session: @escaping @Sendable (CSMSConnection) async throws -> Void) async throws
}

// The connection port: one OCPP-J WebSocket at a time to the CSMS.
// The backend (OCPPStationWebSocket) owns sockets, TLS and the WebSocket handshake; the station only sees text frames.
// The station chooses what to connect to per connection (network connection profiles, B09/B10; security profiles,
// A00), so a new password, a new profile or a fallback takes effect at the next connection.

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

/// What one connection attempt uses: the endpoint, the security profile and the credentials.
public struct ConnectionProfile: Sendable, Hashable, CustomStringConvertible {
    /// The NetworkConnectionProfile slot this comes from (B09); 0 for a development connection without a profile.
    public var slot: Int
    /// `ocppCsmsUrl` of the profile, without the station id (the transport appends `/<station id>`).
    public var csmsURL: String
    public var stationId: String
    /// 0: no authentication (development only, no OCPP message selects it); 1: Basic auth over ws://; 2: TLS with
    /// server certificate and Basic auth; 3: TLS with client certificates (A00).
    public var securityProfile: Int
    /// SecurityCtrlr.BasicAuthPassword for profiles 1 and 2. Never logged (`description` leaves it out).
    public var basicAuthPassword: String?
    /// Limit for the TCP connect, the TLS handshake and the HTTP upgrade each (the profile's messageTimeout).
    public var timeout: Duration

    public init(
        slot: Int, csmsURL: String, stationId: String, securityProfile: Int, basicAuthPassword: String? = nil,
        timeout: Duration = .seconds(30)
    ) {
        self.slot = slot
        self.csmsURL = csmsURL
        self.stationId = stationId
        self.securityProfile = securityProfile
        self.basicAuthPassword = basicAuthPassword
        self.timeout = timeout
    }

    public var description: String {
        "slot \(slot): \(csmsURL) (security profile \(securityProfile)\(basicAuthPassword == nil ? "" : ", Basic auth"))"
    }
}

/// Why a connection could not be opened, in the terms the station reacts to (security events A00.FR.310/316,
/// FailedToAuthenticationAtCsms; the reconnect back-off for all of them).
public enum CSMSConnectionFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The CSMS's certificate is not valid, not trusted, or not for its host name (A00.FR.308-311).
    case invalidCsmsCertificate(String)
    /// The CSMS offered only TLS below 1.2 (A00.FR.313-316).
    case invalidTLSVersion(String)
    /// The CSMS refused the station's credentials (HTTP 401/403 to the upgrade).
    case authenticationRefused(String)
    /// The TCP connect, the TLS handshake or the HTTP upgrade did not finish in time.
    case timeout(String)
    /// Anything else: refused, unreachable, no ocpp2.0.1 subprotocol, a TLS error that is not about the certificate,
    /// or the station's own TLS material cannot be used.
    case failed(String)

    public var description: String {
        switch self {
        case .invalidCsmsCertificate(let text): "invalid CSMS certificate: \(text)"
        case .invalidTLSVersion(let text): "TLS version refused: \(text)"
        case .authenticationRefused(let text): "authentication refused: \(text)"
        case .timeout(let text): "timed out: \(text)"
        case .failed(let text): text
        }
    }
}

/// Opens connections to the CSMS.
public protocol CSMSTransport: Sendable {
    /// Connects with `profile`, runs `session` while the connection is open, and closes the connection (normal
    /// closure) when `session` returns. Throws a `CSMSConnectionFailure` when the connection cannot be opened, and
    /// the session's or the WebSocket's error when it breaks.
    func withConnection(
        _ profile: ConnectionProfile, _ session: @escaping @Sendable (CSMSConnection) async throws -> Void
    ) async throws

    /// OCPPCommCtrlr.WebSocketPingInterval (nil or zero: no pings). Applies to the open connection at once: a ping
    /// goes out every interval, and a pong missing by the next ping closes the connection.
    func setPingInterval(_ interval: Duration?)

    /// Why a profile's `ocppCsmsUrl` cannot be used with this security profile; nil when it can (B09.FR.02).
    func urlProblem(_ url: String, securityProfile: Int) -> String?
}

extension CSMSTransport {
    public func setPingInterval(_ interval: Duration?) {}

    public func urlProblem(_ url: String, securityProfile: Int) -> String? {
        ConnectionProfile.schemeProblem(url, securityProfile: securityProfile)
    }
}

extension ConnectionProfile {
    /// Whether the URL's scheme fits the security profile; nil when it does.
    public static func schemeProblem(_ url: String, securityProfile: Int) -> String? {
        let secure = url.hasPrefix("wss://")
        if !secure && !url.hasPrefix("ws://") { return "the scheme must be ws:// or wss://" }
        // A00: profiles 2 and 3 are TLS, 0 and 1 are not.
        if securityProfile >= 2 && !secure { return "security profile \(securityProfile) needs a wss:// URL" }
        if securityProfile < 2 && secure { return "security profile \(securityProfile) needs a ws:// URL" }
        return nil
    }
}

// C01: authorization of an idToken for a session. One protocol decides; today the CSMS answers through
// AuthorizeRequest. The authorization cache and the local list (C10-C14) come later behind the same protocol.
public import OCPPMessages

/// Decides whether an idToken may charge.
public protocol IdTokenAuthorizer: Sendable {
    /// The idTokenInfo for this token; `nil` when no decision could be had (no connection, no answer).
    func authorize(_ idToken: IdTokenType) async -> IdTokenInfoType?
}

/// Asks the CSMS with AuthorizeRequest (C01.FR.01/02).
public struct CSMSIdTokenAuthorizer: IdTokenAuthorizer {
    let call: @Sendable (AuthorizeRequest) async throws -> AuthorizeResponse

    public init(call: @escaping @Sendable (AuthorizeRequest) async throws -> AuthorizeResponse) {
        self.call = call
    }

    public func authorize(_ idToken: IdTokenType) async -> IdTokenInfoType? {
        try? await call(AuthorizeRequest(idToken: idToken)).idTokenInfo
    }
}

/// The session-level decision, from what the authorizer said and the station's offline rules.
public enum AuthorizationDecision {
    /// C01.FR.02: only Accepted authorizes. Without an answer while offline, OfflineTxForUnknownIdEnabled decides
    /// (C15.FR.02 for an unknown id); the CSMS checks the token again in the TransactionEvent (E01.FR.11). Online
    /// without an answer (a timeout, a CALLERROR): not authorized.
    public static func accepts(_ info: IdTokenInfoType?, offline: Bool, offlineTxForUnknownId: Bool) -> Bool {
        guard let info else { return offline && offlineTxForUnknownId }
        return info.status == .accepted
    }
}

// C01: authorization of an idToken for a session. The Local Authorization List and the authorization cache decide
// first (C10-C14, LocalAuthorization); when they say so, an IdTokenAuthorizer asks: by default the CSMS, through
// AuthorizeRequest.
public import OCPPMessages
internal import Logging

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

/// The station's decision on an idToken: what is known about it, and whether it may charge.
struct AuthorizationOutcome: Sendable {
    var info: IdTokenInfoType?
    var accepted: Bool
}

extension ChargingStation {
    /// Decides on a presented idToken: the Local Authorization List and the cache first, the CSMS when they say so
    /// (C10-C14), the offline rules without an answer (C13, C15). What the CSMS answers updates the cache (C10.FR.04).
    func authorize(_ token: IdTokenType) async -> AuthorizationOutcome {
        let settings = AuthorizationSettings(deviceModel)
        let time = now().secondsSince1970
        await removeExpiredCacheEntries(settings, now: time)
        switch localAuthorization.verdict(for: token, online: !isOffline, settings, now: time) {
        case .local(let info, let source):
            if source == .cache, let used = localAuthorization.cache.touch(token, now: time) {
                await persistCache(saving: [used], removing: [])
            }
            return AuthorizationOutcome(info: info, accepted: info.status == .accepted)
        case .refused(let info):
            return AuthorizationOutcome(info: info, accepted: false)
        case .unknownOffline:
            // An embedding firmware's authorizer may decide offline too (the CSMS's fails at once without a
            // connection); otherwise C15.FR.08, and C15.FR.01: not added to the cache.
            if let info = await authorizer.authorize(token) {
                return AuthorizationOutcome(info: info, accepted: info.status == .accepted)
            }
            return AuthorizationOutcome(info: nil, accepted: settings.offlineTxForUnknownId)
        case .askCSMS:
            let info = await authorizer.authorize(token)
            if let info {
                await cacheAnswer(token, info, settings)
                return AuthorizationOutcome(info: info, accepted: info.status == .accepted)
            }
            // No answer (a timeout, the connection lost meanwhile): what the list or the cache holds decides as if
            // offline (LocalAuthorizeOffline); an unknown token follows the rule for no answer.
            if case .local(let known, _) = localAuthorization.verdict(for: token, online: false, settings, now: time) {
                return AuthorizationOutcome(info: known, accepted: known.status == .accepted)
            }
            return AuthorizationOutcome(
                info: nil,
                accepted: AuthorizationDecision.accepts(nil, offline: isOffline, offlineTxForUnknownId: settings.offlineTxForUnknownId))
        }
    }

    /// C10.FR.04/05, C12.FR.06: what the CSMS said about an idToken goes into the cache (when it is enabled).
    func cacheAnswer(_ token: IdTokenType, _ info: IdTokenInfoType, _ settings: AuthorizationSettings) async {
        guard settings.cacheEnabled, token.type != .noAuthorization else { return }
        let (saved, removed) = localAuthorization.cache.record(token, info, now: now().secondsSince1970, maxBytes: settings.cacheMaxBytes)
        await persistCache(saving: [saved], removing: removed)
    }

    func removeExpiredCacheEntries(_ settings: AuthorizationSettings, now time: Double) async {
        let expired = localAuthorization.cache.removeExpired(now: time, lifeTime: settings.cacheLifeTime)
        if !expired.isEmpty { await persistCache(saving: [], removing: expired) }
    }

    func persistCache(saving saved: [StoredAuthorization], removing removed: [String]) async {
        do {
            try await authorizationStore.updateAuthorizationCache(saving: saved, removing: removed)
        } catch {
            logger.error("cannot persist the authorization cache: \(error)")
        }
    }

    /// Loads the list and the cache at start.
    func loadAuthorization() async {
        do {
            let (version, entries) = try await authorizationStore.localAuthorizationList()
            localAuthorization.list = LocalAuthorizationList(version: version, entries: entries)
            localAuthorization.cache = AuthorizationCache(try await authorizationStore.authorizationCache())
        } catch {
            logger.error("cannot read the authorization cache and local list: \(error)")
        }
    }

}

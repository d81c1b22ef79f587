// The authorization block's storage port: the authorization cache (C10, C10.FR.02 persistent) and the Local
// Authorization List (D01.FR.10 persistent). The SQLite backend lives in OCPPStationStorage;
// `InMemoryAuthorizationStore` keeps nothing across a restart.
public import OCPPMessages
internal import Synchronization

/// One idToken with what the CSMS said about it.
public struct StoredAuthorization: Sendable, Hashable {
    public var idToken: IdTokenType
    public var idTokenInfo: IdTokenInfoType
    /// Cache only: when the entry was last used or updated (station clock, seconds since 1970): the LRU order and
    /// the start of AuthCacheLifeTime (C10.FR.08).
    public var lastUsed: Double

    public init(idToken: IdTokenType, idTokenInfo: IdTokenInfoType, lastUsed: Double = 0) {
        self.idToken = idToken
        self.idTokenInfo = idTokenInfo
        self.lastUsed = lastUsed
    }

    /// The identity of an idToken: its value and type (additionalInfo does not make another token).
    public var key: String { idToken.authorizationKey }
}

extension IdTokenType {
    /// The identity of an idToken in the cache and the local list: its value and its type.
    public var authorizationKey: String { type.rawValue + "\u{1F}" + idToken }
}

public protocol AuthorizationStore: Sendable {
    func authorizationCache() async throws -> [StoredAuthorization]
    /// Writes `saved` and deletes `removed` (keys), in one commit.
    func updateAuthorizationCache(saving saved: [StoredAuthorization], removing removed: [String]) async throws
    func clearAuthorizationCache() async throws
    /// The list's version (0: none received, D02.FR.02) and its entries.
    func localAuthorizationList() async throws -> (version: Int, entries: [StoredAuthorization])
    /// Sets the version and applies the change, in one commit: with `replacing`, the list becomes `saved`.
    func updateLocalAuthorizationList(version: Int, replacing: Bool, saving saved: [StoredAuthorization], removing removed: [String])
        async throws
}

public final class InMemoryAuthorizationStore: AuthorizationStore {
    private struct State {
        var cache: [String: StoredAuthorization] = [:]
        var listVersion = 0
        var list: [String: StoredAuthorization] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    public func authorizationCache() async throws -> [StoredAuthorization] { state.withLock { Array($0.cache.values) } }

    public func updateAuthorizationCache(saving saved: [StoredAuthorization], removing removed: [String]) async throws {
        state.withLock { state in
            for key in removed { state.cache[key] = nil }
            for entry in saved { state.cache[entry.key] = entry }
        }
    }

    public func clearAuthorizationCache() async throws { state.withLock { $0.cache = [:] } }

    public func localAuthorizationList() async throws -> (version: Int, entries: [StoredAuthorization]) {
        state.withLock { ($0.listVersion, Array($0.list.values)) }
    }

    public func updateLocalAuthorizationList(
        version: Int, replacing: Bool, saving saved: [StoredAuthorization], removing removed: [String]
    ) async throws {
        state.withLock { state in
            state.listVersion = version
            if replacing { state.list = [:] }
            for key in removed { state.list[key] = nil }
            for entry in saved { state.list[entry.key] = entry }
        }
    }
}

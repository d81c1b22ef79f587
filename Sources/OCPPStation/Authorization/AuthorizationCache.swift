// C10-C12: the authorization cache. Every idTokenInfo the CSMS sends (AuthorizeResponse, TransactionEventResponse)
// is kept, whatever its status (C10.FR.01), until it expires or room is needed. A value type: the station persists
// what each change returns (C10.FR.02) through the AuthorizationStore port.
public import OCPPMessages

public struct AuthorizationCache: Sendable, Hashable {
    public private(set) var entries: [String: StoredAuthorization]

    public init(_ entries: [StoredAuthorization] = []) {
        self.entries = Dictionary(entries.map { ($0.key, $0) }, uniquingKeysWith: { $1 })
    }

    /// C10.FR.13: cacheExpiryDateTime when the CSMS gave one; otherwise C10.FR.08: AuthCacheLifeTime after the last
    /// use (no lifetime configured: no expiry).
    public static func isExpired(_ entry: StoredAuthorization, now: Double, lifeTime: Int?) -> Bool {
        if let expiry = entry.idTokenInfo.cacheExpiryDateTime { return now >= expiry.secondsSince1970 }
        guard let lifeTime, lifeTime > 0 else { return false }
        return now >= entry.lastUsed + Double(lifeTime)
    }

    /// The valid entry for this token, if any.
    public func entry(for token: IdTokenType, now: Double, lifeTime: Int?) -> StoredAuthorization? {
        guard let entry = entries[token.authorizationKey], !Self.isExpired(entry, now: now, lifeTime: lifeTime) else { return nil }
        return entry
    }

    /// C10.FR.10: expired entries are removed; returns their keys (to delete on disk).
    public mutating func removeExpired(now: Double, lifeTime: Int?) -> [String] {
        let expired = entries.values.filter { Self.isExpired($0, now: now, lifeTime: lifeTime) }.map(\.key)
        for key in expired { entries[key] = nil }
        return expired
    }

    /// Marks an entry used now (the LRU order, and the start of its lifetime). Returns it to persist.
    public mutating func touch(_ token: IdTokenType, now: Double) -> StoredAuthorization? {
        entries[token.authorizationKey]?.lastUsed = now
        return entries[token.authorizationKey]
    }

    /// Stores what the CSMS said (C10.FR.04/05, C12.FR.06). When the entries would exceed `maxBytes`
    /// (AuthCacheCtrlr.Storage maxLimit), older entries make room (C10.FR.07): first those not Accepted, then the least
    /// recently used (Policy LRU). Returns the entry to save and the keys removed.
    public mutating func record(
        _ token: IdTokenType, _ info: IdTokenInfoType, now: Double, maxBytes: Int?
    ) -> (saved: StoredAuthorization, removed: [String]) {
        let entry = StoredAuthorization(idToken: token, idTokenInfo: info, lastUsed: now)
        entries[entry.key] = entry
        var removed: [String] = []
        if let maxBytes {
            var total = bytes
            let victims = entries.values.filter { $0.key != entry.key }.sorted {
                ($0.idTokenInfo.status == .accepted ? 1 : 0, $0.lastUsed) < ($1.idTokenInfo.status == .accepted ? 1 : 0, $1.lastUsed)
            }
            for victim in victims where total > maxBytes {
                total -= Self.bytes(victim)
                entries[victim.key] = nil
                removed.append(victim.key)
            }
        }
        return (entry, removed)
    }

    public mutating func remove(_ token: IdTokenType) -> Bool {
        entries.removeValue(forKey: token.authorizationKey) != nil
    }

    public mutating func clear() { entries = [:] }

    /// What the entries take, as AuthCacheCtrlr.Storage reports it: the bytes of their JSON.
    public var bytes: Int { entries.values.reduce(0) { $0 + Self.bytes($1) } }

    static func bytes(_ entry: StoredAuthorization) -> Int {
        entry.idToken.toJSON().serialized().utf8.count + entry.idTokenInfo.toJSON().serialized().utf8.count
    }
}

// D01/D02: the Local Authorization List. Only SendLocalList changes it (D01.FR.09); it is persisted (D01.FR.10) and
// takes precedence over the cache for the same idToken (C13.FR.01, C14.FR.01).
public import OCPPMessages

public struct LocalAuthorizationList: Sendable, Hashable {
    /// 0 until the CSMS sent a list (D02.FR.02).
    public private(set) var version: Int
    public private(set) var entries: [String: StoredAuthorization]

    public init(version: Int = 0, entries: [StoredAuthorization] = []) {
        self.version = version
        self.entries = Dictionary(entries.map { ($0.key, $0) }, uniquingKeysWith: { $1 })
    }

    public func entry(for token: IdTokenType) -> StoredAuthorization? { entries[token.authorizationKey] }

    /// What a SendLocalListRequest changes, before anything is written.
    public struct Change: Sendable, Hashable {
        public var version: Int
        public var replacing: Bool
        public var saved: [StoredAuthorization]
        public var removed: [String]
    }

    /// The change a request asks for, or why it is refused. `maxEntries` is LocalAuthListCtrlr.Entries' maxLimit,
    /// `itemsPerMessage` LocalAuthListCtrlr.ItemsPerMessage (D01.FR.11).
    public func change(
        for request: SendLocalListRequest, maxEntries: Int?, itemsPerMessage: Int?
    ) -> Result<Change, Refusal> {
        let items = request.localAuthorizationList ?? []
        if let itemsPerMessage, items.count > itemsPerMessage {
            return .failure(Refusal(.failed, "TooManyElements", "more than ItemsPerMessage (\(itemsPerMessage)) entries"))
        }
        // D01.FR.06: every idToken in the list once.
        if Set(items.map(\.idToken.authorizationKey)).count != items.count {
            return .failure(Refusal(.failed, "InvalidValue", "an idToken appears twice"))
        }
        var change = Change(version: request.versionNumber, replacing: request.updateType == .full, saved: [], removed: [])
        var resulting: Set<String>
        switch request.updateType {
        case .full:
            // D01.FR.04/15: the list becomes the one sent (an empty one when none is given).
            for item in items {
                guard let info = item.idTokenInfo else {
                    return .failure(Refusal(.failed, "MissingParam", "a full update needs idTokenInfo for every entry"))
                }
                change.saved.append(StoredAuthorization(idToken: item.idToken, idTokenInfo: info))
            }
            resulting = Set(change.saved.map(\.key))
        case .differential:
            // D01.FR.19: a version not newer than ours is refused.
            if request.versionNumber <= version { return .failure(Refusal(.versionMismatch, "InvalidValue", "the list is at version \(version)")) }
            resulting = Set(entries.keys)
            for item in items {
                if let info = item.idTokenInfo {
                    // D01.FR.16: entries with idTokenInfo are added or updated.
                    change.saved.append(StoredAuthorization(idToken: item.idToken, idTokenInfo: info))
                    resulting.insert(item.idToken.authorizationKey)
                } else {
                    // D01.FR.17: entries without are removed.
                    change.removed.append(item.idToken.authorizationKey)
                    resulting.remove(item.idToken.authorizationKey)
                }
            }
        }
        if let maxEntries, resulting.count > maxEntries {
            return .failure(Refusal(.failed, "TooManyElements", "the list would hold \(resulting.count) entries, at most \(maxEntries)"))
        }
        return .success(change)
    }

    /// Applies a change once it is on disk.
    public mutating func apply(_ change: Change) {
        version = change.version
        if change.replacing { entries = [:] }
        for key in change.removed { entries[key] = nil }
        for entry in change.saved { entries[entry.key] = entry }
    }

    public struct Refusal: Error, Sendable, Hashable {
        public var status: SendLocalListStatusEnumType
        public var reasonCode: String
        public var additionalInfo: String?

        init(_ status: SendLocalListStatusEnumType, _ reasonCode: String, _ additionalInfo: String? = nil) {
            self.status = status
            self.reasonCode = reasonCode
            self.additionalInfo = additionalInfo
        }
    }

    /// LocalAuthListCtrlr.Storage: the bytes of the entries' JSON.
    public var bytes: Int { entries.values.reduce(0) { $0 + AuthorizationCache.bytes($1) } }
}

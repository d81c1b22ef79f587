// C10-C16: what the station decides on a presented idToken without the CSMS, from the Local Authorization List,
// the authorization cache and the AuthCtrlr / AuthCacheCtrlr / LocalAuthListCtrlr variables. A value type with no
// I/O; the station asks the CSMS when it says so and persists the changes.
public import OCPPMessages

/// The variables that steer authorization, read from the device model before each decision (a SetVariables takes
/// effect at once).
public struct AuthorizationSettings: Sendable, Hashable {
    public var localAuthorizeOffline = true
    public var localPreAuthorize = false
    public var offlineTxForUnknownId = false
    public var disableRemoteAuthorization = false
    public var masterPassGroupId: String?
    public var cacheEnabled = false
    public var cacheLifeTime: Int?
    public var cacheMaxBytes: Int?
    public var cacheDisablePostAuthorize = false
    public var listEnabled = false
    public var listMaxEntries: Int?
    public var listItemsPerMessage: Int?
    public var listDisablePostAuthorize = false

    public init() {}

    public init(_ model: DeviceModel) {
        func flag(_ component: String, _ variable: String, _ fallback: Bool) -> Bool {
            model.string(component, variable).map { $0 == "true" } ?? fallback
        }
        localAuthorizeOffline = flag("AuthCtrlr", "LocalAuthorizeOffline", true)
        localPreAuthorize = flag("AuthCtrlr", "LocalPreAuthorize", false)
        offlineTxForUnknownId = flag("AuthCtrlr", "OfflineTxForUnknownIdEnabled", false)
        disableRemoteAuthorization = flag("AuthCtrlr", "DisableRemoteAuthorization", false)
        masterPassGroupId = model.string("AuthCtrlr", "MasterPassGroupId").flatMap { $0.isEmpty ? nil : $0 }
        cacheEnabled = flag("AuthCacheCtrlr", "Enabled", false) && flag("AuthCacheCtrlr", "Available", true)
        cacheLifeTime = model.integer("AuthCacheCtrlr", "LifeTime")
        cacheMaxBytes = model.maxLimit("AuthCacheCtrlr", "Storage")
        cacheDisablePostAuthorize = flag("AuthCacheCtrlr", "DisablePostAuthorize", false)
        listEnabled = flag("LocalAuthListCtrlr", "Enabled", false) && flag("LocalAuthListCtrlr", "Available", true)
        listMaxEntries = model.maxLimit("LocalAuthListCtrlr", "Entries")
        listItemsPerMessage = model.integer("LocalAuthListCtrlr", "ItemsPerMessage")
        listDisablePostAuthorize = flag("LocalAuthListCtrlr", "DisablePostAuthorize", false)
    }
}

extension DeviceModel {
    /// The maxLimit of a variable's characteristics, as an integer.
    func maxLimit(_ component: String, _ variable: String) -> Int? {
        guard case .found(_, let characteristics) = lookup(VariableAttributeKey(component: component, variable: variable)),
            let limit = characteristics.maxLimit
        else { return nil }
        return Int(limit)
    }
}

/// The authorization block's state: the local list and the cache.
public struct LocalAuthorization: Sendable, Hashable {
    public var list = LocalAuthorizationList()
    public var cache = AuthorizationCache()

    public init(list: LocalAuthorizationList = .init(), cache: AuthorizationCache = .init()) {
        self.list = list
        self.cache = cache
    }

    public enum Source: Sendable, Hashable { case localList, cache }

    /// What to do about a presented idToken.
    public enum Verdict: Sendable, Hashable {
        /// Decided here, by what the list or the cache holds.
        case local(IdTokenInfoType, Source)
        /// Send AuthorizeRequest (C01.FR.02, C10.FR.03, C14.FR.03).
        case askCSMS
        /// Offline and in neither the list nor the cache: OfflineTxForUnknownIdEnabled decides (C13.FR.02/04, C15.FR.08).
        case unknownOffline
        /// Known here, and nothing may be asked: not authorized.
        case refused(IdTokenInfoType?)
    }

    public func verdict(for token: IdTokenType, online: Bool, _ settings: AuthorizationSettings, now: Double) -> Verdict {
        // NoAuthorization: nothing to check (the idToken only says so, AuthCtrlr.Enabled false on the CSMS's side).
        if token.type == .noAuthorization { return .local(IdTokenInfoType(status: .accepted), .localList) }
        let mayAsk = online && !settings.disableRemoteAuthorization
        // C13.FR.01 / C14.FR.01: the list wins over the cache for the same idToken. C14.FR.05: an entry past its
        // cacheExpiryDateTime counts as absent.
        let listEntry = settings.listEnabled ? list.entry(for: token).flatMap { entry -> StoredAuthorization? in
            if let expiry = entry.idTokenInfo.cacheExpiryDateTime, now >= expiry.secondsSince1970 { return nil }
            return entry
        } : nil
        let cacheEntry = settings.cacheEnabled ? cache.entry(for: token, now: now, lifeTime: settings.cacheLifeTime) : nil
        guard let found = listEntry.map({ ($0, Source.localList) }) ?? cacheEntry.map({ ($0, Source.cache) }) else {
            if mayAsk { return .askCSMS }
            return online ? .refused(nil) : .unknownOffline
        }
        let (entry, source) = found
        let info = entry.idTokenInfo
        if info.status == .accepted {
            if online {
                // LocalPreAuthorize: start at once on a local Accepted (C12.FR.02, C14.FR.02); otherwise ask.
                return settings.localPreAuthorize || !mayAsk ? .local(info, source) : .askCSMS
            }
            // LocalAuthorizeOffline: offline, a local Accepted authorizes (C12, C13.FR.02-06).
            return settings.localAuthorizeOffline ? .local(info, source) : .refused(info)
        }
        // Known but not Accepted: online, ask again (C10.FR.03, C12.FR.05, C14.FR.03) unless DisablePostAuthorize.
        let postAuthorizeDisabled = source == .cache ? settings.cacheDisablePostAuthorize : settings.listDisablePostAuthorize
        if mayAsk && !postAuthorizeDisabled { return .askCSMS }
        return .local(info, source)
    }
}

// What the authorization cache and the Local Authorization List hold, read live: AuthCacheCtrlr.Storage and
// LocalAuthListCtrlr.Storage (bytes of the entries' JSON; maxLimit is the room), LocalAuthListCtrlr.Entries (D01.FR.12).
internal import OCPPMessages

extension ChargingStation {
    static let authorizationVariables: [VariableBinding] = [
        .live("AuthCacheCtrlr", "Storage") { station, _ in String(station.localAuthorization.cache.bytes) },
        .live("LocalAuthListCtrlr", "Entries") { station, _ in String(station.localAuthorization.list.entries.count) },
        .live("LocalAuthListCtrlr", "Storage") { station, _ in String(station.localAuthorization.list.bytes) },
    ]
}

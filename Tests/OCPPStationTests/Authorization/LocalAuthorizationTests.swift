import OCPPMessages
import Testing

@testable import OCPPStation

/// C10-C14 and D01 as value types: the cache's expiry and LRU room-making, the local list's updates, and the
/// verdict on a presented idToken.
struct LocalAuthorizationTests {
    let card = IdTokenType(idToken: "CARD", type: .iso14443)
    let other = IdTokenType(idToken: "OTHER", type: .iso14443)
    let accepted = IdTokenInfoType(status: .accepted)

    func settings(_ body: (inout AuthorizationSettings) -> Void = { _ in }) -> AuthorizationSettings {
        var settings = AuthorizationSettings()
        settings.cacheEnabled = true
        settings.listEnabled = true
        body(&settings)
        return settings
    }

    @Test func cacheEntriesExpireByLifeTimeSinceLastUseOrByCacheExpiryDateTime() {
        var cache = AuthorizationCache()
        _ = cache.record(card, accepted, now: 100, maxBytes: nil)
        #expect(cache.entry(for: card, now: 150, lifeTime: 60) != nil)
        _ = cache.touch(card, now: 150)
        #expect(cache.entry(for: card, now: 200, lifeTime: 60) != nil)  // C10.FR.08: since last used
        #expect(cache.entry(for: card, now: 210, lifeTime: 60) == nil)
        _ = cache.record(other, IdTokenInfoType(status: .accepted, cacheExpiryDateTime: OCPPDateTime(secondsSince1970: 120)), now: 100, maxBytes: nil)
        #expect(cache.entry(for: other, now: 119, lifeTime: 1000) != nil)  // C10.FR.13
        #expect(cache.entry(for: other, now: 120, lifeTime: 1000) == nil)
        let expired = cache.removeExpired(now: 300, lifeTime: 60)
        #expect(expired.sorted() == [card.authorizationKey, other.authorizationKey].sorted())
        #expect(cache.entries.isEmpty)
    }

    @Test func aFullCacheDropsEntriesNotAcceptedFirstThenTheLeastRecentlyUsed() {
        var cache = AuthorizationCache()
        let tokens = (0..<4).map { IdTokenType(idToken: "T\($0)", type: .iso14443) }
        _ = cache.record(tokens[0], accepted, now: 1, maxBytes: nil)
        _ = cache.record(tokens[1], IdTokenInfoType(status: .blocked), now: 2, maxBytes: nil)
        _ = cache.record(tokens[2], accepted, now: 3, maxBytes: nil)
        _ = cache.touch(tokens[0], now: 4)
        let perEntry = AuthorizationCache.bytes(cache.entries.values.first { $0.idTokenInfo.status == .accepted }!)
        let (_, removed) = cache.record(tokens[3], accepted, now: 5, maxBytes: perEntry * 2)
        // C10.FR.07: the Blocked entry first, then T2 (T0 was used more recently).
        #expect(removed == [tokens[1].authorizationKey, tokens[2].authorizationKey])
        #expect(Set(cache.entries.keys) == [tokens[0].authorizationKey, tokens[3].authorizationKey])
    }

    @Test func localListFullDifferentialVersionMismatchAndLimit() {
        var list = LocalAuthorizationList()
        let full = SendLocalListRequest(
            localAuthorizationList: [AuthorizationData(idToken: card, idTokenInfo: accepted)], versionNumber: 5, updateType: .full)
        guard case .success(let change) = list.change(for: full, maxEntries: 2, itemsPerMessage: nil) else {
            Issue.record("full update refused")
            return
        }
        list.apply(change)
        #expect(list.version == 5 && list.entry(for: card) != nil)
        let stale = SendLocalListRequest(localAuthorizationList: [], versionNumber: 5, updateType: .differential)
        #expect(throws: LocalAuthorizationList.Refusal.self) { try list.change(for: stale, maxEntries: 2, itemsPerMessage: nil).get() }
        #expect((try? list.change(for: stale, maxEntries: 2, itemsPerMessage: nil).get()) == nil)
        if case .failure(let refusal) = list.change(for: stale, maxEntries: 2, itemsPerMessage: nil) {
            #expect(refusal.status == .versionMismatch)  // D01.FR.19
        }
        let third = IdTokenType(idToken: "THIRD", type: .iso14443)
        let tooMany = SendLocalListRequest(
            localAuthorizationList: [AuthorizationData(idToken: other, idTokenInfo: accepted), AuthorizationData(idToken: third, idTokenInfo: accepted)],
            versionNumber: 6, updateType: .differential)
        if case .failure(let refusal) = list.change(for: tooMany, maxEntries: 2, itemsPerMessage: nil) {
            #expect(refusal.status == .failed)
        } else {
            Issue.record("a list beyond maxEntries was accepted")
        }
        let removal = SendLocalListRequest(
            localAuthorizationList: [AuthorizationData(idToken: card), AuthorizationData(idToken: other, idTokenInfo: accepted)],
            versionNumber: 6, updateType: .differential)
        guard case .success(let next) = list.change(for: removal, maxEntries: 2, itemsPerMessage: nil) else {
            Issue.record("differential update refused")
            return
        }
        list.apply(next)
        #expect(list.version == 6 && list.entry(for: card) == nil && list.entry(for: other) != nil)  // D01.FR.16/17
    }

    @Test func theListWinsOverTheCacheAndLocalAcceptedNeedsPreAuthorizeOnlineOrLocalAuthorizeOffline() {
        var state = LocalAuthorization()
        _ = state.cache.record(card, IdTokenInfoType(status: .accepted), now: 0, maxBytes: nil)
        state.list.apply(.init(version: 1, replacing: true, saved: [StoredAuthorization(idToken: card, idTokenInfo: IdTokenInfoType(status: .blocked))], removed: []))
        // C13.FR.01: the list's Blocked wins; online it is asked again (C14.FR.03).
        #expect(state.verdict(for: card, online: true, settings(), now: 1) == .askCSMS)
        #expect(state.verdict(for: card, online: false, settings(), now: 1) == .local(IdTokenInfoType(status: .blocked), .localList))
        // The list disabled: the cache's Accepted, only with LocalPreAuthorize online.
        let noList = settings { $0.listEnabled = false }
        #expect(state.verdict(for: card, online: true, noList, now: 1) == .askCSMS)
        #expect(state.verdict(for: card, online: true, settings { $0.listEnabled = false; $0.localPreAuthorize = true }, now: 1)
            == .local(IdTokenInfoType(status: .accepted), .cache))
        #expect(state.verdict(for: card, online: false, settings { $0.listEnabled = false; $0.localAuthorizeOffline = false }, now: 1)
            == .refused(IdTokenInfoType(status: .accepted)))
        // Unknown: asked online, the offline rule offline; DisableRemoteAuthorization never asks.
        #expect(state.verdict(for: other, online: true, settings(), now: 1) == .askCSMS)
        #expect(state.verdict(for: other, online: false, settings(), now: 1) == .unknownOffline)
        #expect(state.verdict(for: other, online: true, settings { $0.disableRemoteAuthorization = true }, now: 1) == .refused(nil))
    }
}

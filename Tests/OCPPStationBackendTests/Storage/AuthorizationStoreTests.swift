import OCPPMessages
import OCPPStation
import Testing

@testable import OCPPStationStorage

/// The authorization cache (C10.FR.02) and the Local Authorization List (D01.FR.10) survive a reopen of station.db.
@Suite struct AuthorizationStoreTests {
    static let card = IdTokenType(idToken: "CARD-1", type: .iso14443)
    static let other = IdTokenType(idToken: "CARD-2", type: .iso14443)

    @Test func cacheAndListSurviveAReopen() async throws {
        try await withDatabasePath { path in
            let store = try SQLiteStationStore(path: path)
            let info = IdTokenInfoType(status: .accepted, groupIdToken: IdTokenType(idToken: "G1", type: .central))
            try await store.updateAuthorizationCache(
                saving: [StoredAuthorization(idToken: Self.card, idTokenInfo: info, lastUsed: 12.5),
                         StoredAuthorization(idToken: Self.other, idTokenInfo: IdTokenInfoType(status: .blocked), lastUsed: 13)],
                removing: [])
            try await store.updateAuthorizationCache(saving: [], removing: [Self.other.authorizationKey])
            try await store.updateLocalAuthorizationList(
                version: 3, replacing: true,
                saving: [StoredAuthorization(idToken: Self.other, idTokenInfo: IdTokenInfoType(status: .accepted))], removing: [])
            try await store.close()

            let reopened = try SQLiteStationStore(path: path)
            #expect(try await reopened.authorizationCache() == [StoredAuthorization(idToken: Self.card, idTokenInfo: info, lastUsed: 12.5)])
            let list = try await reopened.localAuthorizationList()
            #expect(list.version == 3)
            #expect(list.entries.map(\.idToken) == [Self.other])
            // A Full update replaces, a differential one removes.
            try await reopened.updateLocalAuthorizationList(version: 4, replacing: false, saving: [], removing: [Self.other.authorizationKey])
            #expect(try await reopened.localAuthorizationList().entries.isEmpty)
            #expect(try await reopened.localAuthorizationList().version == 4)
            try await reopened.clearAuthorizationCache()
            #expect(try await reopened.authorizationCache().isEmpty)
            try await reopened.close()
        }
    }
}

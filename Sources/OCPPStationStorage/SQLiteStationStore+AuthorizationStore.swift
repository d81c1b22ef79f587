// The authorization cache and the Local Authorization List in the station's SQLite file (tables of schema version 4).
// Each update is one SQLite transaction: a SendLocalList is on disk whole, with its version, or not at all.
public import OCPPStation
internal import OCPPMessages

extension SQLiteStationStore: AuthorizationStore {
    public func authorizationCache() async throws -> [StoredAuthorization] {
        try await database.run { db in
            try db.rows("SELECT id_token, id_token_info, last_used FROM auth_cache") { row throws(SQLiteError) in
                (try row[0] as String, try row[1] as String, try row[2] as Double)
            }.compactMap { token, info, lastUsed in Self.decode(token, info, lastUsed: lastUsed) }
        }
    }

    public func updateAuthorizationCache(saving saved: [StoredAuthorization], removing removed: [String]) async throws {
        try await database.run { db in
            try db.transaction {
                for key in removed { try db.run("DELETE FROM auth_cache WHERE key = ?", key) }
                for entry in saved {
                    try db.run(
                        "INSERT OR REPLACE INTO auth_cache (key, id_token, id_token_info, last_used) VALUES (?, ?, ?, ?)",
                        entry.key, entry.idToken.toJSON().serialized(), entry.idTokenInfo.toJSON().serialized(), entry.lastUsed)
                }
            }
        }
    }

    public func clearAuthorizationCache() async throws {
        try await database.run { db in try db.run("DELETE FROM auth_cache") }
    }

    public func localAuthorizationList() async throws -> (version: Int, entries: [StoredAuthorization]) {
        try await database.run { db in
            let version: Int = try db.value("SELECT version FROM local_list_version WHERE id = 1") ?? 0
            let entries = try db.rows("SELECT id_token, id_token_info FROM local_list") { row throws(SQLiteError) in
                (try row[0] as String, try row[1] as String)
            }.compactMap { token, info in Self.decode(token, info, lastUsed: 0) }
            return (version, entries)
        }
    }

    public func updateLocalAuthorizationList(
        version: Int, replacing: Bool, saving saved: [StoredAuthorization], removing removed: [String]
    ) async throws {
        try await database.run { db in
            try db.transaction {
                try db.run("INSERT OR REPLACE INTO local_list_version (id, version) VALUES (1, ?)", version)
                if replacing { try db.run("DELETE FROM local_list") }
                for key in removed { try db.run("DELETE FROM local_list WHERE key = ?", key) }
                for entry in saved {
                    try db.run(
                        "INSERT OR REPLACE INTO local_list (key, id_token, id_token_info) VALUES (?, ?, ?)",
                        entry.key, entry.idToken.toJSON().serialized(), entry.idTokenInfo.toJSON().serialized())
                }
            }
        }
    }

    /// A row back as an entry; nil (skipped) when its JSON is not an idToken and idTokenInfo.
    private static func decode(_ token: String, _ info: String, lastUsed: Double) -> StoredAuthorization? {
        guard let tokenJSON = try? JSONParser.parse(token), let infoJSON = try? JSONParser.parse(info),
            let idToken = try? IdTokenType(json: tokenJSON), let idTokenInfo = try? IdTokenInfoType(json: infoJSON)
        else { return nil }
        return StoredAuthorization(idToken: idToken, idTokenInfo: idTokenInfo, lastUsed: lastUsed)
    }
}

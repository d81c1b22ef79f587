// Block H: the reservations the station holds, as a value type: which EVSEs they keep for their idToken (a specific
// EVSE, any EVSE, or any EVSE with a connector type, H01.FR.04/06/07/09/20/24), who may use them (H03: the idToken
// or its groupIdToken), and when they expire (H04). Persisted by the station after each change, so a reservation
// and the Reserved state survive a reboot (B11.FR.05).
public import OCPPMessages

public struct Reservation: Sendable, Hashable {
    public var id: Int
    /// Station clock, seconds since 1970.
    public var expiresAt: Double
    public var idToken: IdTokenType
    public var groupIdToken: IdTokenType?
    /// The EVSE reserved; nil: any EVSE (of `connectorType` when given).
    public var evseId: Int?
    /// A ConnectorEnumType value.
    public var connectorType: String?

    public init(id: Int, expiresAt: Double, idToken: IdTokenType, groupIdToken: IdTokenType? = nil, evseId: Int? = nil, connectorType: String? = nil) {
        self.id = id
        self.expiresAt = expiresAt
        self.idToken = idToken
        self.groupIdToken = groupIdToken
        self.evseId = evseId
        self.connectorType = connectorType
    }

    /// H03.FR.01-06: the reserved idToken, or any idToken of the reservation's group.
    public func isFor(_ token: IdTokenType, group: IdTokenType?) -> Bool {
        if token.idToken == idToken.idToken && token.type == idToken.type { return true }
        guard let mine = groupIdToken, let group else { return false }
        return mine.idToken == group.idToken && mine.type == group.type
    }

    /// Whether this reservation may be served by an EVSE.
    func fits(_ evse: EVSEDescription) -> Bool {
        if let evseId, evse.id != evseId { return false }
        if let connectorType, !evse.connectors.contains(where: { $0.type == connectorType }) { return false }
        return true
    }
}

public struct Reservations: Sendable, Hashable {
    public private(set) var byId: [Int: Reservation] = [:]

    public init(_ reservations: [Reservation] = []) {
        for reservation in reservations { byId[reservation.id] = reservation }
    }

    public var isEmpty: Bool { byId.isEmpty }
    public var nextExpiry: Double? { byId.values.map(\.expiresAt).min() }

    public mutating func add(_ reservation: Reservation) { byId[reservation.id] = reservation }

    @discardableResult
    public mutating func remove(id: Int) -> Reservation? { byId.removeValue(forKey: id) }

    /// H04.FR.01: the reservations whose expiry passed, removed.
    public mutating func removeExpired(now: Double) -> [Reservation] {
        let expired = byId.values.filter { $0.expiresAt <= now }.sorted { $0.id < $1.id }
        for reservation in expired { byId[reservation.id] = nil }
        return expired
    }

    /// The EVSEs held for reservations, given which EVSEs are free (no session, operative, not faulted): each
    /// specific reservation holds its EVSE; the others hold every free EVSE that fits them once there are no more
    /// free EVSEs than such reservations (H01.FR.07/09/20/24), so one stays available for each.
    public func heldEVSEs(_ evses: [EVSEDescription], free: Set<Int>) -> [Int: [Reservation]] {
        var held: [Int: [Reservation]] = [:]
        for reservation in byId.values.sorted(by: { $0.id < $1.id }) {
            if let evse = reservation.evseId {
                held[evse, default: []].append(reservation)
                continue
            }
            let candidates = evses.filter { free.contains($0.id) && held[$0.id] == nil && reservation.fits($0) }
            let competing = byId.values.filter { $0.evseId == nil && candidates.contains(where: $0.fits) }.count
            if candidates.count <= competing {
                for evse in candidates { held[evse.id, default: []].append(reservation) }
            }
        }
        // An EVSE counted for a non-specific reservation is held for every non-specific one it fits.
        return held
    }

    /// The reservation a token uses when it starts a session on an EVSE (H03.FR.09), if any.
    public func reservation(for token: IdTokenType, group: IdTokenType?, on evse: EVSEDescription) -> Reservation? {
        byId.values.sorted { ($0.evseId == nil ? 1 : 0, $0.id) < ($1.evseId == nil ? 1 : 0, $1.id) }
            .first { $0.isFor(token, group: group) && $0.fits(evse) }
    }

    // MARK: Persistence

    public func toJSON() -> JSONValue {
        .array(byId.values.sorted { $0.id < $1.id }.map { reservation -> JSONValue in
            var o = JSONObject()
            o["id"] = .int(Int64(reservation.id))
            o["expiresAt"] = .double(reservation.expiresAt)
            o["idToken"] = reservation.idToken.toJSON()
            o["groupIdToken"] = reservation.groupIdToken?.toJSON()
            o["evseId"] = reservation.evseId.map { .int(Int64($0)) }
            o["connectorType"] = reservation.connectorType.map { .string($0) }
            return .object(o)
        })
    }

    public init(json: JSONValue) {
        for item in json.arrayValue ?? [] {
            guard let id = item["id"]?.intValue, let expiresAt = item["expiresAt"]?.doubleValue,
                let token = item["idToken"].flatMap({ try? IdTokenType(json: $0) })
            else { continue }
            add(Reservation(
                id: Int(id), expiresAt: expiresAt, idToken: token,
                groupIdToken: item["groupIdToken"].flatMap { try? IdTokenType(json: $0) },
                evseId: item["evseId"]?.intValue.map { Int($0) }, connectorType: item["connectorType"]?.stringValue))
        }
    }
}

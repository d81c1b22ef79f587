// H01: ReserveNow. Rejected when reservations are disabled (H01.FR.01) or, without an EVSE, not allowed
// (H01.FR.18/19); a known id replaces its reservation (H01.FR.02). Otherwise the targeted EVSEs decide: Accepted when
// one is free (H01.FR.03/04/06/23), else Faulted (H01.FR.12), Unavailable (H01.FR.14) or Occupied (H01.FR.11). The
// reservation is on disk before Accepted is answered; the Reserved status follows as StatusNotification.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func reserveNow(_ request: ReserveNowRequest) async -> ReserveNowResponse {
        func answer(_ status: ReserveNowStatusEnumType, _ reason: String? = nil) -> ReserveNowResponse {
            ReserveNowResponse(status: status, statusInfo: reason.map { StatusInfoType(reasonCode: $0) })
        }
        guard deviceModel.string("ReservationCtrlr", "Enabled") == "true", deviceModel.string("ReservationCtrlr", "Available") != "false"
        else { return answer(.rejected, "NotEnabled") }
        if request.evseId == nil && deviceModel.string("ReservationCtrlr", "NonEvseSpecific") != "true" {
            return answer(.rejected, "UnsupportedRequest")
        }
        // H01.FR.02: the same id replaces the reservation, so it does not count against the new one.
        var others = reservations
        others.remove(id: request.id)
        let reservation = Reservation(
            id: request.id, expiresAt: request.expiryDateTime.secondsSince1970, idToken: request.idToken,
            groupIdToken: request.groupIdToken, evseId: request.evseId, connectorType: request.connectorType?.rawValue)
        let targets = board.evses.filter(reservation.fits)
        if targets.isEmpty { return answer(.rejected, request.evseId == nil ? "UnknownConnectorType" : "UnknownEvse") }
        let free = freeEVSEs
        let held = others.heldEVSEs(board.evses, free: free)
        let available = targets.filter { free.contains($0.id) && held[$0.id] == nil }
        // Any EVSE: one must stay free for each reservation that may use it (H01.FR.07/09).
        let competing = others.byId.values.filter { $0.evseId == nil && targets.contains(where: $0.fits) }.count
        if available.isEmpty || (request.evseId == nil && available.count <= competing) {
            let statuses = targets.flatMap { evse in evse.connectors.map { connectorStatus(ConnectorKey(evse: evse.id, connector: $0.id)) } }
            if statuses.allSatisfy({ $0 == .faulted }) { return answer(.faulted) }
            if statuses.allSatisfy({ $0 == .unavailable }) { return answer(.unavailable) }
            return answer(.occupied)
        }
        others.add(reservation)
        guard await adoptReservations(others) else { return answer(.rejected, "InternalError") }
        logger.info("ReserveNow \(request.id): \(request.evseId.map { "EVSE \($0)" } ?? "any EVSE") for \(request.idToken.idToken)")
        return answer(.accepted)
    }
}

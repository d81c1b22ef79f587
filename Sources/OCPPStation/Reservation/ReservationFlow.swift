// Block H in the station: which EVSEs reservations hold (Reserved, H01.FR.20/23/24), who may start on them (H03),
// a reservation used by its token (H03.FR.09, its id in the TransactionEvent, H01.FR.15), and its end:
// ReservationStatusUpdate Expired (H04.FR.01) or Removed when its EVSE becomes Faulted or Unavailable
// (H01.FR.16/17). The updates go through the outbox: on disk, delivered in order after an outage.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    /// EVSEs a new session could begin on now: operative, not faulted, no cable, no session.
    var freeEVSEs: Set<Int> {
        Set(board.evses.map(\.id).filter { evse in
            guard let session = engine.session(evse), let state = physical[evse] else { return false }
            return state.faults.isEmpty && session.faults.isEmpty && operationalState.isOperative(evse: evse)
                && session.transaction == nil && session.authorization == nil && !state.connectors.contains(where: \.plugged)
        })
    }

    /// The reservations holding each EVSE now.
    var heldEVSEs: [Int: [Reservation]] {
        reservations.isEmpty ? [:] : reservations.heldEVSEs(board.evses, free: freeEVSEs)
    }

    /// H03: whether an EVSE held by reservations takes a new session: only for their idToken or group; nil when no
    /// reservation holds it.
    func reservationAllows(_ evse: Int, for token: IdTokenType?, group: IdTokenType?) -> Bool? {
        guard let held = heldEVSEs[evse] else { return nil }
        guard let token else { return false }
        return held.contains { $0.isFor(token, group: group) }
    }

    /// H03.FR.09: the reservation a token uses on this EVSE is consumed; returns its id for the transaction.
    func consumeReservation(for token: IdTokenType, group: IdTokenType?, on evse: Int) async -> Int? {
        guard let description = board.evses.first(where: { $0.id == evse }),
            let reservation = reservations.reservation(for: token, group: group, on: description)
        else { return nil }
        var next = reservations
        next.remove(id: reservation.id)
        await adoptReservations(next)
        logger.info("reservation \(reservation.id) used by \(token.idToken) on EVSE \(evse)")
        return reservation.id
    }

    /// Persists, then adopts the reservations and reports the connectors whose status changed. False when it could
    /// not be persisted.
    @discardableResult
    func adoptReservations(_ next: Reservations) async -> Bool {
        guard next != reservations else { return true }
        guard await persist(next.toJSON(), forKey: StoreKeys.reservations) else { return false }
        changeStatusInputs { self.reservations = next }
        timerWakeup.wake()
        // A scheduled reset waits for pending reservations (errata 2.14): look again, in order with the other inputs.
        if resetWhenIdle { inputSink.yield(.idleChanged) }
        return true
    }

    /// H04.FR.01 expired reservations, and H01.FR.16/17 those whose EVSE became Faulted or Unavailable, end with a
    /// ReservationStatusUpdate.
    func reviewReservations() async {
        guard !reservations.isEmpty else { return }
        var next = reservations
        var ended = next.removeExpired(now: now().secondsSince1970).map { ($0, ReservationUpdateStatusEnumType.expired) }
        for reservation in next.byId.values.sorted(by: { $0.id < $1.id }) {
            guard let evse = reservation.evseId, let description = board.evses.first(where: { $0.id == evse }) else { continue }
            let statuses = description.connectors.map { connectorStatus(ConnectorKey(evse: evse, connector: $0.id)) }
            if statuses.allSatisfy({ $0 == .faulted || $0 == .unavailable }) {
                next.remove(id: reservation.id)
                ended.append((reservation, .removed))
            }
        }
        guard !ended.isEmpty, await adoptReservations(next) else { return }
        for (reservation, status) in ended {
            logger.info("reservation \(reservation.id) \(status.rawValue)")
            let update = ReservationStatusUpdateRequest(reservationId: reservation.id, reservationUpdateStatus: status)
            await queue(NewOutboxMessage(action: OCPPAction.reservationStatusUpdate.rawValue, payload: update.toJSON().serialized()))
        }
    }

    func loadReservations() async {
        if let json = await persisted(forKey: StoreKeys.reservations) { reservations = Reservations(json: json) }
    }
}

// Block H: reservations.
internal import OCPPMessages

extension ChargingStation {
    static let reservationRoutes: [ActionRoute] = [
        .reply(ReserveNowRequest.self) { station, request in await station.reserveNow(request) },
        .reply(CancelReservationRequest.self) { station, request in await station.cancelReservation(request) },
    ]
}

// H02: CancelReservation. Accepted and cancelled for a known id (H02.FR.02: the EVSE is Available again, H02.FR.03/04);
// Rejected for an unknown one (H02.FR.01).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func cancelReservation(_ request: CancelReservationRequest) async -> CancelReservationResponse {
        var next = reservations
        guard next.remove(id: request.reservationId) != nil else {
            return CancelReservationResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "NotFound"))
        }
        guard await adoptReservations(next) else {
            return CancelReservationResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "InternalError"))
        }
        logger.info("CancelReservation \(request.reservationId)")
        return CancelReservationResponse(status: .accepted)
    }
}

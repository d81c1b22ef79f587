// Block G: availability.
internal import OCPPMessages

extension ChargingStation {
    static let availabilityRoutes: [ActionRoute] = [
        .reply(ChangeAvailabilityRequest.self) { station, request in await station.changeAvailability(request) },
    ]
}

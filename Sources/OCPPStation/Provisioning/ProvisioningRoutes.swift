// Block B (provisioning part): the CALLs about the station's registration and life cycle.
internal import OCPPMessages

extension ChargingStation {
    static let provisioningRoutes: [ActionRoute] = [
        .replyThenRun(ResetRequest.self) { station, request in await station.reset(request) },
        .reply(SetNetworkProfileRequest.self) { station, request in await station.setNetworkProfile(request) },
    ]
}

// Block D: the Local Authorization List's CALLs.
internal import OCPPMessages

extension ChargingStation {
    static let localAuthorizationListRoutes: [ActionRoute] = [
        .reply(SendLocalListRequest.self) { station, request in await station.sendLocalList(request) },
        .reply(GetLocalListVersionRequest.self) { station, request in station.getLocalListVersion(request) },
    ]
}

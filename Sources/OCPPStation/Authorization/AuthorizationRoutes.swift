// Block C: the CALLs about authorization the CSMS sends.
internal import OCPPMessages

extension ChargingStation {
    static let authorizationRoutes: [ActionRoute] = [
        .reply(ClearCacheRequest.self) { station, request in await station.clearCache(request) },
    ]
}

// D02: GetLocalListVersion. The list's version; 0 when no list was received (D02.FR.02) or the list is disabled
// (D02.FR.03).
internal import OCPPMessages

extension ChargingStation {
    func getLocalListVersion(_ request: GetLocalListVersionRequest) -> GetLocalListVersionResponse {
        GetLocalListVersionResponse(
            versionNumber: AuthorizationSettings(deviceModel).listEnabled ? localAuthorization.list.version : 0)
    }
}

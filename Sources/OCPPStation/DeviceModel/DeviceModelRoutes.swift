// Block B (device model part): the CALLs the device model answers.
internal import OCPPMessages

extension ChargingStation {
    static let deviceModelRoutes: [ActionRoute] = [
        .reply(GetVariablesRequest.self) { station, request in try station.getVariables(request) },
        .reply(SetVariablesRequest.self) { station, request in try await station.setVariables(request) },
    ]
}

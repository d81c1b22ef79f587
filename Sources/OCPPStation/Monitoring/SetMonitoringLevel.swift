// N05: SetMonitoringLevel.
internal import OCPPMessages

extension ChargingStation {
    func setMonitoringLevel(_ request: SetMonitoringLevelRequest) async -> SetMonitoringLevelResponse {
        // N05.FR.02: severities are 0 to 9.
        guard (0...9).contains(request.severity) else {
            return SetMonitoringLevelResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "ValueOutOfRange"))
        }
        await setAndKeep(String(request.severity), VariableAttributeKey(component: "MonitoringCtrlr", variable: "ActiveMonitoringLevel"))
        return SetMonitoringLevelResponse(status: .accepted)  // N05.FR.01
    }

    /// N05.FR.03: events of monitors with a severity above this are not notified.
    var monitoringLevel: Int { deviceModel.integer("MonitoringCtrlr", "ActiveMonitoringLevel") ?? 9 }
}

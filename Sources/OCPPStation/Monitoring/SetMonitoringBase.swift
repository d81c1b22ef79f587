// N03: SetMonitoringBase. The station has no preconfigured monitors: All keeps the custom ones, FactoryDefault and
// HardWiredOnly delete them (N03.FR.03-05); the hard-wired monitors stay in every case.
internal import OCPPMessages

extension ChargingStation {
    func setMonitoringBase(_ request: SetMonitoringBaseRequest) async -> SetMonitoringBaseResponse {
        if request.monitoringBase != .all {
            let custom = monitoring.monitors.values.filter { $0.kind != .hardWiredMonitor }.map(\.id)
            for id in custom { monitoring.remove(id) }
            await forgetMonitors(custom)
        }
        await setAndKeep(request.monitoringBase.rawValue, VariableAttributeKey(component: "MonitoringCtrlr", variable: "ActiveMonitoringBase"))
        return SetMonitoringBaseResponse(status: .accepted)  // N03.FR.01
    }

    /// A value the station sets itself and keeps across a reboot when the variable is persistent.
    func setAndKeep(_ value: String, _ key: VariableAttributeKey) async {
        guard deviceModel.value(key) != nil else { return }
        setStationValue(value, for: key)
        guard case .found(let attribute, _) = deviceModel.lookup(key), attribute.persistent else { return }
        try? await store.setVariableValue(value, for: key)
    }
}

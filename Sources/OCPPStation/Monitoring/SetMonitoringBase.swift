// N03: SetMonitoringBase. The station has no preconfigured monitors: All keeps the custom ones, FactoryDefault and
// HardWiredOnly delete them (N03.FR.03-05); the hard-wired monitors stay in every case.
internal import OCPPMessages
internal import Logging

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

    /// The ReadOnly variables the station sets itself on a CSMS request and keeps across a reboot (as settings: the
    /// variable values on disk are the CSMS's writes, which a ReadOnly variable does not take).
    static let keptMonitoringVariables = [
        VariableAttributeKey(component: "MonitoringCtrlr", variable: "ActiveMonitoringBase"),
        VariableAttributeKey(component: "MonitoringCtrlr", variable: "ActiveMonitoringLevel"),
    ]

    func setAndKeep(_ value: String, _ key: VariableAttributeKey) async {
        guard deviceModel.value(key) != nil else { return }
        setStationValue(value, for: key)
        do {
            try await store.setValue(value, forKey: "kept \(key)")
        } catch {
            logger.error("cannot keep \(key): \(error)")
        }
    }

    func restoreKeptVariables() async {
        for key in Self.keptMonitoringVariables {
            if let value = try? await store.value(forKey: "kept \(key)") { setStationValue(value, for: key) }
        }
    }
}

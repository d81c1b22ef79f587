// B08: GetReport, filtered by componentVariable and componentCriteria.
internal import OCPPMessages

extension ChargingStation {
    func getReport(_ request: GetReportRequest) throws -> (GetReportResponse, (@Sendable () async -> Void)?) {
        try checkMessageLimits("GetReport", items: request.componentVariable?.count ?? 0, request.toJSON())  // B08.FR.17/18
        let wanted = request.componentVariable ?? []
        let criteria = request.componentCriteria ?? []
        let selected = deviceModel.allVariables.filter { component, variable in
            // B08.FR.05/11: limited to the componentVariables given; B08.FR.13: any of the criteria.
            (wanted.isEmpty || wanted.contains { Self.matches($0, component, variable) })
                && (criteria.isEmpty || criteria.contains { meets($0, component) })
        }
        // B08.FR.15
        if selected.isEmpty { return (GetReportResponse(status: .emptyResultSet), nil) }
        let pages = notifyReportPages(requestId: request.requestId, selected.map { reportData($0.component, $0.variable) })
        return (GetReportResponse(status: .accepted), { [weak self] in await self?.sendReport(pages) })  // B08.FR.01/03
    }

    /// Whether a variable is one a componentVariable asks for. Whatever it leaves out matches every value: the
    /// variable (B08.FR.20), the variable's instance (B08.FR.21), the connector (B08.FR.22), the EVSE (B08.FR.23),
    /// the component's instance (B08.FR.25).
    static func matches(_ wanted: ComponentVariableType, _ component: DeviceModel.Component, _ variable: DeviceModel.Variable) -> Bool {
        let c = wanted.component
        guard c.name == component.name else { return false }
        if let instance = c.instance, !instance.isEmpty, instance != component.instance { return false }
        if let evse = c.evse {
            if evse.id != component.evseId { return false }
            if let connector = evse.connectorId, connector != component.connectorId { return false }
        }
        guard let v = wanted.variable else { return true }
        if v.name != variable.name { return false }
        if let instance = v.instance, !instance.isEmpty, instance != variable.instance { return false }
        return true
    }

    /// B08.FR.07-10: Active, Available and Enabled hold unless the component has that variable and it is false;
    /// Problem holds only when the component's Problem is true.
    func meets(_ criterion: ComponentCriterionEnumType, _ component: DeviceModel.Component) -> Bool {
        func flag(_ name: String) -> Bool? {
            guard let variable = component.variables.first(where: { $0.name == name && $0.instance == nil }),
                let attribute = variable.attributes.first(where: { $0.type == .actual })
            else { return nil }
            let key = DeviceModel.key(component, variable, .actual)
            return currentValue(key, stored: attribute.value) == "true"
        }
        switch criterion {
        case .active: return flag("Active") ?? true
        case .available: return flag("Available") ?? true
        case .enabled: return flag("Enabled") ?? true
        case .problem: return flag("Problem") ?? false
        }
    }
}

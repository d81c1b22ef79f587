// B06: GetVariables.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func getVariables(_ request: GetVariablesRequest) throws -> GetVariablesResponse {
        if let limit = deviceModel.integer("DeviceDataCtrlr", "ItemsPerMessage", instance: "GetVariables"),
            request.getVariableData.count > limit
        {
            // B06.FR.16
            throw OCPPCallError(.occurrenceConstraintViolation, "more than ItemsPerMessageGetVariables (\(limit)) entries")
        }
        let results = request.getVariableData.map { data -> GetVariableResultType in
            let attributeType = data.attributeType ?? .actual  // B06.FR.11
            let key = VariableAttributeKey(data.component, data.variable, attributeType.rawValue)
            var status: GetVariableStatusEnumType
            var value: String?
            switch deviceModel.lookup(key) {
            case .unknownComponent: status = .unknownComponent  // B06.FR.06
            case .unknownVariable: status = .unknownVariable  // B06.FR.07
            case .unsupportedAttributeType: status = .notSupportedAttributeType  // B06.FR.08
            case .found(let attribute, _):
                if attribute.mutability == "WriteOnly" {
                    status = .rejected  // B06.FR.09
                } else {
                    status = .accepted  // B06.FR.10, B06.FR.13 (an empty value is returned as "")
                    value = String(currentValue(key, stored: attribute.value).prefix(2500))
                }
            }
            return GetVariableResultType(
                attributeStatus: status, attributeType: attributeType, attributeValue: value,
                component: data.component, variable: data.variable)
        }
        return GetVariablesResponse(getVariableResult: results)
    }

    /// Values the station computes when asked rather than stores.
    func currentValue(_ key: VariableAttributeKey, stored: String) -> String {
        if key.component == "ClockCtrlr" && key.variable == "DateTime" && key.attributeType == "Actual" {
            return now().description
        }
        return stored
    }
}

extension VariableAttributeKey {
    init(_ component: ComponentType, _ variable: VariableType, _ attributeType: String) {
        // B06.FR.15: an empty instance means "no instance".
        self.init(
            component: component.name,
            componentInstance: component.instance.flatMap { $0.isEmpty ? nil : $0 },
            evseId: component.evse?.id,
            connectorId: component.evse?.connectorId,
            variable: variable.name,
            variableInstance: variable.instance.flatMap { $0.isEmpty ? nil : $0 },
            attributeType: attributeType)
    }
}

// B06: GetVariables.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func getVariables(_ request: GetVariablesRequest) throws -> GetVariablesResponse {
        try checkMessageLimits("GetVariables", items: request.getVariableData.count, request.toJSON())  // B06.FR.16/17
        let results = request.getVariableData.map { data -> GetVariableResultType in
            let attributeType = data.attributeType ?? .actual  // B06.FR.11
            let key = VariableAttributeKey(data.component, data.variable, attributeType.rawValue)
            var status: GetVariableStatusEnumType
            var info: StatusInfoType?
            var value: String?
            switch deviceModel.lookup(key) {
            case .unknownComponent: status = .unknownComponent  // B06.FR.06
            case .unknownVariable: status = .unknownVariable  // B06.FR.07
            case .unsupportedAttributeType: status = .notSupportedAttributeType  // B06.FR.08
            case .found(let attribute, _):
                if attribute.mutability == .writeOnly {
                    status = .rejected  // B06.FR.09
                    info = StatusInfoType(reasonCode: "WriteOnly")
                } else {
                    status = .accepted  // B06.FR.10, B06.FR.13 (an empty value is returned as "")
                    value = reportable(currentValue(key, stored: attribute.value))
                }
            }
            return GetVariableResultType(
                attributeStatusInfo: info, attributeStatus: status, attributeType: attributeType, attributeValue: value,
                component: data.component, variable: data.variable)
        }
        return GetVariablesResponse(getVariableResult: results)
    }

    /// DeviceDataCtrlr.ItemsPerMessage / BytesPerMessage of a message (instance GetVariables, SetVariables,
    /// GetReport): too many entries is OccurrenceConstraintViolation, too many bytes FormatViolation (B06.FR.16/17,
    /// B08.FR.17/18; SetVariables answered the same way). The bytes are the payload's JSON as the station serializes
    /// it, no longer than the frame it arrived in.
    func checkMessageLimits(_ message: String, items: Int, _ payload: JSONValue, component: String = "DeviceDataCtrlr") throws {
        if let limit = deviceModel.integer(component, "ItemsPerMessage", instance: message), items > limit {
            throw OCPPCallError(.occurrenceConstraintViolation, "\(items) entries, more than ItemsPerMessage\(message) (\(limit))")
        }
        if let limit = deviceModel.integer(component, "BytesPerMessage", instance: message) {
            let bytes = payload.serialized().utf8.count
            if bytes > limit {
                throw OCPPCallError(.formatViolation, "\(bytes) bytes, more than BytesPerMessage\(message) (\(limit))")
            }
        }
    }

    /// A value as it may be reported (GetVariableResult.attributeValue, VariableAttribute.value): cut to
    /// DeviceDataCtrlr.ReportingValueSize (and ValueSize), at most 2500 characters, the schemas' limit.
    func reportable(_ value: String) -> String {
        let limit = [
            deviceModel.integer("DeviceDataCtrlr", "ReportingValueSize"), deviceModel.integer("DeviceDataCtrlr", "ValueSize"), 2500,
        ].compactMap { $0 }.filter { $0 > 0 }.min() ?? 2500
        return value.count > limit ? String(value.prefix(limit)) : value
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

// B05: SetVariables.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func setVariables(_ request: SetVariablesRequest) async throws -> SetVariablesResponse {
        if let limit = deviceModel.integer("DeviceDataCtrlr", "ItemsPerMessage", instance: "SetVariables"),
            request.setVariableData.count > limit
        {
            // B05.FR.11 is the CSMS's duty; answer like B06.FR.16.
            throw OCPPCallError(.occurrenceConstraintViolation, "more than ItemsPerMessageSetVariables (\(limit)) entries")
        }
        var results: [SetVariableResultType] = []
        for data in request.setVariableData {
            let attributeType = data.attributeType ?? .actual  // B05.FR.12
            let key = VariableAttributeKey(data.component, data.variable, attributeType.rawValue)
            var status: SetVariableStatusEnumType
            var info: StatusInfoType?
            let outcome: DeviceModel.WriteResult =
                (TransactionSettings.problem(with: data.attributeValue, for: key) ?? securityProblem(with: data.attributeValue, for: key))
                .map { .rejected(reason: $0) }
                ?? deviceModel.write(data.attributeValue, to: key)
            switch outcome {
            case .unknownComponent: status = .unknownComponent  // B05.FR.04
            case .unknownVariable: status = .unknownVariable  // B05.FR.05
            case .unsupportedAttributeType: status = .notSupportedAttributeType  // B05.FR.06
            case .rejected(let reason):
                status = .rejected  // B05.FR.07-09
                info = StatusInfoType(reasonCode: reason == "ReadOnly" ? "ReadOnly" : "InvalidValue", additionalInfo: String(reason.prefix(512)))
            case .accepted(let persistent):
                status = .accepted  // B05.FR.10
                if persistent {
                    do {
                        try await store.setVariableValue(data.attributeValue, for: key)
                    } catch {
                        logger.error("cannot persist \(key): \(error)")
                        status = .rejected
                        info = StatusInfoType(reasonCode: "InternalError")
                    }
                }
                // A WriteOnly value (BasicAuthPassword) is never logged.
                let written = deviceModel.isWriteOnly(key) ? "(not shown: WriteOnly)" : data.attributeValue
                logger.info("SetVariables: \(key) = \(written)")
                if key == StoreKeys.heartbeatInterval { heartbeatWakeup.wake() }
                if status == .accepted { await securityVariableSet(key) }
                refreshTransactionSettings()  // start/stop points, sample intervals and timeouts take effect at once
            }
            results.append(
                SetVariableResultType(
                    attributeType: attributeType, attributeStatus: status, attributeStatusInfo: info,
                    component: data.component, variable: data.variable))
        }
        return SetVariablesResponse(setVariableResult: results)
    }
}

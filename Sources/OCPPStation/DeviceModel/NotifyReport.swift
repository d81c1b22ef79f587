// B07/B08: the report a GetBaseReport or GetReport asked for, as NotifyReport pages. Pages go through the durable
// outbox once the station is accepted (delivered in order, after a crash too, retried like every queued message);
// while the boot is Pending (B02: the CSMS may ask for reports then) they are sent on the open connection directly.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    /// How many variables one NotifyReport carries: the station's choice (B07.FR.03), small enough that a page of
    /// long values stays far below any frame limit.
    static let reportPageSize = 25

    /// The ReportData of one variable: every attribute with its value (none for WriteOnly), and its characteristics
    /// (B07.FR.11, B08.FR.12).
    func reportData(_ component: DeviceModel.Component, _ variable: DeviceModel.Variable) -> ReportDataType {
        let characteristics = variable.characteristics
        return ReportDataType(
            component: ComponentType(
                evse: component.evseId.map { EVSEType(id: $0, connectorId: component.connectorId) },
                name: component.name, instance: component.instance),
            variable: VariableType(name: variable.name, instance: variable.instance),
            variableAttribute: variable.attributes.map { attribute in
                let key = DeviceModel.key(component, variable, attribute.type)
                return VariableAttributeType(
                    type: attribute.type,
                    value: attribute.mutability == .writeOnly ? nil : reportable(currentValue(key, stored: attribute.value)),
                    mutability: attribute.mutability, persistent: attribute.persistent, constant: attribute.constant)
            },
            variableCharacteristics: VariableCharacteristicsType(
                unit: characteristics.unit, dataType: characteristics.dataType, minLimit: characteristics.minLimit,
                maxLimit: characteristics.maxLimit, valuesList: characteristics.valuesList,
                supportsMonitoring: characteristics.supportsMonitoring))
    }

    /// The pages of a report: seqNo from 0 (B07.FR.10, B08.FR.14), tbc on all but the last, the same requestId
    /// (B07.FR.04, B08.FR.04).
    func notifyReportPages(requestId: Int, _ data: [ReportDataType]) -> [NotifyReportRequest] {
        let generatedAt = now()
        let pages = stride(from: 0, to: max(data.count, 1), by: Self.reportPageSize).map {
            Array(data[$0..<min($0 + Self.reportPageSize, data.count)])
        }
        return pages.enumerated().map { seqNo, page in
            NotifyReportRequest(
                requestId: requestId, generatedAt: generatedAt, reportData: page.isEmpty ? nil : page,
                tbc: seqNo < pages.count - 1 ? true : nil, seqNo: seqNo)
        }
    }

    /// Sends a report's pages after the answer to its request went out.
    func sendReport<Page: OCPPRequest>(_ pages: [Page]) async {
        if boot.maySendUnprompted {
            for page in pages {
                await queue(NewOutboxMessage(action: Page.action.rawValue, payload: page.toJSON().serialized()))
            }
            return
        }
        // Pending (B02.FR.02 lets the CSMS ask for reports): not queued behind the boot, sent now.
        for page in pages {
            guard let session else {
                logger.warning("\(Page.action.rawValue): connection lost before the last page")
                return
            }
            do {
                _ = try await session.call(page, timeout: messageTimeout)
            } catch {
                logger.warning("\(Page.action.rawValue) page failed: \(error)")
                return
            }
        }
    }
}

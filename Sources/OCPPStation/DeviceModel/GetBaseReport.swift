// B07: GetBaseReport. ConfigurationInventory, FullInventory and SummaryInventory, sent as NotifyReport pages.
internal import OCPPMessages

extension ChargingStation {
    func getBaseReport(_ request: GetBaseReportRequest) -> (GetBaseReportResponse, (@Sendable () async -> Void)?) {
        let selected = deviceModel.allVariables.filter { component, variable in
            switch request.reportBase {
            // B07.FR.08: every component-variable.
            case .fullInventory: return true
            // B07.FR.07: what the operator can set.
            case .configurationInventory:
                return variable.attributes.contains { $0.mutability != .readOnly && !$0.constant }
            // B07.FR.09: availability and condition of the station, its EVSEs and connectors, and any problem.
            case .summaryInventory:
                return Self.summaryVariables.contains(variable.name)
            }
        }
        let pages = notifyReportPages(requestId: request.requestId, selected.map { reportData($0.component, $0.variable) })
        // B07.FR.01/03
        return (GetBaseReportResponse(status: .accepted), { [weak self] in await self?.sendReport(pages) })
    }

    static let summaryVariables: Set<String> = ["AvailabilityState", "Available", "Problem", "Tripped", "Fallback", "Overload"]
}

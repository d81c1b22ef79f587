// G01/B01.FR.05: connector status, derived from the hardware, and StatusNotification for every change.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    /// The hardware changed: re-read it, and let the driver report what the CSMS has not seen.
    func hardwareEvent(_ event: HardwareEvent) async {
        logger.info("hardware: \(event)")
        for state in await board.physicalState() {
            physical[state.evse] = state
        }
        refreshAvailabilityVariables()
        signalSink.yield(.statusChanged)
    }

    var connectorKeys: [ConnectorKey] {
        board.evses.flatMap { evse in evse.connectors.map { ConnectorKey(evse: evse.id, connector: $0.id) } }
    }

    /// The OCPP status of one connector now. Faulted wins over everything; a plugged cable makes it Occupied.
    func connectorStatus(_ key: ConnectorKey) -> ConnectorStatusEnumType {
        guard let state = physical[key.evse] else { return .unavailable }
        if !state.faults.isEmpty { return .faulted }
        if state.connectors.first(where: { $0.id == key.connector })?.plugged == true { return .occupied }
        return .available
    }

    /// Sends a StatusNotification for each connector whose status the CSMS has not acknowledged yet.
    func reportStatusChanges(_ rpc: RPCSession) async {
        for key in connectorKeys {
            let status = connectorStatus(key)
            if reportedStatus[key] == status { continue }
            guard await sendStatusNotification(key, status, rpc) else { return }
        }
    }

    /// Sends one StatusNotification; true when the CSMS acknowledged it.
    func sendStatusNotification(_ key: ConnectorKey, _ status: ConnectorStatusEnumType, _ rpc: RPCSession) async -> Bool {
        let request = StatusNotificationRequest(
            timestamp: now(), connectorStatus: status, evseId: key.evse, connectorId: key.connector)
        do {
            _ = try await rpc.call(request, timeout: messageTimeout)
            reportedStatus[key] = status
            return true
        } catch {
            logger.warning("StatusNotification for EVSE \(key.evse) connector \(key.connector) failed: \(error)")
            return false
        }
    }

    /// Keeps the AvailabilityState variables of the device model in step with the connectors.
    func refreshAvailabilityVariables() {
        for key in connectorKeys {
            deviceModel.setStationValue(
                connectorStatus(key).rawValue,
                for: VariableAttributeKey(component: "Connector", evseId: key.evse, connectorId: key.connector, variable: "AvailabilityState"))
        }
        for evse in board.evses {
            let statuses = evse.connectors.map { connectorStatus(ConnectorKey(evse: evse.id, connector: $0.id)) }
            let evseStatus: ConnectorStatusEnumType =
                statuses.contains(.faulted) ? .faulted : statuses.contains(.occupied) ? .occupied : statuses.first ?? .available
            deviceModel.setStationValue(
                evseStatus.rawValue, for: VariableAttributeKey(component: "EVSE", evseId: evse.id, variable: "AvailabilityState"))
        }
    }

    public func evseViews() async -> [EVSEStationView] {
        board.evses.map { evse in
            EVSEStationView(
                evse: evse.id,
                connectors: evse.connectors.map {
                    .init(id: $0.id, status: connectorStatus(ConnectorKey(evse: evse.id, connector: $0.id)).rawValue)
                },
                transactionId: nil)
        }
    }
}

// AvailabilityState of ChargingStation, EVSE and Connector (appendix: "This variable reports current availability
// state"): read live from the connectors' status, so a read never lags a change.
internal import OCPPMessages

extension ChargingStation {
    static let availabilityVariables: [VariableBinding] = [
        .live("Connector", "AvailabilityState") { station, key in
            guard let evse = key.evseId, let connector = key.connectorId else { return nil }
            return station.connectorStatus(ConnectorKey(evse: evse, connector: connector)).rawValue
        },
        .live("EVSE", "AvailabilityState") { station, key in
            key.evseId.map { station.evseAvailability($0).rawValue }
        },
        // Problem: a fault is active on the EVSE (the hard-wired monitors watch it).
        .live("EVSE", "Problem") { station, key in
            key.evseId.map { station.physical[$0]?.faults.isEmpty == false ? "true" : "false" }
        },
        .live("ChargingStation", "AvailabilityState") { station, _ in
            // Available while any EVSE is; otherwise the most usable state any EVSE is in.
            let states = Set(station.board.evses.map { station.evseAvailability($0.id) })
            let order: [ConnectorStatusEnumType] = [.available, .occupied, .reserved, .unavailable, .faulted]
            return (order.first { states.contains($0) } ?? .available).rawValue
        },
    ]

    /// An EVSE's state from its connectors': Faulted if one is, Occupied if one is, else the first connector's.
    func evseAvailability(_ evse: Int) -> ConnectorStatusEnumType {
        let statuses = connectorKeys.filter { $0.evse == evse }.map(connectorStatus)
        return statuses.contains(.faulted) ? .faulted : statuses.contains(.occupied) ? .occupied : statuses.first ?? .available
    }
}

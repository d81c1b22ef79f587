// G01/B01.FR.05: connector status, derived from the hardware, and StatusNotification for every change.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    /// Applies one hardware event to the station's picture of the hardware, from the event itself: re-reading a
    /// snapshot would merge transitions (a plug and an unplug while offline must both count).
    func applyToPhysical(_ event: HardwareEvent) {
        func change(_ evse: Int, _ body: (inout EVSEPhysicalState) -> Void) {
            guard var state = physical[evse] else { return }
            let keys = connectorKeys.filter { $0.evse == evse }
            let before = keys.map(connectorStatus)
            body(&state)
            physical[evse] = state
            // B04.FR.02: a connector whose state changed is reported with its current status, even when it changed
            // back before it could be reported (a plug and an unplug while offline).
            for (key, status) in zip(keys, before) where connectorStatus(key) != status {
                reportedStatus[key] = nil
            }
        }
        switch event {
        case .cablePlugged(let evse, let connector), .cableUnplugged(let evse, let connector):
            let plugged = if case .cablePlugged = event { true } else { false }
            change(evse) { state in
                if let index = state.connectors.firstIndex(where: { $0.id == connector }) { state.connectors[index].plugged = plugged }
                if !plugged && !state.connectors.contains(where: \.plugged) { state.evCharging = false }
            }
        case .evCharging(let evse): change(evse) { $0.evCharging = true }
        case .evSuspended(let evse): change(evse) { $0.evCharging = false }
        case .controlPilotChanged(let evse, let pilot):
            if pilot == .b || pilot.evRequestsEnergy { change(evse) { $0.evCharging = pilot.evRequestsEnergy } }
        case .faultRaised(let evse, let fault): change(evse) { _ = $0.faults.insert(fault) }
        case .faultCleared(let evse, let fault): change(evse) { _ = $0.faults.remove(fault) }
        case .faultsCleared(let evse): change(evse) { $0.faults = [] }
        case .powerChanged(let evse, let watts): change(evse) { $0.powerW = watts }
        case .tokenPresented: break
        }
        signalSink.yield(.statusChanged)
    }


    var connectorKeys: [ConnectorKey] {
        board.evses.flatMap { evse in evse.connectors.map { ConnectorKey(evse: evse.id, connector: $0.id) } }
    }

    /// The OCPP status of one connector now. Faulted (a fault that makes it so) wins over everything; then Unavailable
    /// (set by the CSMS, G03.FR.06, G04.FR.07, or a scheduled reset holding an idle EVSE, B12); a plugged cable makes
    /// it Occupied.
    func connectorStatus(_ key: ConnectorKey) -> ConnectorStatusEnumType {
        guard let state = physical[key.evse] else { return .unavailable }
        if state.faults.contains(where: \.makesConnectorFaulted) { return .faulted }
        let inTransaction = engine.session(key.evse)?.transaction != nil
        let reserved = heldEVSEs[key.evse] != nil
        // A reserved EVSE stays Reserved while a reset waits for its reservation (errata 2.14).
        if !inTransaction && (!operationalState.isOperative(evse: key.evse, connector: key.connector) || (resetWhenIdle && !reserved)) {
            return .unavailable
        }
        // G03.FR.09: a reserved connector stays Reserved when a cable is plugged in (a transaction may start with it,
        // TxStartPoint EVConnected), until its driver comes.
        if reserved && engine.session(key.evse)?.authorization == nil { return .reserved }
        if state.connectors.first(where: { $0.id == key.connector })?.plugged == true { return .occupied }
        return .available
    }

    /// Whether a new session may begin on an EVSE: not faulted, operative; when reservations hold it, only for their
    /// token (H03), also while a reset waits for them; otherwise not while a reset is scheduled (B12).
    func mayStartSession(on evse: Int, for token: IdTokenType?, group: IdTokenType?) -> Bool {
        guard let session = engine.session(evse), session.faults.isEmpty, physical[evse]?.faults.isEmpty != false else { return false }
        let waiting = session.transaction != nil  // a transaction waiting for its authorization
        guard waiting || operationalState.isOperative(evse: evse) else { return false }
        if let allowed = reservationAllows(evse, for: token, group: group) { return allowed }
        return waiting || !resetWhenIdle
    }

    /// Sends a StatusNotification for each connector whose status the CSMS has not acknowledged yet.
    func reportStatusChanges(_ rpc: RPCSession) async {
        for key in connectorKeys {
            let status = connectorStatus(key)
            if reportedStatus[key] == status { continue }
            guard await sendStatusNotification(key, status, rpc) else {
                scheduleStatusRetry()
                return
            }
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

    /// A StatusNotification that failed is tried again after MessageTimeout (while the connection lasts; a new
    /// connection reports what the CSMS has not acknowledged anyway).
    func scheduleStatusRetry() {
        statusRetryTask?.cancel()
        let sink = signalSink
        let wait = messageTimeout
        statusRetryTask = Task {
            try? await Task.sleep(for: wait)
            if !Task.isCancelled { sink.yield(.statusChanged) }
        }
    }

    public func evseViews() async -> [EVSEStationView] {
        board.evses.map { evse in
            EVSEStationView(
                evse: evse.id,
                connectors: evse.connectors.map {
                    .init(id: $0.id, status: connectorStatus(ConnectorKey(evse: evse.id, connector: $0.id)).rawValue)
                },
                transactionId: engine.session(evse.id)?.transaction?.id)
        }
    }
}

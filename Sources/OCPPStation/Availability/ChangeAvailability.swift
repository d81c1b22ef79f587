// G03/G04: ChangeAvailability for the station, an EVSE or a connector. Accepted when it takes effect now (or the
// target already is in that state, G03.FR.03, G04.FR.04), Scheduled while a transaction runs on it (G03.FR.05,
// G04.FR.06: applied when it ends), Rejected for an unknown EVSE or connector. Persisted before the answer
// (G03.FR.08, G04.FR.09); every connector whose status changes is reported (G03.FR.04, G04.FR.05).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func changeAvailability(_ request: ChangeAvailabilityRequest) async -> ChangeAvailabilityResponse {
        // G04.FR.01: no evse (or EVSE id 0) is the whole station.
        let target = OperationalState.Target(
            evse: request.evse.flatMap { $0.id == 0 ? nil : $0.id }, connector: request.evse?.connectorId)
        if let evse = target.evse {
            guard let description = board.evses.first(where: { $0.id == evse }) else {
                return ChangeAvailabilityResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "UnknownEvse"))
            }
            if let connector = target.connector, !description.connectors.contains(where: { $0.id == connector }) {
                return ChangeAvailabilityResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "UnknownConnectorId"))
            }
        }
        var next = operationalState
        if next.status(of: target) == request.operationalStatus {
            // G03.FR.03 / G04.FR.04; a change scheduled the other way is dropped.
            next.set(request.operationalStatus, for: target)
            await adoptOperationalState(next)
            return ChangeAvailabilityResponse(status: .accepted)
        }
        if request.operationalStatus == .inoperative && hasTransaction(in: target) {
            next.schedule(request.operationalStatus, for: target)
            guard await adoptOperationalState(next) else {
                return ChangeAvailabilityResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "InternalError"))
            }
            logger.info("ChangeAvailability \(request.operationalStatus.rawValue): scheduled after the transaction")
            return ChangeAvailabilityResponse(status: .scheduled)
        }
        next.set(request.operationalStatus, for: target)
        guard await adoptOperationalState(next) else {
            return ChangeAvailabilityResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "InternalError"))
        }
        logger.info("ChangeAvailability: \(target.evse.map { "EVSE \($0)" } ?? "station") \(request.operationalStatus.rawValue)")
        return ChangeAvailabilityResponse(status: .accepted)
    }

    func hasTransaction(in target: OperationalState.Target) -> Bool {
        engine.sessions.values.contains { $0.transaction != nil && (target.evse == nil || target.evse == $0.evseId) }
    }

    /// Persists the new state, then adopts it and reports the connectors whose status changed. False when it could
    /// not be persisted (nothing changes then).
    @discardableResult
    func adoptOperationalState(_ next: OperationalState) async -> Bool {
        guard next != operationalState else { return true }
        guard await persist(next.toJSON(), forKey: StoreKeys.operationalState) else { return false }
        changeStatusInputs { self.operationalState = next }
        await reviewReservations()  // H01.FR.17
        return true
    }

    /// G03.FR.05 / G04.FR.06: a Scheduled change takes effect once the transactions on its target ended.
    func applyScheduledAvailability() async {
        guard !operationalState.scheduled.isEmpty else { return }
        var next = operationalState
        if next.applyScheduled(busy: { self.hasTransaction(in: $0) }) { await adoptOperationalState(next) }
    }

    func loadOperationalState() async {
        if let json = await persisted(forKey: StoreKeys.operationalState) { operationalState = OperationalState(json: json) }
    }

    /// What `persist` wrote under a key; nil (logged when unreadable) when nothing.
    func persisted(forKey key: String) async -> JSONValue? {
        do {
            return try await store.value(forKey: key).flatMap { try? JSONParser.parse($0) }
        } catch {
            logger.error("cannot read \(key): \(error)")
            return nil
        }
    }

    /// Writes a block's state that must survive a reboot (availability, reservations) as JSON under a settings key;
    /// false (logged) when it could not.
    func persist(_ state: JSONValue, forKey key: String) async -> Bool {
        do {
            try await store.setValue(state.serialized(), forKey: key)
            return true
        } catch {
            logger.error("cannot persist \(key): \(error)")
            return false
        }
    }

    /// Changes something a connector's status derives from (availability, reservations, a pending reset), and marks
    /// the connectors whose status changed for a StatusNotification (AvailabilityState is read live).
    func changeStatusInputs(_ body: () -> Void) {
        let keys = connectorKeys
        let before = keys.map(connectorStatus)
        body()
        for (key, status) in zip(keys, before) where connectorStatus(key) != status {
            reportedStatus[key] = nil
        }
        signalSink.yield(.statusChanged)
    }
}

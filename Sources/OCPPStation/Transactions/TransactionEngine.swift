// Block E (E01-E11, E15): the transaction engine, as a plain state machine. It takes what happened on an EVSE
// (a cable, an authorization, the EV, a fault, a timer) and returns effects: TransactionEvents to queue (each with
// the transaction record to persist in the same commit), and the contactor and cable lock to drive. No I/O, no
// clock: the caller passes the time, whether it is offline, and the meter reading.
public import OCPPMessages

/// What happened on one EVSE.
public enum TransactionInput: Sendable, Hashable {
    case cablePlugged(connector: Int)
    case cableUnplugged(connector: Int)
    /// The EV draws power (true) or suspended (false).
    case evCharging(Bool)
    case faults(Set<HardwareFault>)
    /// An idToken was authorized for this EVSE: a card (trigger Authorized) or RequestStartTransaction (RemoteStart).
    case authorized(SessionAuthorization, trigger: TriggerReasonEnumType)
    /// E07/E08: the driver presented the same idToken (or one of its group) to stop.
    case stopAuthorized(by: IdTokenType)
    /// F03: RequestStopTransaction.
    case remoteStop
    /// E05: the CSMS answered a TransactionEvent with an idTokenInfo that is not Accepted.
    case idTokenRejected
    /// The transaction ends whatever the stop points say (B12.FR.04 Immediate reset; C16.FR.02 a master pass, its
    /// idToken given).
    case forcedEnd(ReasonEnumType, trigger: TriggerReasonEnumType, by: IdTokenType? = nil)
    /// F06.FR.07: TriggerMessage(TransactionEvent): an Updated event with the chargingState and the latest values.
    case triggered
    /// AlignedDataCtrlr.Interval passed: a clock-aligned sample in an Updated event (J01).
    case alignedSample
    /// AlignedDataCtrlr.TxEndedInterval passed: a clock-aligned sample kept for the Ended event (J02).
    case alignedEndedSample
}

/// What the station does about it, in this order.
public enum TransactionEffect: Sendable, Hashable {
    /// Queue this event and apply this change to its transaction record, in one durable commit.
    case queue(TransactionEventRequest, TransactionRecordChange)
    /// Persist the record (a meter value kept for the Ended event).
    case persist(TransactionRecord)
    case contactor(evse: Int, closed: Bool)
    case lock(evse: Int, locked: Bool)
}

/// The facts a step needs from outside.
public struct TransactionContext: Sendable, Hashable {
    public var now: OCPPDateTime
    /// E12.FR.01/02: events generated now carry offline=true.
    public var offline: Bool
    public var reading: MeterReading
    /// The id a transaction created in this step gets.
    public var newTransactionId: String

    public init(now: OCPPDateTime, offline: Bool, reading: MeterReading, newTransactionId: String) {
        self.now = now
        self.offline = offline
        self.reading = reading
        self.newTransactionId = newTransactionId
    }
}

/// One EVSE: what the hardware and the authorization say, and its transaction if one is open.
public struct EVSESession: Sendable, Hashable {
    public let evseId: Int
    public internal(set) var pluggedConnector: Int?
    public internal(set) var evCharging = false
    public internal(set) var faults: Set<HardwareFault> = []
    public internal(set) var authorization: SessionAuthorization?
    /// When the authorization without a cable began (EVConnectionTimeOut).
    var authorizedAt: Double?
    /// E05.FR.02: energy stopped because the CSMS rejected the idToken.
    var suspendedByInvalidId = false
    /// E09.FR.03: the cable stays locked until the driver presents the idToken.
    public internal(set) var lockedUntilToken: SessionAuthorization?
    public internal(set) var transaction: OpenTransaction?
    public internal(set) var contactorClosed = false
    public internal(set) var locked = false

    public init(evseId: Int) {
        self.evseId = evseId
    }

    var connected: Bool { pluggedConnector != nil }
    var authorized: Bool { authorization != nil }
    /// All preconditions for charging are met; the contactor follows this.
    var powerAllowed: Bool { connected && authorized && faults.isEmpty && !suspendedByInvalidId }

    /// The TxStartPoint/TxStopPoint conditions that hold now. ParkingBayOccupancy and DataSigned never do: the
    /// boards have no bay detector and no signing meter.
    var conditions: Set<TxPoint> {
        var result: Set<TxPoint> = []
        if connected { result.insert(.evConnected) }
        if authorized { result.insert(.authorized) }
        if connected && authorized { result.insert(.powerPathClosed) }
        if powerAllowed && evCharging { result.insert(.energyTransfer) }
        return result
    }

    var chargingState: ChargingStateEnumType {
        if !connected { return .idle }
        if !authorized { return .evConnected }
        if !powerAllowed { return .suspendedEVSE }
        return evCharging ? .charging : .suspendedEV
    }
}

public struct TransactionEngine: Sendable, Hashable {
    public var settings: TransactionSettings
    public private(set) var sessions: [Int: EVSESession]

    public init(evseIds: [Int], settings: TransactionSettings) {
        self.settings = settings
        self.sessions = Dictionary(uniqueKeysWithValues: evseIds.map { ($0, EVSESession(evseId: $0)) })
    }

    public func session(_ evse: Int) -> EVSESession? { sessions[evse] }

    /// New settings (SetVariables): changed sample intervals apply to the open transactions from now on.
    public mutating func apply(_ newSettings: TransactionSettings, now: Double) {
        let old = settings
        settings = newSettings
        for evse in sessions.keys {
            guard var transaction = sessions[evse]?.transaction else { continue }
            if newSettings.updatedInterval != old.updatedInterval {
                transaction.nextUpdatedSample = newSettings.updatedInterval > 0 ? now + Double(newSettings.updatedInterval) : nil
            }
            if newSettings.endedInterval != old.endedInterval || newSettings.endedMeasurands != old.endedMeasurands {
                transaction.nextEndedSample =
                    newSettings.endedInterval > 0 && !newSettings.endedMeasurands.isEmpty
                    ? now + Double(newSettings.endedInterval) : nil
            }
            sessions[evse]?.transaction = transaction
        }
    }

    /// The open transaction with this id.
    public func transaction(id: String) -> OpenTransaction? {
        sessions.values.lazy.compactMap(\.transaction).first { $0.id == id }
    }

    /// Sets the hardware's state without events (at start: the board's state outlives the agent). A cable found
    /// plugged is handed in as `cablePlugged` afterwards: with EVConnected as a start point, a connected EV without
    /// a transaction starts one (E01.FR.02).
    public mutating func restore(evse: Int, evCharging: Bool, faults: Set<HardwareFault>) {
        sessions[evse]?.evCharging = evCharging
        sessions[evse]?.faults = faults
    }

    // MARK: Steps

    public mutating func handle(_ input: TransactionInput, evse: Int, _ context: TransactionContext) -> [TransactionEffect] {
        guard var session = sessions[evse] else { return [] }
        defer { sessions[evse] = session }
        let before = session.conditions
        var step = Step(trigger: .trigger)
        switch input {
        case .cablePlugged(let connector):
            session.pluggedConnector = connector
            session.authorizedAt = nil
            step.trigger = .cablePluggedIn
        case .cableUnplugged(let connector):
            guard session.pluggedConnector == connector else { return [] }
            session.pluggedConnector = nil
            session.evCharging = false
            // E01 trigger list: EVCommunicationLost covers "cable disconnected".
            step.trigger = .evCommunicationLost
            step.lostConnectionReason = .evDisconnected
            if settings.stopTxOnEVSideDisconnect, let authorization = session.authorization {
                // E09.FR.01: deauthorized when the cable is unplugged from the EV.
                session.authorization = nil
                if session.transaction?.stopReason == nil { session.transaction?.stopReason = .evDisconnected }
                // E09.FR.02/03: unlock now, or only once the driver presents the idToken again.
                if !settings.unlockOnEVSideDisconnect && session.locked { session.lockedUntilToken = authorization }
            }
        case .evCharging(let charging):
            guard session.evCharging != charging else { return [] }
            session.evCharging = charging
            step.trigger = .chargingStateChanged
        case .faults(let faults):
            guard session.faults != faults else { return [] }
            session.faults = faults
            step.trigger = faults.isEmpty ? .chargingStateChanged : .abnormalCondition
        case .authorized(let authorization, let trigger):
            if session.lockedUntilToken?.mayStop(with: authorization.idToken, group: authorization.groupIdToken) == true {
                session.lockedUntilToken = nil
            }
            session.authorization = authorization
            session.suspendedByInvalidId = false
            session.authorizedAt = session.connected ? nil : context.now.secondsSince1970
            if var transaction = session.transaction {
                transaction.pendingRemoteStartId = authorization.remoteStartId ?? transaction.pendingRemoteStartId
                transaction.pendingReservationId = authorization.reservationId ?? transaction.pendingReservationId
                transaction.txProfile = authorization.chargingProfile ?? transaction.txProfile
                transaction.groupIdToken = authorization.groupIdToken
                transaction.stopReason = nil
                session.transaction = transaction
            }
            step.trigger = trigger
            step.reportIdToken = true
        case .stopAuthorized(let token):
            guard session.authorization != nil || session.lockedUntilToken != nil else { return [] }
            session.lockedUntilToken = nil
            session.authorization = nil
            session.transaction?.stopReason = .local  // E07.FR.05: stopped by the driver at the station
            step.trigger = .stopAuthorized
            step.explicit = true
            step.stopIdToken = token  // E07.FR.02: SHOULD include the idToken used to stop
        case .remoteStop:
            session.authorization = nil
            session.authorizedAt = nil
            session.transaction?.stopReason = .remote  // F03.FR.03
            step.trigger = .remoteStop
            step.explicit = true
        case .idTokenRejected:
            guard var transaction = session.transaction, session.authorization != nil else { return [] }
            if settings.stopTxOnInvalidId {
                // E05.FR.09: deauthorized; the transaction ends if Authorized is a stop point.
                session.authorization = nil
                transaction.stopReason = .deAuthorized
                step.trigger = .deauthorized
                step.explicit = true
            } else if let maximum = settings.maxEnergyOnInvalidId, maximum > 0,
                context.reading.energyWh - transaction.lastEnergyAtStart(session) < Double(maximum)
            {
                // E05.FR.03: energy allowed up to MaxEnergyOnInvalidId.
                transaction.invalidIdEnergyLimitWh = transaction.lastEnergyAtStart(session) + Double(maximum)
                step.trigger = .chargingStateChanged
            } else {
                // E05.FR.02: stop the energy delivery, SuspendedEVSE.
                session.suspendedByInvalidId = true
                step.trigger = .chargingStateChanged
            }
            session.transaction = transaction
        case .forcedEnd(let reason, let trigger, let token):
            guard session.transaction != nil else { return [] }
            session.transaction?.stopReason = reason
            session.authorization = nil
            step.trigger = trigger
            step.forceEnd = true
            step.stopIdToken = token
        case .triggered:
            guard session.transaction != nil else { return [] }
            step.trigger = .trigger
            step.explicit = true
            step.reportChargingState = true
            step.meterValues = MeterSampler.meterValue(
                context.reading, measurands: settings.updatedMeasurands, context: .trigger, at: context.now
            ).map { [$0] } ?? []
        case .alignedSample:
            guard session.transaction != nil,
                let value = MeterSampler.meterValue(
                    context.reading, measurands: settings.alignedMeasurands, context: .sampleClock, at: context.now)
            else { return [] }
            step.trigger = .meterValueClock
            step.meterValues = [value]
        case .alignedEndedSample:
            guard var transaction = session.transaction,
                let value = MeterSampler.meterValue(
                    context.reading, measurands: settings.alignedEndedMeasurands, context: .sampleClock, at: context.now)
            else { return [] }
            transaction.endedMeterValues.append(value)
            transaction.take(context)
            session.transaction = transaction
            return [.persist(transaction.record())]
        }
        return reconcile(&session, before: before, step, context)
    }

    /// The earliest instant (station clock, seconds since 1970) at which `tick` has work.
    public func nextDeadline() -> Double? {
        sessions.values.compactMap { deadline(of: $0) }.min()
    }

    private func deadline(of session: EVSESession) -> Double? {
        var deadlines: [Double] = []
        if let since = session.authorizedAt, !session.connected { deadlines.append(since + Double(settings.evConnectionTimeOut)) }
        if let next = session.transaction?.nextUpdatedSample { deadlines.append(next) }
        if let next = session.transaction?.nextEndedSample { deadlines.append(next) }
        return deadlines.min()
    }

    /// EVSEs with a deadline at or before `time`.
    public func due(at time: Double) -> [Int] {
        sessions.values.filter { (deadline(of: $0) ?? .infinity) <= time }.map(\.evseId).sorted()
    }

    /// Runs what is due on one EVSE: EVConnectionTimeOut, periodic samples (J02).
    public mutating func tick(evse: Int, _ context: TransactionContext) -> [TransactionEffect] {
        guard var session = sessions[evse] else { return [] }
        let now = context.now.secondsSince1970
        var effects: [TransactionEffect] = []
        if let since = session.authorizedAt, !session.connected, now >= since + Double(settings.evConnectionTimeOut) {
            let before = session.conditions
            session.authorizedAt = nil
            session.authorization = nil
            var step = Step(trigger: .evConnectTimeout)
            if session.transaction != nil {
                // E03.FR.05: end with stoppedReason Timeout (no ParkingBayOccupancy stop point on these boards).
                session.transaction?.stopReason = .timeout
                step.forceEnd = !settings.stopPoints.contains(.parkingBayOccupancy)
                step.explicit = true
            }
            effects += reconcile(&session, before: before, step, context)
        }
        if var transaction = session.transaction, let next = transaction.nextEndedSample, now >= next {
            transaction.nextEndedSample = Self.advance(next, by: settings.endedInterval, past: now)
            if let value = MeterSampler.meterValue(
                context.reading, measurands: settings.endedMeasurands, context: .samplePeriodic, at: context.now)
            {
                transaction.endedMeterValues.append(value)
            }
            transaction.take(context)
            session.transaction = transaction
            effects.append(.persist(transaction.record()))
        }
        if var transaction = session.transaction, let next = transaction.nextUpdatedSample, now >= next {
            transaction.nextUpdatedSample = Self.advance(next, by: settings.updatedInterval, past: now)
            session.transaction = transaction
            if let value = MeterSampler.meterValue(
                context.reading, measurands: settings.updatedMeasurands, context: .samplePeriodic, at: context.now)
            {
                var step = Step(trigger: .meterValuePeriodic)
                step.meterValues = [value]
                effects += reconcile(&session, before: session.conditions, step, context)
            }
        }
        sessions[evse] = session
        return effects
    }

    private static func advance(_ deadline: Double, by interval: Int, past now: Double) -> Double? {
        guard interval > 0 else { return nil }
        var next = deadline + Double(interval)
        if next <= now { next = now + Double(interval) }  // after a long sleep: no burst of samples
        return next
    }

    // MARK: The rules

    struct Step {
        var trigger: TriggerReasonEnumType
        var forceEnd = false
        /// A trigger that is reported even when nothing else changed (a stop request).
        var explicit = false
        var reportIdToken = false
        var reportChargingState = false
        var stopIdToken: IdTokenType?
        var meterValues: [MeterValueType] = []
        var lostConnectionReason: ReasonEnumType?
    }

    /// Starts, updates or ends the EVSE's transaction after a change, and drives the contactor and lock.
    private func reconcile(
        _ session: inout EVSESession, before: Set<TxPoint>, _ step: Step, _ context: TransactionContext
    ) -> [TransactionEffect] {
        var effects: [TransactionEffect] = []
        // E05.FR.03: past MaxEnergyOnInvalidId, stop the energy delivery.
        if let limit = session.transaction?.invalidIdEnergyLimitWh, context.reading.energyWh >= limit {
            session.suspendedByInvalidId = true
        }
        let now = session.conditions
        let powerOff = !session.powerAllowed
        // Open the contactor before anything is reported: the energy stops first (E05.FR.02, E07).
        if powerOff && session.contactorClosed {
            session.contactorClosed = false
            effects.append(.contactor(evse: session.evseId, closed: false))
        }
        if var transaction = session.transaction {
            let lost = before.subtracting(now).intersection(settings.stopConditions)
            if step.forceEnd || !lost.isEmpty {
                let reason = transaction.stopReason ?? Self.stoppedReason(lost: lost, session, step)
                effects.append(end(&transaction, session, reason: reason, step, context))
                session.transaction = nil
                session.authorization = nil
                session.authorizedAt = nil
                session.suspendedByInvalidId = false
            } else {
                // A stop request the stop points do not turn into an end (F03.FR.02, E05.FR.09: only the energy
                // stops) leaves no reason behind: the transaction ends later for its own reason, e.g. EVDisconnected
                // when the cable comes out (E06.FR.02/08).
                transaction.stopReason = nil
                if let event = update(&transaction, session, step, context) {
                    effects.append(event)
                } else {
                    transaction.take(context)
                }
                session.transaction = transaction
            }
        } else if !now.subtracting(before).intersection(settings.startPoints).isEmpty {
            // E01.FR.01-06: a start point that occurs now starts a transaction.
            effects.append(start(&session, step, context))
        }
        // E10.FR.01: locked while authorized and plugged; E07.FR.07: unlocked when it ends; E09.FR.03.
        let lock = (session.connected && session.authorized) || session.lockedUntilToken != nil
        if lock != session.locked {
            session.locked = lock
            effects.append(.lock(evse: session.evseId, locked: lock))
        }
        if session.powerAllowed && !session.contactorClosed {
            session.contactorClosed = true
            effects.append(.contactor(evse: session.evseId, closed: true))
        }
        return effects
    }

    private static func stoppedReason(lost: Set<TxPoint>, _ session: EVSESession, _ step: Step) -> ReasonEnumType {
        if lost.contains(.evConnected) { return step.lostConnectionReason ?? .evDisconnected }
        if lost.contains(.authorized) { return .deAuthorized }
        // The known faults in their order of precedence (a ground fault explains an overcurrent), then the board's own.
        let fault = HardwareFault.known.first(where: session.faults.contains) ?? session.faults.sorted().first
        if let fault { return fault.stoppedReason }
        return session.evCharging ? .other : .stoppedByEV
    }

    private func start(_ session: inout EVSESession, _ step: Step, _ context: TransactionContext) -> TransactionEffect {
        let time = context.now.secondsSince1970
        var transaction = OpenTransaction(
            id: context.newTransactionId, evseId: session.evseId, startedAt: time, reading: context.reading)
        transaction.groupIdToken = session.authorization?.groupIdToken
        transaction.pendingRemoteStartId = session.authorization?.remoteStartId
        transaction.pendingReservationId = session.authorization?.reservationId
        transaction.txProfile = session.authorization?.chargingProfile
        if settings.updatedInterval > 0 { transaction.nextUpdatedSample = time + Double(settings.updatedInterval) }
        if !settings.endedMeasurands.isEmpty {
            // J02: TxEndedMeasurands from the start of the transaction.
            if let begin = MeterSampler.meterValue(
                context.reading, measurands: settings.endedMeasurands, context: .transactionBegin, at: context.now)
            {
                transaction.endedMeterValues.append(begin)
            }
            if settings.endedInterval > 0 { transaction.nextEndedSample = time + Double(settings.endedInterval) }
        }
        var request = event(.started, &transaction, session, trigger: step.trigger, context)
        // E01.FR.09: TxStartedMeasurands with context Transaction.Begin.
        request.meterValue = MeterSampler.meterValue(
            context.reading, measurands: settings.startedMeasurands, context: .transactionBegin, at: context.now
        ).map { [$0] }
        session.transaction = transaction
        return .queue(request, .save(transaction.record()))
    }

    private func update(
        _ transaction: inout OpenTransaction, _ session: EVSESession, _ step: Step, _ context: TransactionContext
    ) -> TransactionEffect? {
        let changed =
            session.chargingState != transaction.chargingState
            || (session.connected && !transaction.evseReported)
            || (step.reportIdToken && session.authorization?.idToken != transaction.reportedIdToken)
            || transaction.pendingRemoteStartId != nil || transaction.pendingReservationId != nil
            || !step.meterValues.isEmpty || step.explicit
        guard changed else { return nil }
        var request = event(.updated, &transaction, session, trigger: step.trigger, context)
        if !step.meterValues.isEmpty { request.meterValue = step.meterValues }
        if let token = step.stopIdToken { request.idToken = token }
        if step.reportChargingState { request.transactionInfo.chargingState = session.chargingState }
        return .queue(request, .save(transaction.record()))
    }

    private func end(
        _ transaction: inout OpenTransaction, _ session: EVSESession, reason: ReasonEnumType, _ step: Step,
        _ context: TransactionContext
    ) -> TransactionEffect {
        var request = event(.ended, &transaction, session, trigger: step.trigger, context)
        request.transactionInfo.stoppedReason = reason
        if let token = step.stopIdToken { request.idToken = token }
        var values = transaction.endedMeterValues
        // E07.FR.08: TxEndedMeasurands with context Transaction.End.
        if let end = MeterSampler.meterValue(
            context.reading, measurands: settings.endedMeasurands, context: .transactionEnd, at: context.now)
        {
            values.append(end)
        }
        request.meterValue = values.isEmpty ? nil : values
        return .queue(request, .remove(transactionId: transaction.id))
    }

    /// The common part of every event; advances the seqNo and records what the event reported.
    private func event(
        _ type: TransactionEventEnumType, _ transaction: inout OpenTransaction, _ session: EVSESession,
        trigger: TriggerReasonEnumType, _ context: TransactionContext
    ) -> TransactionEventRequest {
        var request = TransactionEventRequest(
            eventType: type, timestamp: context.now, triggerReason: trigger, seqNo: transaction.nextSeqNo,
            offline: context.offline ? true : nil,
            transactionInfo: TransactionType(transactionId: transaction.id))
        transaction.nextSeqNo += 1
        // E01.FR.18: chargingState when it changed (always in Started).
        let state = session.chargingState
        if type == .started || state != transaction.chargingState {
            request.transactionInfo.chargingState = state
            transaction.chargingState = state
        }
        // E01.FR.16: evse and connector once the EV is connected; the evse from the start.
        if !transaction.evseReported || type == .started {
            request.evse = EVSEType(id: session.evseId, connectorId: session.pluggedConnector)
            if session.pluggedConnector != nil {
                transaction.evseReported = true
                transaction.connectorId = session.pluggedConnector
            }
        }
        // E01.FR.10 / E02.FR.20: the idToken once authorized.
        if let authorization = session.authorization, authorization.idToken != transaction.reportedIdToken {
            request.idToken = authorization.idToken
            transaction.reportedIdToken = authorization.idToken
        }
        // F01.FR.25: the remoteStartId in the next event.
        if let remoteStartId = transaction.pendingRemoteStartId {
            request.transactionInfo.remoteStartId = remoteStartId
            transaction.pendingRemoteStartId = nil
        }
        if let reservationId = transaction.pendingReservationId {
            request.reservationId = reservationId
            transaction.pendingReservationId = nil
        }
        transaction.take(context)
        return request
    }

    // MARK: After a restart

    /// The Ended event for a transaction an unclean stop left open (our power-loss rule): stoppedReason PowerLoss,
    /// or Reboot when the station had initiated a reset; triggerReason AbnormalCondition (ResetCommand for a
    /// reset); the last persisted meter reading, never more.
    public func endedAfterRestart(
        _ record: TransactionRecord, reason: ReasonEnumType, now: OCPPDateTime, offline: Bool
    ) -> (TransactionEventRequest, TransactionRecordChange) {
        var transaction =
            OpenTransaction(record)
            ?? OpenTransaction(id: record.transactionId, evseId: record.evseId, startedAt: now.secondsSince1970, reading: .init(energyWh: 0))
        transaction.nextSeqNo = record.nextSeqNo
        var request = TransactionEventRequest(
            eventType: .ended, timestamp: now, triggerReason: reason == .powerLoss ? .abnormalCondition : .resetCommand,
            seqNo: transaction.nextSeqNo, offline: offline ? true : nil,
            transactionInfo: TransactionType(
                transactionId: transaction.id, chargingState: .idle, stoppedReason: reason,
                remoteStartId: transaction.pendingRemoteStartId))
        if !transaction.evseReported {
            request.evse = EVSEType(id: transaction.evseId, connectorId: transaction.connectorId)
        }
        var values = transaction.endedMeterValues
        if let end = MeterSampler.meterValue(
            transaction.lastReading, measurands: settings.endedMeasurands, context: .transactionEnd,
            at: OCPPDateTime(secondsSince1970: transaction.lastReadingAt))
        {
            values.append(end)
        }
        request.meterValue = values.isEmpty ? nil : values
        return (request, .remove(transactionId: transaction.id))
    }
}

extension OpenTransaction {
    /// Keeps the reading of this step: it is persisted with the record.
    mutating func take(_ context: TransactionContext) {
        lastReading = context.reading
        lastReadingAt = context.now.secondsSince1970
    }

    /// The register at the start of the transaction, from the Transaction.Begin value when there is one.
    func lastEnergyAtStart(_ session: EVSESession) -> Double {
        let begin = endedMeterValues.first?.sampledValue.first {
            $0.measurand == .energyActiveImportRegister && $0.context == .transactionBegin
        }
        return begin?.value ?? lastReading.energyWh
    }
}

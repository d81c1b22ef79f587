// The station's side of block E: feeds the transaction engine its inputs in order (hardware events, remote
// requests, answers, timers), and carries out the effects: each TransactionEvent is committed to the outbox with
// its transaction record before the station acts on it; the contactor and the lock are driven through the board.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    /// E12.FR.01/02: an event is offline when no accepted connection is open as it is generated.
    var isOffline: Bool { session == nil || !boot.maySendUnprompted }

    /// One input, in the order it came. Nothing else runs transaction steps, so commits keep that order.
    func process(_ input: Input) async {
        switch input {
        case .hardware(let event):
            await hardware(event)
        case .remoteStart(let request, let evse):
            await remoteStart(request, evse: evse)
        case .remoteStop(let transactionId):
            guard let evse = engine.transaction(id: transactionId)?.evseId else { return }
            await step(evse) { $0.handle(.remoteStop, evse: evse, $1) }
        case .transactionEventAnswered(let transactionId, let idToken, let response):
            // C10.FR.05: the idTokenInfo updates the cache.
            if let idToken, let info = response.idTokenInfo { await cacheAnswer(idToken, info, AuthorizationSettings(deviceModel)) }
            // E05: an idTokenInfo other than Accepted stops or suspends the transaction as configured.
            guard let status = response.idTokenInfo?.status, status != .accepted,
                let evse = engine.transaction(id: transactionId)?.evseId
            else { return }
            logger.info("transaction \(transactionId): the CSMS answered idToken \(status.rawValue)")
            await step(evse) { $0.handle(.idTokenRejected, evse: evse, $1) }
        case .timersDue:
            await timersDue()
        case .triggeredTransactionEvent(let evse):
            for id in board.evses.map(\.id) where evse == nil || evse == id {
                await step(id) { $0.handle(.triggered, evse: id, $1) }
            }
        case .reset(let type):
            await resetNow(type)
        case .resetEVSE(let evse):
            await resetEVSENow(evse)
        case .idleChanged:
            await resetIfIdle()
        }
    }

    func hardware(_ event: HardwareEvent) async {
        logger.info("hardware: \(event)")
        applyToPhysical(event)
        // The interlock hears of it first: a fault opens the contactor before anything is reported or committed.
        await applySafety(for: event)
        await reviewReservations()  // H01.FR.16: a fault removes the reservations of its EVSE
        switch event {
        case .cablePlugged(let evse, let connector):
            await step(evse) { $0.handle(.cablePlugged(connector: connector), evse: evse, $1) }
        case .cableUnplugged(let evse, let connector):
            await step(evse) { $0.handle(.cableUnplugged(connector: connector), evse: evse, $1) }
        case .evCharging(let evse):
            await step(evse) { $0.handle(.evCharging(true), evse: evse, $1) }
        case .evSuspended(let evse):
            await step(evse) { $0.handle(.evCharging(false), evse: evse, $1) }
        case .controlPilotChanged(let evse, let state):
            guard state == .b || state.evRequestsEnergy else { break }
            await step(evse) { $0.handle(.evCharging(state.evRequestsEnergy), evse: evse, $1) }
        case .faultRaised(let evse, _), .faultCleared(let evse, _), .faultsCleared(let evse):
            let faults = physical[evse]?.faults ?? []
            await step(evse) { $0.handle(.faults(faults), evse: evse, $1) }
            await relockAfterFailure(evse: evse)
        case .tokenPresented(let idToken, let type, let evse):
            await tokenPresented(IdTokenType(idToken: idToken, type: type), evse: evse)
        case .powerChanged:
            break
        }
    }

    /// Runs one engine step on an EVSE with the current settings, time and meter reading, and carries out its effects.
    func step(_ evse: Int, _ body: (inout TransactionEngine, TransactionContext) -> [TransactionEffect]) async {
        let context = await transactionContext(evse: evse)
        refreshTransactionSettings()
        let effects = body(&engine, context)
        await perform(effects)
        await applyChargingLimits()
        timerWakeup.wake()
        await applyScheduledAvailability()
        await resetIfIdle()
    }

    /// Variables the CSMS set take effect at once: read before every step, and after SetVariables.
    func refreshTransactionSettings() {
        let settings = TransactionSettings(deviceModel)
        if settings != engine.settings { engine.apply(settings, now: now().secondsSince1970) }
        timerWakeup.wake()
    }

    func transactionContext(evse: Int) async -> TransactionContext {
        let reading: MeterReading
        if let state = await board.physicalState().first(where: { $0.evse == evse }) {
            physical[evse]?.energyWh = state.energyWh
            physical[evse]?.powerW = state.powerW
            reading = MeterReading(state)
        } else {
            reading = MeterReading(energyWh: physical[evse]?.energyWh ?? 0)
        }
        return TransactionContext(now: now(), offline: isOffline, reading: reading, newTransactionId: TransactionIdGenerator.uuid4())
    }

    func perform(_ effects: [TransactionEffect]) async {
        // Nothing is acted on that is not on disk: when an event of this step could not be committed (disk full, I/O
        // error), the contactor is not closed and the cable not locked for it. Opening and unlocking always go ahead.
        var unrecorded = false
        for effect in effects {
            switch effect {
            case .queue(let request, let change):
                logger.info("TransactionEvent \(request.eventType.rawValue) \(request.transactionInfo.transactionId) seqNo \(request.seqNo) \(request.triggerReason.rawValue)")
                unrecorded = await !queue(
                    NewOutboxMessage(
                        action: OCPPAction.transactionEvent.rawValue, payload: request.toJSON().serialized(),
                        transactionId: request.transactionInfo.transactionId, eventType: request.eventType.rawValue,
                        seqNo: request.seqNo),
                    transaction: change)
            case .persist(let record):
                do {
                    try await outbox.commit(nil, transaction: .save(record))
                } catch {
                    logger.error("cannot persist transaction \(record.transactionId): \(error)")
                }
            case .contactor(let evse, let closed):
                if closed && unrecorded {
                    logger.critical("EVSE \(evse): the contactor stays open: the transaction's event is not on disk")
                    continue
                }
                // The engine grants energy; the interlock decides the contactor.
                await applySafety(.energyGranted(closed), evse: evse)
            case .lock(let evse, let locked):
                if locked && unrecorded { continue }
                await setLock(evse: evse, locked: locked)
            }
        }
    }

    /// Appends a message to the outbox (with its transaction record change, in one commit) and wakes the delivery.
    /// False when the commit failed.
    @discardableResult
    func queue(_ message: NewOutboxMessage, transaction: TransactionRecordChange? = nil) async -> Bool {
        if queuedCount >= queueCapacity {
            // E12.FR.04/05: storage is full: drop intermediate Updated events, never Started or Ended. One percent of
            // the capacity at a time, so that a full queue is not scanned on every commit.
            do {
                let limit = max(queuedCount - queueCapacity + 1, queueCapacity / 100)
                let dropped = try await outbox.thinUpdatedTransactionEvents(limit: limit)
                queuedCount -= dropped
                logger.warning("outbox at its capacity of \(queueCapacity): thinned \(dropped) Updated TransactionEvents")
            } catch {
                logger.error("cannot thin the outbox: \(error)")
            }
        }
        do {
            try await outbox.commit(message, transaction: transaction)
            queuedCount += 1
            outboxWakeup.wake()
            return true
        } catch {
            logger.critical("cannot queue \(message.action): \(error)")
            return false
        }
    }

    /// Our power-loss rule: every transaction record an unclean stop left open is ended with the last persisted
    /// meter reading: stoppedReason PowerLoss, or Reboot when the station had been asked to reset.
    func recoverTransactions() async {
        do {
            queuedCount = try await outbox.count()
            let reason: ReasonEnumType = bootReason == .powerUp ? .powerLoss : .reboot
            for record in try await outbox.transactions() {
                // The transaction ended when the station went down, not connected: offline (E12.FR.02), whether or
                // not the new connection is already accepted while this runs.
                let (request, change) = engine.endedAfterRestart(record, reason: reason, now: now(), offline: true)
                logger.notice("transaction \(record.transactionId) was left open: ending it (\(reason.rawValue))")
                await perform([.queue(request, change)])
            }
        } catch {
            logger.error("cannot read the open transactions: \(error)")
        }
    }

    // MARK: Timers

    /// Sleeps until the next deadline of the engine or the clock-aligned schedule, then has it processed in order
    /// with the other inputs. Woken when deadlines may have moved; never polls, so an idle station uses no CPU.
    func transactionTimer() async {
        lastAlignedSample = now().secondsSince1970
        lastAlignedEndedSample = lastAlignedSample
        while !Task.isCancelled {
            let settings = TransactionSettings(deviceModel)
            let deadlines = [
                engine.nextDeadline(),
                reservations.nextExpiry,
                chargingLimits.nextChange,
                MeterSampler.nextAligned(after: lastAlignedSample, interval: settings.alignedInterval),
                settings.alignedEndedMeasurands.isEmpty
                    ? nil : MeterSampler.nextAligned(after: lastAlignedEndedSample, interval: settings.alignedEndedInterval),
            ].compactMap { $0 }
            guard let deadline = deadlines.min() else {
                await timerWakeup.wait()
                continue
            }
            let wait = deadline - now().secondsSince1970
            if wait <= 0 {
                inputSink.yield(.timersDue)
                await timerWakeup.wait()  // processing the timers wakes this
                continue
            }
            await timerWakeup.wait(until: ContinuousClock.now + .milliseconds(Int64((wait * 1000).rounded(.up))))
        }
    }

    func timersDue() async {
        await reviewReservations()  // H04.FR.01
        await applyChargingLimits()  // a TxProfile period began
        let time = now().secondsSince1970
        for evse in engine.due(at: time) {
            await step(evse) { $0.tick(evse: evse, $1) }
        }
        let settings = TransactionSettings(deviceModel)
        if let next = MeterSampler.nextAligned(after: lastAlignedSample, interval: settings.alignedInterval), time >= next {
            lastAlignedSample = time
            await alignedSample(settings)
        }
        if let next = MeterSampler.nextAligned(after: lastAlignedEndedSample, interval: settings.alignedEndedInterval), time >= next {
            lastAlignedEndedSample = time
            for evse in board.evses.map(\.id) where engine.session(evse)?.transaction != nil {
                await step(evse) { $0.handle(.alignedEndedSample, evse: evse, $1) }
            }
        }
        timerWakeup.wake()
    }
}

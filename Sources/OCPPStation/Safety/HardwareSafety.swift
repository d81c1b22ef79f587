// The station's side of the safety interlock: hardware events and the engine's grants go in, the contactor and the
// fault reports come out. The interlock (SafetyInterlock) owns the state; this file only carries out its effects.
internal import Logging

extension ChargingStation {
    /// Feeds one input to the interlock and carries out its effects: the contactor first, then the reports.
    func applySafety(_ input: SafetyInput, evse: Int) async {
        await performSafety(safety.handle(input, evse: evse))
    }

    func performSafety(_ effects: [SafetyEffect]) async {
        for effect in effects {
            switch effect {
            case .contactor(let evse, let closed):
                do {
                    try await board.setContactor(evse: evse, closed: closed)
                } catch {
                    // An open that fails is the board's to detect (mirror contact: weldedContactor).
                    logger.critical("EVSE \(evse): cannot \(closed ? "close" : "open") the contactor: \(error)")
                }
            case .faultChanged(let evse, let fault, let active):
                logger.notice("EVSE \(evse): \(fault.component).\(fault.variable) \(active ? "raised" : "cleared") (\(fault))")
                await queueFaultEvent(evse: evse, fault: fault, active: active)
                // A lock failure the station found itself (the lock command failed) is in the station's picture of
                // the hardware too: it leaves it through the ordered inputs, so the engine resumes.
                if !active, fault == .lockFailure, physical[evse]?.faults.contains(.lockFailure) == true {
                    inputSink.yield(.hardware(.faultCleared(evse: evse, fault: .lockFailure)))
                }
            }
        }
    }

    /// What a hardware event tells the interlock. Boards without control-pilot sensing report the EV drawing power
    /// (state C) or not (state B) instead.
    func applySafety(for event: HardwareEvent) async {
        switch event {
        case .cablePlugged(let evse, let connector):
            await applySafety(.lockRequired(hasLock(evse: evse, connector: connector)), evse: evse)
            if safety.state(evse)?.controlPilot == .a { await applySafety(.controlPilot(.b), evse: evse) }
        case .cableUnplugged(let evse, _):
            guard physical[evse]?.connectors.contains(where: \.plugged) != true else { return }
            await applySafety(.controlPilot(.a), evse: evse)
            await applySafety(.lockRequired(false), evse: evse)
        case .evCharging(let evse):
            await applySafety(.controlPilot(.c), evse: evse)
        case .evSuspended(let evse):
            await applySafety(.controlPilot(.b), evse: evse)
        case .controlPilotChanged(let evse, let state):
            await applySafety(.controlPilot(state), evse: evse)
        case .faultRaised(let evse, let fault):
            // A lock that reports failure does not hold the plug, whatever it said before.
            if fault == .lockFailure { await applySafety(.locked(false), evse: evse) }
            await applySafety(.faultRaised(fault), evse: evse)
        case .faultCleared(let evse, let fault):
            await applySafety(.faultCleared(fault), evse: evse)
        case .faultsCleared(let evse):
            await applySafety(.faultsCleared, evse: evse)
        case .tokenPresented, .powerChanged:
            break
        }
    }

    func hasLock(evse: Int, connector: Int) -> Bool {
        board.evses.first { $0.id == evse }?.connectors.first { $0.id == connector }?.hasLock ?? true
    }

    /// Drives the plugged connector's lock. G05.FR.01: a lock that fails to lock means no charging (the interlock
    /// keeps the contactor open at once), and G05.FR.02 a NotifyEvent, through the fault raised here.
    func setLock(evse: Int, locked: Bool) async {
        let connector = physical[evse]?.connectors.first(where: \.plugged)?.id ?? 1
        do {
            try await board.setConnectorLock(evse: evse, connector: connector, locked: locked)
            await applySafety(.locked(locked), evse: evse)
        } catch {
            await applySafety(.locked(false), evse: evse)
            if locked {
                logger.error("EVSE \(evse) connector \(connector): the plug lock failed: \(error)")
                inputSink.yield(.hardware(.faultRaised(evse: evse, fault: .lockFailure)))
            } else {
                logger.error("EVSE \(evse) connector \(connector): cannot unlock: \(error)")
            }
        }
    }

    /// After a fault cleared: a lock that failed is tried again while the session still wants it locked; the
    /// interlock clears the failure only once it has locked.
    func relockAfterFailure(evse: Int) async {
        guard let state = safety.state(evse), state.faults.contains(.lockFailure), state.lockRequired,
            engine.session(evse)?.locked == true,
            physical[evse]?.faults.contains(.lockFailure) != true
        else { return }
        await setLock(evse: evse, locked: true)
    }
}

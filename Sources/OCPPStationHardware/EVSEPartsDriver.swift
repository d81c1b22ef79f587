// One EVSE's HAL parts (Ports/HALParts.swift) as a board drives them: the station's commands go to the parts, what
// the parts' inputs say becomes HardwareEvents (faults raised and cleared, control-pilot states). Whatever the parts
// are (this package's sysfs and GPIO backends, a manufacturer's own drivers), the fault rules are the same, here.
import OCPPStation
import Synchronization

final class EVSEPartsDriver: Sendable {
    private struct State {
        var contactorCommanded = false
        var mirrorClosed: Bool?
        var lockCommanded: [Int: Bool] = [:]
        var lockFeedback: [Int: Bool] = [:]
        /// Faults these parts' inputs show now.
        var faults: Set<HardwareFault> = []
        /// Faults the board knows of beyond these parts (the simulated ones on a mixed board).
        var otherFaulted = false
        /// The station's limit, capped to the EVSE's maximum.
        var limitA: Double
        var output: ControlPilotOutput?
        /// Bumped by each contactor command: a pending weld check of an older command is void.
        var contactorCommand = 0
    }

    let evse: Int
    let parts: EVSEParts
    let maxCurrentA: Double
    /// How long a mirror contact may take to follow an open command before the contactor counts as welded.
    let weldCheckDelay: Duration
    private let events: AsyncStream<HardwareEvent>.Continuation
    private let state: Mutex<State>

    init(
        evse: Int, parts: EVSEParts, maxCurrentA: Double, events: AsyncStream<HardwareEvent>.Continuation,
        weldCheckDelay: Duration = .milliseconds(200)
    ) {
        self.evse = evse
        self.parts = parts
        self.maxCurrentA = maxCurrentA
        self.events = events
        self.weldCheckDelay = weldCheckDelay
        self.state = Mutex(State(limitA: maxCurrentA))
    }

    var activeFaults: Set<HardwareFault> { state.withLock { $0.faults } }
    var controlPilotOutput: ControlPilotOutput? { state.withLock { $0.output } }

    // MARK: Commands

    /// False when this EVSE has no contactor part.
    func setContactor(closed: Bool) async throws -> Bool {
        guard let contactor = parts.contactor else { return false }
        let command = state.withLock { state in
            state.contactorCommanded = closed
            state.contactorCommand += 1
            return state.contactorCommand
        }
        try await contactor.setClosed(closed)
        if !closed {
            // The welded-contact check: the mirror contact must have followed the open command by now.
            let delay = weldCheckDelay
            Task { [weak self] in
                try? await Task.sleep(for: delay)
                self?.checkWeld(afterCommand: command)
            }
        }
        return true
    }

    private func checkWeld(afterCommand command: Int) {
        let change: HardwareEvent? = state.withLock { state in
            guard state.contactorCommand == command, let mirror = state.mirrorClosed else { return nil }
            return Self.update(&state.faults, .weldedContactor, evse: evse,
                active: contactorIsWelded(commandedClosed: state.contactorCommanded, mirrorContactClosed: mirror))
        }
        emit(change)
    }

    /// False when this connector has no lock part.
    func setLock(connector: Int, locked: Bool) async throws -> Bool {
        guard let lock = parts.locks[connector] else { return false }
        state.withLock { $0.lockCommanded[connector] = locked }
        try await lock.setLocked(locked)
        return true
    }

    /// The control pilot follows the station's limit; a fault that makes the connector Faulted forces state F.
    func setCurrentLimit(amps: Double) async throws {
        state.withLock { $0.limitA = min(amps, maxCurrentA) }
        try await refreshControlPilot()
    }

    /// What the board knows beyond these parts, for the control pilot and the status indicator.
    func show(otherFaulted: Bool, charging: Bool) async {
        state.withLock { $0.otherFaulted = otherFaulted }
        try? await refreshControlPilot()
        await refreshIndicator(charging: charging)
    }

    /// The plugged cable's rating where the connectors have proximity pilots (the lowest, if several are plugged);
    /// nil without a proximity pilot or cable. A reading outside every band offers nothing: 0 A.
    func cableRatingA() async -> Double? {
        var lowest: Double?
        for pilot in parts.proximityPilots.values {
            let rating: Double?
            do { rating = try await pilot.cableRating() } catch { rating = 0 }
            if let rating { lowest = min(lowest ?? rating, rating) }
        }
        return lowest
    }

    /// The control pilot again, after a cable came or went (its rating caps the limit).
    func refresh() async throws {
        try await refreshControlPilot()
    }

    private func refreshControlPilot() async throws {
        guard let pilot = parts.controlPilot else { return }
        let cable = await cableRatingA()
        let output: ControlPilotOutput? = state.withLock { state in
            let faulted = state.otherFaulted || state.faults.contains(where: \.makesConnectorFaulted)
            let limit = min(state.limitA, cable ?? state.limitA)
            let wanted = faulted ? ControlPilotOutput.stateF : ControlPilotOutput(currentLimitA: limit)
            guard wanted != state.output else { return nil }
            state.output = wanted
            return wanted
        }
        guard let output else { return }
        do {
            try await pilot.setOutput(output)
        } catch {
            state.withLock { $0.output = nil }  // unknown: written again next time
            throw error
        }
    }

    private func refreshIndicator(charging: Bool? = nil) async {
        guard let indicator = parts.statusIndicator else { return }
        let indication: StatusIndication = state.withLock { state in
            if state.otherFaulted || state.faults.contains(where: \.makesConnectorFaulted) { return .faulted }
            return charging ?? state.contactorCommanded ? .charging : .available
        }
        try? await indicator.show(indication)
    }

    // MARK: Inputs

    /// Watches every input part until cancelled.
    func watch() async throws {
        let evse = evse
        await withTaskGroup(of: Void.self) { group in
            if let contactor = parts.contactor {
                group.addTask { try? await contactor.watchMirrorContact { self.mirror($0) } }
            }
            for (connector, lock) in parts.locks {
                group.addTask { try? await lock.watchFeedback { self.lockFeedback(connector: connector, locked: $0) } }
            }
            if let rcd = parts.residualCurrentMonitor {
                group.addTask { try? await rcd.watchTripped { self.input(.groundFault, active: $0) } }
            }
            if let stop = parts.emergencyStop {
                group.addTask { try? await stop.watchPressed { self.input(.emergencyStop, active: $0) } }
            }
            if let pilot = parts.controlPilot {
                group.addTask {
                    try? await pilot.watchState { self.events.yield(.controlPilotChanged(evse: evse, state: $0)) }
                }
            }
        }
    }

    private func mirror(_ closed: Bool) {
        emit(state.withLock { state in
            state.mirrorClosed = closed
            return Self.update(&state.faults, .weldedContactor, evse: evse,
                active: contactorIsWelded(commandedClosed: state.contactorCommanded, mirrorContactClosed: closed))
        })
    }

    /// G05: feedback that says unlocked while the lock is commanded locked is a lock failure.
    private func lockFeedback(connector: Int, locked: Bool) {
        emit(state.withLock { state in
            state.lockFeedback[connector] = locked
            let failed = state.lockFeedback.contains { connector, locked in !locked && state.lockCommanded[connector] == true }
            return Self.update(&state.faults, .lockFailure, evse: evse, active: failed)
        })
    }

    private func input(_ fault: HardwareFault, active: Bool) {
        emit(state.withLock { state in Self.update(&state.faults, fault, evse: evse, active: active) })
    }

    private static func update(_ faults: inout Set<HardwareFault>, _ fault: HardwareFault, evse: Int, active: Bool) -> HardwareEvent? {
        if active { return faults.insert(fault).inserted ? .faultRaised(evse: evse, fault: fault) : nil }
        return faults.remove(fault) != nil ? .faultCleared(evse: evse, fault: fault) : nil
    }

    private func emit(_ event: HardwareEvent?) {
        guard let event else { return }
        events.yield(event)
        Task {
            try? await refreshControlPilot()
            await refreshIndicator()
        }
    }
}

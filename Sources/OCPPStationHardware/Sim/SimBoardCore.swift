// The simulated board's state machine: physical changes, the lazily integrated meter, persistence, events.
import Logging
import OCPPMessages
import OCPPStation

/// Serialises every change: a change is persisted, then its events are yielded, then the caller gets its answer.
actor SimBoardCore {
    let configuration: BoardConfiguration
    let statePath: String
    private let continuation: AsyncStream<HardwareEvent>.Continuation
    private let now: @Sendable () -> Double
    private let logger: Logger

    private var evses: [SimEVSEState]
    /// What the state file holds (nil: no file yet).
    private var persisted: [SimEVSEState]?
    /// Monotonic seconds up to which the energy registers are integrated.
    private var integratedAt: Double

    init(
        configuration: BoardConfiguration, statePath: String, evses: [SimEVSEState], persisted: [SimEVSEState]?,
        continuation: AsyncStream<HardwareEvent>.Continuation, now: @escaping @Sendable () -> Double, logger: Logger
    ) {
        self.configuration = configuration
        self.statePath = statePath
        self.evses = evses
        self.persisted = persisted
        self.continuation = continuation
        self.now = now
        self.integratedAt = now()
        self.logger = logger
    }

    /// Adds the energy drawn since the last integration: only while the EV charges and the contactor is closed.
    private func integrate() {
        let t = now()
        let elapsed = t - integratedAt
        integratedAt = t
        guard elapsed > 0 else { return }
        for index in evses.indices where evses[index].evCharging && evses[index].contactorClosed {
            evses[index].energyWh += evses[index].powerW * elapsed / 3600
        }
    }

    private func persist(_ state: [SimEVSEState]) throws(SimulatedBoardError) {
        do {
            try POSIXFiles.writeAtomically(path: statePath, bytes: SimBoardStateFile.encode(state))
        } catch {
            throw SimulatedBoardError("cannot save the sim board state: \(error.description)")
        }
        persisted = state
    }

    /// Applies `change` to a copy; persists it; only then makes it current and yields `events`.
    private func commit(_ state: [SimEVSEState], events: [HardwareEvent]) throws(SimulatedBoardError) {
        if state != persisted { try persist(state) }
        evses = state
        for event in events { continuation.yield(event) }
    }

    private func index(of evse: Int) throws(SimCommandError) -> Int {
        guard let index = evses.firstIndex(where: { $0.evse == evse }) else {
            let ids = evses.map(\.evse)
            let range = ids.count == 1 ? "EVSE \(ids[0])" : "EVSEs \(ids.first ?? 1)..\(ids.last ?? 1)"
            throw SimCommandError("EVSE \(evse) does not exist (this board has \(range))")
        }
        return index
    }

    // MARK: Port

    func physicalState() -> [EVSEPhysicalState] {
        snapshot().map(\.physicalState)
    }

    func setContactor(evse: Int, closed: Bool) throws(SimulatedBoardError) {
        try actuate(evse: evse) { $0.contactorClosed = closed }
    }

    /// The sim board has one lock per EVSE. With a `lock-failure` fault active, locking fails (G05).
    func setConnectorLock(evse: Int, locked: Bool) throws(SimulatedBoardError) {
        if locked, evses.first(where: { $0.evse == evse })?.faults.contains(.lockFailure) == true {
            throw SimulatedBoardError("EVSE \(evse): the plug lock does not lock (lock-failure)")
        }
        try actuate(evse: evse) { $0.locked = locked }
    }

    func setCurrentLimit(evse: Int, amps: Double) throws(SimulatedBoardError) {
        guard amps.isFinite, amps >= 0 else {
            throw SimulatedBoardError("current limit for EVSE \(evse) must be 0 A or more, got \(jsonNumber(amps))")
        }
        let maximum = configuration.evses.first(where: { $0.id == evse })?.maxCurrentA ?? amps
        try actuate(evse: evse) { $0.limitA = min(amps, maximum) }
    }

    private func actuate(evse: Int, _ change: (inout SimEVSEState) -> Void) throws(SimulatedBoardError) {
        integrate()
        let i: Int
        do {
            i = try index(of: evse)
        } catch {
            throw SimulatedBoardError(error.message)
        }
        var state = evses
        change(&state[i])
        try commit(state, events: [])
    }

    // MARK: Control socket commands

    /// Carries out a state-changing command; returns extra reply members. `status` is handled by the caller.
    func perform(_ command: SimCommand) throws(SimCommandError) -> JSONObject {
        integrate()
        var state = evses
        var events: [HardwareEvent] = []
        var reply = JSONObject()
        switch command {
        case .plug(let evse, let connector):
            let i = try index(of: evse)
            let c = try connectorIndex(connector ?? 1, in: state[i])
            if state[i].plugged[c] { throw SimCommandError("EVSE \(evse) connector \(c + 1) is already plugged") }
            state[i].plugged[c] = true
            events.append(.cablePlugged(evse: evse, connector: c + 1))
        case .unplug(let evse, let connector):
            let i = try index(of: evse)
            let c: Int
            if let connector {
                c = try connectorIndex(connector, in: state[i])
                if !state[i].plugged[c] { throw SimCommandError("EVSE \(evse) connector \(c + 1) is not plugged") }
            } else {
                guard let first = state[i].plugged.firstIndex(of: true) else {
                    throw SimCommandError("EVSE \(evse) has no plugged connector")
                }
                c = first
            }
            state[i].plugged[c] = false
            if !state[i].plugged.contains(true) { state[i].evCharging = false }
            events.append(.cableUnplugged(evse: evse, connector: c + 1))
        case .evCharge(let evse, let watts):
            let i = try index(of: evse)
            if !state[i].plugged.contains(true) { throw SimCommandError("EVSE \(evse): no cable is plugged") }
            if state[i].evCharging { throw SimCommandError("EVSE \(evse): the EV is already charging") }
            if let watts { state[i].evPowerW = watts }
            state[i].evCharging = true
            events.append(.evCharging(evse: evse))
            reply["powerW"] = .number(state[i].powerW)
        case .evSuspend(let evse):
            let i = try index(of: evse)
            if !state[i].plugged.contains(true) { throw SimCommandError("EVSE \(evse): no cable is plugged") }
            if !state[i].evCharging { throw SimCommandError("EVSE \(evse): the EV is not charging") }
            state[i].evCharging = false
            events.append(.evSuspended(evse: evse))
        case .tap(let idToken, let type, let evse):
            if configuration.rfid == nil { throw SimCommandError("this board has no RFID reader") }
            if let evse { _ = try index(of: evse) }
            events.append(.tokenPresented(idToken: idToken, type: type, evse: evse))
        case .power(let evse, let watts):
            let i = try index(of: evse)
            state[i].evPowerW = watts
            // The EV draws this while it charges; otherwise it is what it will draw when it starts.
            if state[i].evCharging { events.append(.powerChanged(evse: evse, watts: watts)) }
            reply["powerW"] = .number(state[i].powerW)
        case .fault(let evse, let kind):
            let i = try index(of: evse)
            if state[i].faults.contains(kind) { throw SimCommandError("EVSE \(evse): fault \(kind.rawValue) is already active") }
            state[i].faults.insert(kind)
            if kind == .lockFailure { state[i].locked = false }  // the lock's feedback: not locked
            events.append(.faultRaised(evse: evse, fault: kind))
        case .clearFault(let evse):
            let i = try index(of: evse)
            if state[i].faults.isEmpty { throw SimCommandError("EVSE \(evse) has no active fault") }
            state[i].faults = []
            events.append(.faultsCleared(evse: evse))
        case .status:
            break
        }
        do {
            try commit(state, events: events)
        } catch {
            throw SimCommandError(error.description)
        }
        return reply
    }

    private func connectorIndex(_ connector: Int, in evse: SimEVSEState) throws(SimCommandError) -> Int {
        guard connector >= 1, connector <= evse.plugged.count else {
            throw SimCommandError(
                "EVSE \(evse.evse) has no connector \(connector) (it has \(evse.plugged.count == 1 ? "connector 1" : "connectors 1..\(evse.plugged.count)"))")
        }
        return connector - 1
    }

    /// The state integrated to now. When the energy register moved, it is saved first, so that what was
    /// reported never goes backwards after a restart.
    func snapshot() -> [SimEVSEState] {
        integrate()
        if evses != persisted {
            do {
                try persist(evses)
            } catch {
                logger.warning("\(error.description)")
            }
        }
        return evses
    }

    /// Saves the integrated energy (at shutdown).
    func flush() {
        _ = snapshot()
    }
}

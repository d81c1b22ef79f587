// The safety interlock: the one place that decides whether an EVSE's contactor may be closed. It is independent of the
// CSMS and of the transaction logic: the transaction engine only *grants* energy transfer (an authorized session,
// authorization disabled, or within MaxEnergyOnInvalidId); the contactor closes when, in addition, the EV asks for
// energy (control pilot C or D), the plugged connector is locked where it has a lock, and no fault is active. Any
// fault opens the contactor at once, before anything is reported or written to disk. A plain value type: no I/O, no
// clock, every rule unit-tested.

/// What the interlock learns about one EVSE.
public enum SafetyInput: Sendable, Hashable {
    /// The transaction engine grants (true) or withdraws (false) energy transfer.
    case energyGranted(Bool)
    case controlPilot(ControlPilotState)
    /// The plugged connector has a plug retention lock (false: tethered cable, or nothing plugged).
    case lockRequired(Bool)
    /// The lock's outcome or feedback: locked or not. A lock that locks clears a `lockFailure` (its condition is gone).
    case locked(Bool)
    case faultRaised(HardwareFault)
    case faultCleared(HardwareFault)
    case faultsCleared
}

/// What the station does about it, in this order.
public enum SafetyEffect: Sendable, Hashable {
    case contactor(evse: Int, closed: Bool)
    /// A fault became active (true) or cleared (false): NotifyEvent on its component, status re-derived.
    case faultChanged(evse: Int, fault: HardwareFault, active: Bool)
}

public struct SafetyInterlock: Sendable, Hashable {
    /// One EVSE as the interlock sees it.
    public struct EVSEState: Sendable, Hashable {
        public internal(set) var energyGranted = false
        public internal(set) var controlPilot: ControlPilotState = .a
        public internal(set) var lockRequired = false
        public internal(set) var locked = false
        public internal(set) var faults: Set<HardwareFault> = []
        public internal(set) var contactorClosed = false

        public init() {}

        var lockConditionGone: Bool { !lockRequired || locked }

        /// Every condition for a closed contactor holds.
        public var mayClose: Bool {
            energyGranted && controlPilot.evRequestsEnergy && (!lockRequired || locked) && faults.isEmpty
        }
    }

    public private(set) var evses: [Int: EVSEState]

    public init(evseIds: [Int]) {
        evses = Dictionary(uniqueKeysWithValues: evseIds.map { ($0, EVSEState()) })
    }

    public func state(_ evse: Int) -> EVSEState? { evses[evse] }

    /// The hardware's state at start (it outlives the agent): faults already active are reported again, the
    /// contactor is taken as closed if the board says so, and is opened by the first step (nothing is granted yet).
    public mutating func restore(evse: Int, faults: Set<HardwareFault>, contactorClosed: Bool) -> [SafetyEffect] {
        guard evses[evse] != nil else { return [] }
        evses[evse]?.contactorClosed = contactorClosed
        var effects: [SafetyEffect] = []
        for fault in faults.sorted() { effects += handle(.faultRaised(fault), evse: evse) }
        return effects + handle(.energyGranted(false), evse: evse)
    }

    public mutating func handle(_ input: SafetyInput, evse: Int) -> [SafetyEffect] {
        guard var state = evses[evse] else { return [] }
        defer { evses[evse] = state }
        var reports: [SafetyEffect] = []
        switch input {
        case .energyGranted(let granted):
            state.energyGranted = granted
        case .controlPilot(let pilot):
            state.controlPilot = pilot
        case .lockRequired(let required):
            state.lockRequired = required
            // Nothing left to retain (the cable is out): the lock's failure has no condition any more.
            if !required, state.faults.remove(.lockFailure) != nil {
                reports.append(.faultChanged(evse: evse, fault: .lockFailure, active: false))
            }
        case .locked(let locked):
            state.locked = locked
            // The lock locked after all: the failure's condition is gone (G05).
            if locked, state.faults.remove(.lockFailure) != nil {
                reports.append(.faultChanged(evse: evse, fault: .lockFailure, active: false))
            }
        case .faultRaised(let fault):
            if state.faults.insert(fault).inserted {
                reports.append(.faultChanged(evse: evse, fault: fault, active: true))
            }
        case .faultCleared(let fault):
            if fault != .lockFailure || state.lockConditionGone, state.faults.remove(fault) != nil {
                reports.append(.faultChanged(evse: evse, fault: fault, active: false))
            }
        case .faultsCleared:
            // A failed lock clears only once it has locked (or nothing needs locking): saying it cleared is not enough.
            let kept: Set<HardwareFault> = state.lockConditionGone ? [] : state.faults.intersection([.lockFailure])
            for fault in state.faults.subtracting(kept).sorted() {
                reports.append(.faultChanged(evse: evse, fault: fault, active: false))
            }
            state.faults = kept
        }
        // Energy stops first: the contactor opens before any fault is reported.
        var effects: [SafetyEffect] = []
        if state.contactorClosed != state.mayClose {
            state.contactorClosed = state.mayClose
            effects.append(.contactor(evse: evse, closed: state.contactorClosed))
        }
        return effects + reports
    }
}

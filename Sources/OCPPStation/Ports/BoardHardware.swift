// The hardware port: everything the station knows about the physical charger goes through here.
// Backends (the simulated board, libgpiod + Modbus boards) live in OCPPStationHardware.
public import OCPPMessages

/// One EVSE as the board file describes it (OCPP Part 1: an EVSE has one or more connectors).
public struct EVSEDescription: Sendable, Hashable {
    public var id: Int
    public var connectors: [ConnectorDescription]

    public init(id: Int, connectors: [ConnectorDescription]) {
        self.id = id
        self.connectors = connectors
    }
}

public struct ConnectorDescription: Sendable, Hashable {
    public var id: Int
    /// An OCPP `ConnectorEnumType` value, for example `cType2`.
    public var type: String
    /// The connector has a plug retention lock (a socket outlet); false for a tethered cable. Where a lock exists,
    /// the contactor closes only once it is locked (Safety/SafetyInterlock.swift).
    public var hasLock: Bool

    public init(id: Int, type: String, hasLock: Bool = true) {
        self.id = id
        self.type = type
        self.hasLock = hasLock
    }
}

/// A fault a board reports on an EVSE. Any active fault that `makesConnectorFaulted` makes the EVSE's connectors
/// `Faulted`; every active fault opens the contactor at once (Safety/SafetyInterlock.swift) and is reported with a
/// NotifyEvent on the OCPP component that failed.
///
/// The set is open: a manufacturer whose hardware detects something else (an over-temperature, a CP diode
/// fault) declares its own fault with the component and variable the CSMS will see, for example
/// `HardwareFault("over-temperature", component: "ChargingStation", variable: "Problem")`.
public struct HardwareFault: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The board's name for the fault (`ground-fault`); also its name on the sim board's control socket.
    public var rawValue: String
    /// The OCPP component that failed (Part 2 appendix, components): `RCD`, `EmergencyStopSensor`, ...
    public var component: String
    /// The component's variable that the NotifyEvent reports `true` while the fault lasts: `Tripped`, `Active`,
    /// `Problem`.
    public var variable: String
    /// The stoppedReason of a transaction this fault ends (when a TxStopPoint is lost because of it).
    public var stoppedReason: ReasonEnumType
    /// False for a fault that only stops charging without making the connector unusable (a failed plug lock:
    /// G05.FR.01 asks for no charging and a NotifyEvent, not for Faulted).
    public var makesConnectorFaulted: Bool

    public init(
        _ rawValue: String, component: String, variable: String = "Problem", stoppedReason: ReasonEnumType = .other,
        makesConnectorFaulted: Bool = true
    ) {
        self.rawValue = rawValue
        self.component = component
        self.variable = variable
        self.stoppedReason = stoppedReason
        self.makesConnectorFaulted = makesConnectorFaulted
    }

    /// One of the `known` faults by name.
    public init?(rawValue: String) {
        guard let fault = Self.known.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = fault
    }

    /// The residual current device tripped.
    public static let groundFault = HardwareFault(
        "ground-fault", component: "RCD", variable: "Tripped", stoppedReason: .groundFault)
    public static let overcurrent = HardwareFault(
        "overcurrent", component: "OverCurrentProtection", variable: "Tripped", stoppedReason: .overcurrentFault)
    /// The energy meter stopped answering: energy can no longer be billed, so none is delivered.
    public static let meterLost = HardwareFault("meter-lost", component: "FiscalMetering", variable: "Problem")
    public static let emergencyStop = HardwareFault(
        "emergency-stop", component: "EmergencyStopSensor", variable: "Active", stoppedReason: .emergencyStop)
    /// The contactor's mirror contact says closed while it is commanded open.
    public static let weldedContactor = HardwareFault("welded-contactor", component: "PowerContactor", variable: "Problem")
    /// G05.FR.01/02: the plug retention lock did not lock (or its feedback says unlocked while it should be locked).
    public static let lockFailure = HardwareFault(
        "lock-failure", component: "ConnectorPlugRetentionLock", variable: "Problem", makesConnectorFaulted: false)

    /// The faults this package knows by name.
    public static let known: [HardwareFault] = [
        .groundFault, .overcurrent, .meterLost, .emergencyStop, .weldedContactor, .lockFailure,
    ]

    public static func < (lhs: HardwareFault, rhs: HardwareFault) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// IEC 61851-1 control pilot states as the EVSE measures them.
public enum ControlPilotState: String, Sendable, Hashable, CaseIterable {
    /// +12 V: no EV.
    case a = "A"
    /// +9 V: EV connected, not ready.
    case b = "B"
    /// +6 V: EV ready, asks for energy.
    case c = "C"
    /// +3 V: EV ready, asks for energy, ventilation required.
    case d = "D"
    /// 0 V: short circuit or EVSE supply lost.
    case e = "E"
    /// -12 V: EVSE not available (the EVSE forces it).
    case f = "F"

    /// The EV asks for energy: the only states in which the contactor may close.
    public var evRequestsEnergy: Bool { self == .c || self == .d }
}

/// Physical facts as the hardware sees them; the station decides what they mean in OCPP.
public enum HardwareEvent: Sendable, Equatable {
    case cablePlugged(evse: Int, connector: Int)
    case cableUnplugged(evse: Int, connector: Int)
    /// The EV started drawing power (for boards without control-pilot sensing: the EV is in state C).
    case evCharging(evse: Int)
    /// The EV stopped drawing power while plugged (SuspendedEV; without control-pilot sensing: state B).
    case evSuspended(evse: Int)
    /// The control pilot changed state (boards that sense it). C/D count as charging, B as suspended.
    case controlPilotChanged(evse: Int, state: ControlPilotState)
    /// A card or other token was presented at the station (evse nil: not tied to one EVSE).
    case tokenPresented(idToken: String, type: IdTokenEnumType, evse: Int?)
    case faultRaised(evse: Int, fault: HardwareFault)
    /// One fault on this EVSE cleared: its condition is gone.
    case faultCleared(evse: Int, fault: HardwareFault)
    /// All faults on this EVSE are cleared.
    case faultsCleared(evse: Int)
    /// What the EV draws changed (watts).
    case powerChanged(evse: Int, watts: Double)
}

public struct ConnectorPhysicalState: Sendable, Hashable {
    public var id: Int
    public var plugged: Bool

    public init(id: Int, plugged: Bool) {
        self.id = id
        self.plugged = plugged
    }
}

/// A snapshot of one EVSE's hardware.
public struct EVSEPhysicalState: Sendable, Hashable {
    public var evse: Int
    public var connectors: [ConnectorPhysicalState]
    public var evCharging: Bool
    public var faults: Set<HardwareFault>
    /// The meter's energy register (Wh), never decreasing.
    public var energyWh: Double
    public var powerW: Double
    public var limitA: Double
    public var contactorClosed: Bool
    public var locked: Bool

    public init(
        evse: Int, connectors: [ConnectorPhysicalState], evCharging: Bool = false, faults: Set<HardwareFault> = [],
        energyWh: Double = 0, powerW: Double = 0, limitA: Double = 32, contactorClosed: Bool = false, locked: Bool = false
    ) {
        self.evse = evse
        self.connectors = connectors
        self.evCharging = evCharging
        self.faults = faults
        self.energyWh = energyWh
        self.powerW = powerW
        self.limitA = limitA
        self.contactorClosed = contactorClosed
        self.locked = locked
    }
}

/// What the station shows about one EVSE in OCPP terms, for hardware that reports it back
/// (the simulated board's `status` command, a display).
public struct EVSEStationView: Sendable, Hashable {
    public struct Connector: Sendable, Hashable {
        public var id: Int
        /// An OCPP `ConnectorStatusEnumType` value: Available, Occupied, Reserved, Unavailable, Faulted.
        public var status: String
        public init(id: Int, status: String) {
            self.id = id
            self.status = status
        }
    }
    public var evse: Int
    public var connectors: [Connector]
    public var transactionId: String?

    public init(evse: Int, connectors: [Connector], transactionId: String? = nil) {
        self.evse = evse
        self.connectors = connectors
        self.transactionId = transactionId
    }
}

/// Read access to the station's view, handed to a board while it runs.
public protocol StationView: Sendable {
    func evseViews() async -> [EVSEStationView]
}

/// The port a board backend implements: the whole board as the station sees it. A backend composes the parts of
/// Ports/HALParts.swift (OCPPStationHardware's `SimulatedBoard` does, for board files and a manufacturer's own parts),
/// or implements this port in one piece.
public protocol BoardHardware: Sendable {
    /// The EVSEs and connectors this board has, in id order.
    var evses: [EVSEDescription] { get }

    /// Hardware events as they happen. There is one consumer: the station.
    var events: AsyncStream<HardwareEvent> { get }

    /// What the hardware says now (after a restart too: the hardware's state outlives the agent).
    func physicalState() async -> [EVSEPhysicalState]

    /// Actuators. The station calls them only through its safety interlock (Safety/SafetyInterlock.swift): the
    /// contactor is closed only when energy is granted, the EV is in C/D, the connector is locked and no fault is
    /// active. A board whose contactor has a mirror contact raises `HardwareFault.weldedContactor` when the feedback
    /// disagrees with the command.
    func setContactor(evse: Int, closed: Bool) async throws
    /// Locks or unlocks one connector's plug retention lock. Throws when the lock does not reach the position (its
    /// feedback disagrees): the station then charges nothing and reports ConnectorPlugRetentionLock Problem (G05).
    func setConnectorLock(evse: Int, connector: Int, locked: Bool) async throws
    /// The current the EV may draw, in amperes: for an AC EVSE the control pilot's PWM duty cycle
    /// (`ControlPilotOutput(currentLimitA:)`, IEC 61851-1: duty % = A / 0.6 from 6 A to 51 A); below 6 A (0: nothing
    /// offered) the PWM stops.
    func setCurrentLimit(evse: Int, amps: Double) async throws

    /// Runs the backend's own I/O (the sim board's control socket, GPIO line watchers) until the task is
    /// cancelled or a graceful shutdown is triggered; then it releases what it holds and returns.
    func run(station: any StationView) async throws
}

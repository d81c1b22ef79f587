// The hardware port: everything the station knows about the physical charger goes through here.
// Backends (the simulated board, libgpiod + Modbus boards) live in OCPPStationHardware.

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

    public init(id: Int, type: String) {
        self.id = id
        self.type = type
    }
}

/// Faults a board can report. Any active fault makes the EVSE's connectors `Faulted`.
public enum HardwareFault: String, Sendable, Hashable, CaseIterable {
    case groundFault = "ground-fault"
    case overcurrent = "overcurrent"
    case meterLost = "meter-lost"
    case emergencyStop = "emergency-stop"
}

/// Physical facts as the hardware sees them; the station decides what they mean in OCPP.
public enum HardwareEvent: Sendable, Equatable {
    case cablePlugged(evse: Int, connector: Int)
    case cableUnplugged(evse: Int, connector: Int)
    /// The EV started drawing power.
    case evCharging(evse: Int)
    /// The EV stopped drawing power while plugged (SuspendedEV).
    case evSuspended(evse: Int)
    /// A card or other token was presented at the station (evse nil: not tied to one EVSE).
    case tokenPresented(idToken: String, type: String, evse: Int?)
    case faultRaised(evse: Int, fault: HardwareFault)
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

/// The port a board backend implements.
public protocol BoardHardware: Sendable {
    /// The EVSEs and connectors this board has, in id order.
    var evses: [EVSEDescription] { get }

    /// Hardware events as they happen. There is one consumer: the station.
    var events: AsyncStream<HardwareEvent> { get }

    /// What the hardware says now (after a restart too: the hardware's state outlives the agent).
    func physicalState() async -> [EVSEPhysicalState]

    /// Actuators.
    func setContactor(evse: Int, closed: Bool) async throws
    func setConnectorLock(evse: Int, locked: Bool) async throws
    func setCurrentLimit(evse: Int, amps: Double) async throws

    /// Runs the backend's own I/O (the sim board's control socket, GPIO line watchers) until the task is
    /// cancelled or a graceful shutdown is triggered; then it releases what it holds and returns.
    func run(station: any StationView) async throws
}

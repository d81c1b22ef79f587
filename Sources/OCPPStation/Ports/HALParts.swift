// The hardware abstraction layer, part by part: one protocol per piece of a charger's hardware. A manufacturer who
// brings their own drivers implements the protocols for the parts it has its own drivers for and takes the rest from
// this package's backends (OCPPStationHardware: GPIO lines, Linux PWM and IIO sysfs, evdev, Modbus RTU, the simulated
// board); `EVSEParts` names one EVSE's parts, and a `BoardHardware` composes them.
//
// The rules every part follows:
// - Calls may block on a bus or a file for a bounded time, so an implementation does its I/O off the event loop (a
//   thread of its own, a thread pool) and returns when it is done.
// - Inputs are watched, not polled by the station: `watch` runs until its task is cancelled, reports the level at
//   start first and then every change. A part that cannot sense the input keeps the default (it reports nothing).
// - Actuators never decide on their own whether energy may flow: the station's safety interlock
//   (Safety/SafetyInterlock.swift) does, and calls them.
public import OCPPMessages

/// The power contactor of one EVSE: the relay that switches the mains to the EV.
public protocol Contactor: Sendable {
    /// Closes or opens the contactor; returns once the command is given (opening must not wait for anything).
    func setClosed(_ closed: Bool) async throws
    /// Watches the contactor's mirror (auxiliary, feedback) contact: true when it says closed. A contactor without one
    /// keeps the default and reports nothing.
    func watchMirrorContact(_ closed: @escaping @Sendable (Bool) -> Void) async throws
}

extension Contactor {
    public func watchMirrorContact(_ closed: @escaping @Sendable (Bool) -> Void) async throws {
        try await Task.sleepUntilCancelled()
    }
}

/// The welded-contact check: a mirror contact that says closed while the contactor is commanded open means the main
/// contacts are welded (energy cannot be stopped): `HardwareFault.weldedContactor`, raised while it lasts.
/// (A mirror contact that says open while commanded closed is no weld: the contactor did not pull in, nothing flows.)
public func contactorIsWelded(commandedClosed: Bool, mirrorContactClosed: Bool) -> Bool {
    mirrorContactClosed && !commandedClosed
}

/// Why a plug retention lock did not reach its position.
public struct ConnectorLockFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var connector: Int
    public var reason: String
    public init(connector: Int, reason: String) {
        self.connector = connector
        self.reason = reason
    }
    public var description: String { "connector \(connector): \(reason)" }
}

/// The plug retention lock of one connector (a socket outlet; a tethered cable has none).
public protocol ConnectorLock: Sendable {
    /// Locks or unlocks, and returns once the lock's feedback agrees. Throws (a `ConnectorLockFailure`, for
    /// example) when it does not reach the position in time: the station charges nothing and reports
    /// ConnectorPlugRetentionLock Problem (G05.FR.01/02).
    func setLocked(_ locked: Bool) async throws
    /// Watches the lock's feedback: true = locked. The failure event: feedback that says unlocked while the lock is
    /// commanded locked is `HardwareFault.lockFailure` (the composing board raises it). Default: no feedback.
    func watchFeedback(_ locked: @escaping @Sendable (Bool) -> Void) async throws
}

extension ConnectorLock {
    public func watchFeedback(_ locked: @escaping @Sendable (Bool) -> Void) async throws {
        try await Task.sleepUntilCancelled()
    }
}

/// What the EVSE puts on the control pilot line (IEC 61851-1): a 1 kHz PWM whose duty cycle tells the EV the current
/// it may draw, a constant +12 V (no PWM: charging not allowed, the EV sees state A/B), or a constant -12 V (state F:
/// the EVSE is not available).
public enum ControlPilotOutput: Sendable, Hashable, CustomStringConvertible {
    /// A PWM with this duty cycle, in percent (0 < duty < 100).
    case pwm(dutyPercent: Double)
    /// No PWM: a constant +12 V (100 % duty). The EV may not draw current.
    case noPWM
    /// State F: a constant -12 V (0 % duty). The EVSE is not available.
    case stateF

    /// IEC 61851-1 Annex A, table A.8: the duty cycle for digital communication (ISO 15118 / DIN 70121 negotiate the
    /// current over PLC).
    public static let digitalCommunication = ControlPilotOutput.pwm(dutyPercent: 5)

    /// The lowest current a PWM may offer (IEC 61851-1: 6 A = 10 %); below it the EV may not draw current.
    public static let minimumCurrentA = 6.0
    /// The highest current the duty-cycle formula reaches (80 A = 96 %); higher limits are capped.
    public static let maximumCurrentA = 80.0

    /// The output for a current limit (IEC 61851-1 Annex A, table A.8):
    /// 6 A to 51 A: duty % = A / 0.6; above 51 A up to 80 A: duty % = A / 2.5 + 64; above 80 A: capped at 96 %.
    /// Below 6 A (0 A: no energy is offered) the PWM stops: a constant +12 V, which the EV reads as "no current".
    public init(currentLimitA amps: Double) {
        guard amps.isFinite, amps >= Self.minimumCurrentA else {
            self = .noPWM
            return
        }
        let capped = min(amps, Self.maximumCurrentA)
        self = .pwm(dutyPercent: capped <= 51 ? capped / 0.6 : capped / 2.5 + 64)
    }

    /// The duty cycle in percent: 100 without PWM, 0 in state F.
    public var dutyPercent: Double {
        switch self {
        case .pwm(let duty): duty
        case .noPWM: 100
        case .stateF: 0
        }
    }

    /// The current an EV may draw at this output (the inverse of `init(currentLimitA:)`); 0 without a PWM offer and
    /// nil for digital communication (the current is negotiated digitally).
    public var currentLimitA: Double? {
        let duty = dutyPercent
        switch duty {
        case 3...7: return nil
        case 10...85: return duty * 0.6
        case 85...96: return (duty - 64) * 2.5
        default: return 0
        }
    }

    public var description: String {
        switch self {
        case .pwm(let duty): "PWM \(duty) %"
        case .noPWM: "no PWM (+12 V)"
        case .stateF: "state F (-12 V)"
        }
    }
}

/// The control pilot of one EVSE: the PWM generator out, the measured state (A-F) in.
public protocol ControlPilot: Sendable {
    /// Puts `output` on the line.
    func setOutput(_ output: ControlPilotOutput) async throws
    /// Watches the state the EVSE measures on the line (its high level: A +12 V ... E 0 V, F -12 V). Default: the
    /// board does not sense it (the station then takes C/B from the EV drawing power or not).
    func watchState(_ state: @escaping @Sendable (ControlPilotState) -> Void) async throws
}

extension ControlPilot {
    public func watchState(_ state: @escaping @Sendable (ControlPilotState) -> Void) async throws {
        try await Task.sleepUntilCancelled()
    }

    /// The current the EV may draw, as a duty cycle (`ControlPilotOutput(currentLimitA:)`).
    public func setCurrentLimit(amps: Double) async throws {
        try await setOutput(ControlPilotOutput(currentLimitA: amps))
    }

    /// Stops the PWM: a constant +12 V.
    public func stopPWM() async throws {
        try await setOutput(.noPWM)
    }

    /// Forces state F (-12 V): the EVSE is not available.
    public func forceStateF() async throws {
        try await setOutput(.stateF)
    }
}

/// The proximity pilot of one connector (IEC 61851-1 Annex B, IEC 62196): the resistor in a detachable cable's plug
/// tells the current the cable carries.
public protocol ProximityPilot: Sendable {
    /// The plugged cable's rating in amperes (13, 20, 32, 63), nil when no cable is plugged. Throws when the line
    /// cannot be read or reads outside every band (a broken cable must not be taken for a strong one).
    func cableRating() async throws -> Double?
}

/// The residual current device (RCD / RCM, ground-fault detection) of one EVSE.
public protocol ResidualCurrentMonitor: Sendable {
    /// Watches the trip output: true = tripped (`HardwareFault.groundFault` while it lasts).
    func watchTripped(_ tripped: @escaping @Sendable (Bool) -> Void) async throws
}

/// An emergency stop button (its contact opens the supply on its own; the station is told to stop the transaction).
public protocol EmergencyStop: Sendable {
    /// Watches the button: true = pressed (`HardwareFault.emergencyStop` while it lasts).
    func watchPressed(_ pressed: @escaping @Sendable (Bool) -> Void) async throws
}

/// What an EVSE's status LEDs (or a display) show.
public enum StatusIndication: String, Sendable, Hashable, CaseIterable {
    /// No fault, contactor open.
    case available
    /// Contactor closed.
    case charging
    /// A fault that makes the connector Faulted is active.
    case faulted
}

/// The status LEDs of one EVSE.
public protocol StatusIndicator: Sendable {
    func show(_ indication: StatusIndication) async throws
}

/// A token as a reader read it.
public struct PresentedIdToken: Sendable, Hashable {
    public var idToken: String
    public var type: IdTokenEnumType
    /// The EVSE the reader belongs to; nil for a reader of the whole station.
    public var evse: Int?

    public init(idToken: String, type: IdTokenEnumType, evse: Int? = nil) {
        self.idToken = idToken
        self.type = type
        self.evse = evse
    }
}

/// An RFID/NFC card reader (or any other source of tokens: a PIN pad, a plug-and-charge contract).
public protocol IdTokenReader: Sendable {
    /// Reads tokens until the task is cancelled; `presented` gets each one as it is read. Reading blocks, so an
    /// implementation reads on a thread of its own.
    func run(_ presented: @escaping @Sendable (PresentedIdToken) -> Void) async throws
}

/// One EVSE's parts; any may be absent (the composing board simulates it, or the EVSE has no such part).
/// `BoardConfiguration.makeHardware(..., parts:)` (OCPPStationHardware) takes a manufacturer's parts over the ones the
/// board file describes.
public struct EVSEParts: Sendable {
    public var contactor: (any Contactor)?
    /// By connector id.
    public var locks: [Int: any ConnectorLock]
    public var controlPilot: (any ControlPilot)?
    /// By connector id.
    public var proximityPilots: [Int: any ProximityPilot]
    public var residualCurrentMonitor: (any ResidualCurrentMonitor)?
    public var emergencyStop: (any EmergencyStop)?
    public var statusIndicator: (any StatusIndicator)?
    public var energyMeter: (any EnergyMeter)?

    public init(
        contactor: (any Contactor)? = nil, locks: [Int: any ConnectorLock] = [:], controlPilot: (any ControlPilot)? = nil,
        proximityPilots: [Int: any ProximityPilot] = [:], residualCurrentMonitor: (any ResidualCurrentMonitor)? = nil,
        emergencyStop: (any EmergencyStop)? = nil, statusIndicator: (any StatusIndicator)? = nil,
        energyMeter: (any EnergyMeter)? = nil
    ) {
        self.contactor = contactor
        self.locks = locks
        self.controlPilot = controlPilot
        self.proximityPilots = proximityPilots
        self.residualCurrentMonitor = residualCurrentMonitor
        self.emergencyStop = emergencyStop
        self.statusIndicator = statusIndicator
        self.energyMeter = energyMeter
    }

    /// `other`'s parts where it has them, this one's elsewhere.
    public func overridden(by other: EVSEParts) -> EVSEParts {
        EVSEParts(
            contactor: other.contactor ?? contactor, locks: locks.merging(other.locks) { $1 },
            controlPilot: other.controlPilot ?? controlPilot,
            proximityPilots: proximityPilots.merging(other.proximityPilots) { $1 },
            residualCurrentMonitor: other.residualCurrentMonitor ?? residualCurrentMonitor,
            emergencyStop: other.emergencyStop ?? emergencyStop, statusIndicator: other.statusIndicator ?? statusIndicator,
            energyMeter: other.energyMeter ?? energyMeter)
    }
}

extension Task where Success == Never, Failure == Never {
    /// Sleeps until the task is cancelled, then throws `CancellationError`: a watch with nothing to watch.
    public static func sleepUntilCancelled() async throws {
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}

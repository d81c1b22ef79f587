// One EVSE's GPIO lines as the board file names them: outputs for the contactor, the plug lock and the status LEDs;
// inputs for the contactor's mirror contact, the lock's feedback, the RCD and the emergency stop. `makeParts` requests
// them as HAL parts (GPIOParts.swift); the board turns what the inputs say into faults (EVSEPartsDriver).
public import OCPPStation

public struct GPIOOutputConfiguration: Sendable, Hashable {
    public var address: GPIOLineAddress
    /// The line is low when active (a relay board that switches on low).
    public var activeLow: Bool

    public init(address: GPIOLineAddress, activeLow: Bool = false) {
        self.address = address
        self.activeLow = activeLow
    }
}

public struct GPIOInputConfiguration: Sendable, Hashable {
    public var address: GPIOLineAddress
    public var activeLow: Bool
    /// A change counts once the line has kept its new level this long (contact bounce).
    public var debounceMs: Int

    public init(address: GPIOLineAddress, activeLow: Bool = false, debounceMs: Int = 10) {
        self.address = address
        self.activeLow = activeLow
        self.debounceMs = debounceMs
    }
}

/// The lines of one EVSE, as the board file names them; any may be absent.
public struct GPIOEVSEConfiguration: Sendable, Hashable {
    /// Active = contactor closed.
    public var contactor: GPIOOutputConfiguration?
    /// The contactor's mirror contact: active = closed. Closed while commanded open is a welded contact.
    public var contactorFeedback: GPIOInputConfiguration?
    /// Active = locked.
    public var lock: GPIOOutputConfiguration?
    /// Active = locked. Unlocked while commanded locked is a lock failure (G05).
    public var lockFeedback: GPIOInputConfiguration?
    /// Active = tripped (ground fault).
    public var rcd: GPIOInputConfiguration?
    /// Active = pressed.
    public var emergencyStop: GPIOInputConfiguration?
    public var ledAvailable: GPIOOutputConfiguration?
    public var ledCharging: GPIOOutputConfiguration?
    public var ledFault: GPIOOutputConfiguration?

    public init(
        contactor: GPIOOutputConfiguration? = nil, contactorFeedback: GPIOInputConfiguration? = nil,
        lock: GPIOOutputConfiguration? = nil, lockFeedback: GPIOInputConfiguration? = nil, rcd: GPIOInputConfiguration? = nil,
        emergencyStop: GPIOInputConfiguration? = nil, ledAvailable: GPIOOutputConfiguration? = nil,
        ledCharging: GPIOOutputConfiguration? = nil, ledFault: GPIOOutputConfiguration? = nil
    ) {
        self.contactor = contactor
        self.contactorFeedback = contactorFeedback
        self.lock = lock
        self.lockFeedback = lockFeedback
        self.rcd = rcd
        self.emergencyStop = emergencyStop
        self.ledAvailable = ledAvailable
        self.ledCharging = ledCharging
        self.ledFault = ledFault
    }

    /// Every line with the board-file field that names it (for duplicate checks and messages).
    public var lines: [(field: String, address: GPIOLineAddress)] {
        let outputs: [(String, GPIOOutputConfiguration?)] = [
            ("contactor", contactor), ("lock", lock), ("leds.available", ledAvailable), ("leds.charging", ledCharging),
            ("leds.fault", ledFault),
        ]
        let inputs: [(String, GPIOInputConfiguration?)] = [
            ("contactorFeedback", contactorFeedback), ("lockFeedback", lockFeedback), ("rcd", rcd),
            ("emergencyStop", emergencyStop),
        ]
        return outputs.compactMap { field, line in line.map { (field, $0.address) } }
            + inputs.compactMap { field, line in line.map { (field, $0.address) } }
    }
}

extension GPIOEVSEConfiguration {
    /// Requests every line (outputs inactive: contactor open, unlocked, LEDs off) as HAL parts. The lock line is the
    /// plug retention lock of `lockConnector`. Throws naming the line that failed; nothing stays requested then.
    public func makeParts(driver: any GPIODriver, lockConnector: Int = 1, consumer: String = "ocpp-station") throws(GPIOError) -> EVSEParts {
        func output(_ line: GPIOOutputConfiguration?) throws(GPIOError) -> GPIOOutputLine? {
            guard let line else { return nil }
            return try GPIOOutputLine(line, driver: driver, consumer: consumer)
        }
        func input(_ line: GPIOInputConfiguration?) throws(GPIOError) -> GPIOInputLine? {
            guard let line else { return nil }
            return try GPIOInputLine(line, driver: driver, consumer: consumer)
        }
        var parts = EVSEParts()
        if let line = try output(contactor) {
            parts.contactor = GPIOContactor(output: line, mirrorContact: try input(contactorFeedback))
        }
        if let line = try output(lock) {
            parts.locks[lockConnector] = GPIOConnectorLock(connector: lockConnector, output: line, feedback: try input(lockFeedback))
        }
        parts.residualCurrentMonitor = try input(rcd)
        parts.emergencyStop = try input(emergencyStop)
        let leds = (try output(ledAvailable), try output(ledCharging), try output(ledFault))
        if leds.0 != nil || leds.1 != nil || leds.2 != nil {
            parts.statusIndicator = GPIOStatusLEDs(available: leds.0, charging: leds.1, fault: leds.2)
        }
        return parts
    }
}

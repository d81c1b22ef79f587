// The energy meter port: what a meter driver (the Modbus RTU backend, a manufacturer's own) implements.

/// Values per phase; nil where the meter has no such phase or register.
public struct PhaseValues: Sendable, Hashable {
    public var l1: Double?
    public var l2: Double?
    public var l3: Double?

    public init(l1: Double? = nil, l2: Double? = nil, l3: Double? = nil) {
        self.l1 = l1
        self.l2 = l2
        self.l3 = l3
    }
}

/// One reading of a meter.
public struct MeterSample: Sendable, Hashable {
    /// Which meter (for a Modbus meter: `device#address`), so that a reading is never attributed to another.
    public var meterId: String
    /// When it was read, seconds since 1970 by the system clock.
    public var timestamp: Double
    /// The active energy import register, Wh; never decreasing on a healthy meter.
    public var energyImportWh: Double?
    /// Total active power, W.
    public var powerW: Double?
    public var voltageV: PhaseValues
    public var currentA: PhaseValues
    public var powerPerPhaseW: PhaseValues

    public init(
        meterId: String, timestamp: Double, energyImportWh: Double? = nil, powerW: Double? = nil,
        voltageV: PhaseValues = PhaseValues(), currentA: PhaseValues = PhaseValues(),
        powerPerPhaseW: PhaseValues = PhaseValues()
    ) {
        self.meterId = meterId
        self.timestamp = timestamp
        self.energyImportWh = energyImportWh
        self.powerW = powerW
        self.voltageV = voltageV
        self.currentA = currentA
        self.powerPerPhaseW = powerPerPhaseW
    }
}

/// An energy meter. `read` may block on a bus for as long as the meter's timeout and retries allow, so an
/// implementation must do its I/O off the event loop (the Modbus backend has a thread per serial bus). A meter that
/// does not answer throws; the board turns failed polls into `HardwareFault.meterLost` (no energy is delivered that
/// cannot be billed) and clears it when the meter answers again.
public protocol EnergyMeter: Sendable {
    var meterId: String { get }
    func read() async throws -> MeterSample
}

// The proximity pilot through an IIO ADC channel (/sys/bus/iio/devices/iio:deviceN/in_voltageX_raw and its scale):
// the EVSE pulls the PP contact up to a supply through a resistor; the cable's resistor (IEC 61851-1 Annex B, IEC
// 62196) pulls it down, so the voltage tells the cable's resistance and the resistance its rating.
import NIOPosix
public import OCPPStation

/// An ADC channel and the PP circuit around it, as the board file names them.
public struct ProximityPilotConfiguration: Sendable, Hashable {
    /// N in iio:deviceN.
    public var device: Int
    /// X in in_voltageX_raw.
    public var channel: Int
    /// The pull-up resistor from the supply to the PP contact, ohms.
    public var pullUpOhms: Double
    /// The pull-up's supply, millivolts (as the ADC measures it, after any divider).
    public var supplyMillivolts: Double

    public init(device: Int, channel: Int, pullUpOhms: Double, supplyMillivolts: Double) {
        self.device = device
        self.channel = channel
        self.pullUpOhms = pullUpOhms
        self.supplyMillivolts = supplyMillivolts
    }
}

public final class IIOProximityPilot: ProximityPilot {
    /// IEC 61851-1 Annex B (table B.2): the cable's resistor and its rating: 1.5 kΩ 13 A, 680 Ω 20 A, 220 Ω 32 A,
    /// 100 Ω 63 A. A reading belongs to the nearest nominal value: the bands meet at the geometric mean of
    /// neighbouring values (1010 Ω, 387 Ω, 148 Ω) and end at 2.7 kΩ and 50 Ω; outside them the reading is refused.
    public static let bands: [(range: ClosedRange<Double>, amps: Double)] = [
        (1010...2700, 13), (387...1010, 20), (148...387, 32), (50...148, 63),
    ]
    /// Above this share of the supply the contact is open: no cable.
    public static let openThreshold = 0.95

    public let configuration: ProximityPilotConfiguration
    public let sysfsRoot: String

    public init(configuration: ProximityPilotConfiguration, sysfsRoot: String = "/sys") {
        self.configuration = configuration
        self.sysfsRoot = sysfsRoot
    }

    public var devicePath: String { POSIXFiles.join(sysfsRoot, "bus/iio/devices/iio:device\(configuration.device)") }

    /// The cable's rating from a resistance; nil outside every band.
    public static func rating(ohms: Double) -> Double? {
        bands.first { $0.range.contains(ohms) }?.amps
    }

    /// The cable's resistance from the PP voltage (nil: open, no cable).
    public func resistance(millivolts: Double) -> Double? {
        let supply = configuration.supplyMillivolts
        guard millivolts < supply * Self.openThreshold else { return nil }
        return configuration.pullUpOhms * max(millivolts, 0) / (supply - max(millivolts, 0))
    }

    /// One ADC reading in millivolts: raw × scale (in_voltageX_scale, else the device's in_voltage_scale) + offset.
    func millivolts() throws(SysfsError) -> Double {
        func value(_ name: String) throws(SysfsError) -> Double? {
            let path = POSIXFiles.join(devicePath, name)
            guard POSIXFiles.kind(path: path) == .file else { return nil }
            let text: String
            do { text = try POSIXFiles.readAttribute(path: path) } catch { throw SysfsError("\(path): \(error.reason)") }
            guard let number = Double(text) else { throw SysfsError("\(path): \(jsonQuoted(text)) is not a number") }
            return number
        }
        let channel = "in_voltage\(configuration.channel)"
        guard let raw = try value("\(channel)_raw") else {
            throw SysfsError("\(POSIXFiles.join(devicePath, channel + "_raw")) does not exist: no such ADC channel")
        }
        var scale = try value("\(channel)_scale")
        if scale == nil { scale = try value("in_voltage_scale") }
        var offset = try value("\(channel)_offset")
        if offset == nil { offset = try value("in_voltage_offset") }
        return (raw + (offset ?? 0)) * (scale ?? 1)
    }

    /// Reads the ADC (a short blocking sysfs read: the IIO driver converts on demand).
    public func cableRating() async throws -> Double? {
        let millivolts = try await NIOThreadPool.singleton.runIfActive { try self.millivolts() }
        guard let ohms = resistance(millivolts: millivolts) else { return nil }
        guard let amps = Self.rating(ohms: ohms) else {
            throw SysfsError("proximity pilot reads \(Int(ohms.rounded())) Ω (\(Int(millivolts.rounded())) mV): outside every IEC 61851-1 Annex B band")
        }
        return amps
    }
}

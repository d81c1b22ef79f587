// The control pilot's PWM through the Linux PWM class (/sys/class/pwm/pwmchipN/pwmM): a SoC PWM channel drives the
// CP line through the usual ±12 V stage, so output high = +12 V and output low = -12 V. The current limit becomes a
// duty cycle per IEC 61851-1 (ControlPilotOutput); no PWM is a 100 % duty (+12 V) and state F a 0 % duty (-12 V).
// The channel stays enabled: a disabled PWM leaves the pin at a level the driver chooses, which could be either.
import NIOPosix
public import OCPPStation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A PWM channel as the board file names it.
public struct PWMChannelConfiguration: Sendable, Hashable {
    /// N in pwmchipN.
    public var chip: Int
    /// M in pwmM (the channel exported from the chip).
    public var channel: Int
    /// IEC 61851-1: 1 kHz.
    public var frequencyHz: Int

    public init(chip: Int, channel: Int, frequencyHz: Int = 1000) {
        self.chip = chip
        self.channel = channel
        self.frequencyHz = frequencyHz
    }

    public var periodNs: Int { 1_000_000_000 / frequencyHz }
}

public struct SysfsError: Error, CustomStringConvertible, Sendable, Hashable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public final class SysfsPWMControlPilot: ControlPilot {
    public let configuration: PWMChannelConfiguration
    /// `/sys` on a board; a temp directory laid out like it in tests.
    public let sysfsRoot: String
    /// Serialises the write sequences (export, period, duty cycle, enable) of concurrent commands.
    private let writing = Mutex(false)

    public init(configuration: PWMChannelConfiguration, sysfsRoot: String = "/sys") {
        self.configuration = configuration
        self.sysfsRoot = sysfsRoot
    }

    public var chipPath: String { POSIXFiles.join(sysfsRoot, "class/pwm/pwmchip\(configuration.chip)") }
    public var channelPath: String { POSIXFiles.join(chipPath, "pwm\(configuration.channel)") }

    /// The duty cycle in nanoseconds for `output`.
    public func dutyCycleNs(_ output: ControlPilotOutput) -> Int {
        Int((Double(configuration.periodNs) * output.dutyPercent / 100).rounded())
    }

    /// Writes `output` on a thread of the NIO thread pool (sysfs writes block, briefly, in the PWM driver).
    public func setOutput(_ output: ControlPilotOutput) async throws {
        try await NIOThreadPool.singleton.runIfActive { try self.write(output) }
    }

    /// The blocking write sequence: export the channel when it is not yet, then period, duty cycle, enable.
    func write(_ output: ControlPilotOutput) throws(SysfsError) {
        try writing.withLock { (configured: inout Bool) throws(SysfsError) -> Void in
            if !configured {
                try export()
                // The duty cycle first: the kernel refuses a period shorter than the duty cycle already set.
                try attribute("duty_cycle", "0")
                try attribute("period", String(configuration.periodNs))
                try attribute("polarity", "normal", optional: true)
            }
            try attribute("duty_cycle", String(dutyCycleNs(output)))
            if !configured { try attribute("enable", "1") }
            configured = true
        }
    }

    private func export() throws(SysfsError) {
        guard POSIXFiles.kind(path: channelPath) != .directory else { return }
        guard POSIXFiles.kind(path: chipPath) == .directory else {
            throw SysfsError("\(chipPath) does not exist: no PWM chip \(configuration.chip) (is its overlay enabled?)")
        }
        do {
            try POSIXFiles.writeAttribute(path: POSIXFiles.join(chipPath, "export"), String(configuration.channel))
        } catch {
            throw SysfsError("cannot export PWM channel \(configuration.channel): \(error.description)")
        }
        // The kernel creates the directory at once; udev may still be setting its permissions.
        for _ in 0..<100 where POSIXFiles.kind(path: POSIXFiles.join(channelPath, "enable")) != .file { usleep(10_000) }
        guard POSIXFiles.kind(path: channelPath) == .directory else {
            throw SysfsError("\(channelPath) did not appear after exporting channel \(configuration.channel)")
        }
    }

    private func attribute(_ name: String, _ value: String, optional: Bool = false) throws(SysfsError) {
        let path = POSIXFiles.join(channelPath, name)
        if optional && POSIXFiles.kind(path: path) == .missing { return }
        do {
            try POSIXFiles.writeAttribute(path: path, value)
        } catch {
            throw SysfsError(error.description)
        }
    }
}

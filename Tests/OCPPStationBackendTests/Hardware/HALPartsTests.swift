// The HAL parts: the control pilot's duty cycle (IEC 61851-1), the sysfs PWM and IIO backends against a fake sysfs
// (a temp directory laid out like /sys), the evdev reader through a FIFO, the GPIO parts on the fake chip, the fault
// rules of a composed EVSE, and the board-file errors of the new fields.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OCPPMessages
import OCPPStation
import Synchronization
import Testing

@testable import OCPPStationHardware

/// A temp directory laid out like sysfs: a PWM chip with one exported channel, an IIO ADC.
struct FakeSysfs {
    let directory: HardwareTempDirectory
    var root: String { directory.path }

    init() throws {
        directory = try HardwareTempDirectory()
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    func makePWMChip(_ chip: Int, exporting channel: Int?) throws {
        let chipPath = path("class/pwm/pwmchip\(chip)")
        try FileManager.default.createDirectory(atPath: chipPath, withIntermediateDirectories: true)
        try HardwareTestSupport.write("", to: chipPath + "/export")
        guard let channel else { return }
        let channelPath = chipPath + "/pwm\(channel)"
        try FileManager.default.createDirectory(atPath: channelPath, withIntermediateDirectories: true)
        for name in ["period", "duty_cycle", "enable", "polarity"] { try HardwareTestSupport.write("0\n", to: channelPath + "/" + name) }
    }

    func pwm(_ chip: Int, _ channel: Int, _ name: String) throws -> String {
        try HardwareTestSupport.contents(of: path("class/pwm/pwmchip\(chip)/pwm\(channel)/\(name)"))
    }

    func makeADC(_ device: Int, channel: Int, raw: Int, scale: String?) throws {
        let devicePath = path("bus/iio/devices/iio:device\(device)")
        try FileManager.default.createDirectory(atPath: devicePath, withIntermediateDirectories: true)
        try HardwareTestSupport.write("\(raw)\n", to: devicePath + "/in_voltage\(channel)_raw")
        if let scale { try HardwareTestSupport.write(scale + "\n", to: devicePath + "/in_voltage_scale") }
    }
}

@Suite("HAL parts")
struct HALPartsTests {
    // MARK: Control pilot duty cycle

    /// (limit A, duty %)
    static let duties: [(Double, Double)] = [
        (6, 10), (16, 16 / 0.6), (32, 32 / 0.6), (51, 85), (63, 63 / 2.5 + 64), (80, 96), (100, 96),
    ]

    @Test(arguments: duties)
    func dutyCycleFollowsIEC61851(amps: Double, duty: Double) {
        let output = ControlPilotOutput(currentLimitA: amps)
        guard case .pwm(let written) = output else { return #expect(Bool(false), "\(output)") }
        #expect(abs(written - duty) < 1e-9)
        #expect(abs((output.currentLimitA ?? -1) - min(amps, 80)) < 1e-9)
    }

    @Test func belowSixAmperesThereIsNoPWM() {
        for amps: Double in [0, 5.9, -1, .nan, -.infinity] { #expect(ControlPilotOutput(currentLimitA: amps) == .noPWM) }
        #expect(ControlPilotOutput.noPWM.dutyPercent == 100)
        #expect(ControlPilotOutput.stateF.dutyPercent == 0)
        #expect(ControlPilotOutput.digitalCommunication.dutyPercent == 5)
        #expect(ControlPilotOutput.digitalCommunication.currentLimitA == nil)
        #expect(ControlPilotOutput.noPWM.currentLimitA == 0)
    }

    // MARK: sysfs PWM

    @Test func pwmChannelIsConfiguredThenFollowsTheLimit() async throws {
        let sysfs = try FakeSysfs()
        try sysfs.makePWMChip(0, exporting: 1)
        let pilot = SysfsPWMControlPilot(configuration: PWMChannelConfiguration(chip: 0, channel: 1), sysfsRoot: sysfs.root)
        try await pilot.setCurrentLimit(amps: 16)
        #expect(try sysfs.pwm(0, 1, "period") == "1000000")
        #expect(try sysfs.pwm(0, 1, "duty_cycle") == "266667")
        #expect(try sysfs.pwm(0, 1, "enable") == "1")
        #expect(try sysfs.pwm(0, 1, "polarity") == "normal")
        try await pilot.forceStateF()
        #expect(try sysfs.pwm(0, 1, "duty_cycle") == "0")
        try await pilot.stopPWM()
        #expect(try sysfs.pwm(0, 1, "duty_cycle") == "1000000")
        try await pilot.setOutput(.digitalCommunication)
        #expect(try sysfs.pwm(0, 1, "duty_cycle") == "50000")
    }

    @Test func aChannelNotYetExportedIsExported() async throws {
        let sysfs = try FakeSysfs()
        try sysfs.makePWMChip(2, exporting: nil)
        let pilot = SysfsPWMControlPilot(configuration: PWMChannelConfiguration(chip: 2, channel: 3), sysfsRoot: sysfs.root)
        // The fake has no kernel behind `export`: the channel's directory never appears, which is an error naming it.
        await #expect(throws: SysfsError.self) { try await pilot.setCurrentLimit(amps: 10) }
        #expect(try HardwareTestSupport.contents(of: sysfs.path("class/pwm/pwmchip2/export")) == "3")
    }

    @Test func aMissingChipIsNamed() async throws {
        let sysfs = try FakeSysfs()
        let pilot = SysfsPWMControlPilot(configuration: PWMChannelConfiguration(chip: 4, channel: 0), sysfsRoot: sysfs.root)
        let error = await #expect(throws: SysfsError.self) { try await pilot.stopPWM() }
        #expect(error?.message.contains("pwmchip4 does not exist") == true)
    }

    // MARK: IIO proximity pilot

    /// A 12-bit ADC at 3.3 V (scale 0.805664062 mV per step), 1 kΩ pull-up to 3.3 V.
    func rating(ohms: Double?) async throws -> Double? {
        let sysfs = try FakeSysfs()
        let millivolts = ohms.map { 3300 * $0 / (1000 + $0) } ?? 3300
        try sysfs.makeADC(0, channel: 1, raw: Int((millivolts / 0.805664062).rounded()), scale: "0.805664062")
        let pilot = IIOProximityPilot(
            configuration: ProximityPilotConfiguration(device: 0, channel: 1, pullUpOhms: 1000, supplyMillivolts: 3300),
            sysfsRoot: sysfs.root)
        return try await pilot.cableRating()
    }

    @Test(arguments: [(1500.0, 13.0), (680, 20), (220, 32), (100, 63)])
    func cableResistorBands(ohms: Double, amps: Double) async throws {
        #expect(try await rating(ohms: ohms) == amps)
    }

    @Test func noCableAndABrokenCable() async throws {
        #expect(try await rating(ohms: nil) == nil)
        await #expect(throws: SysfsError.self) { try await rating(ohms: 10) }  // a short: no band
        await #expect(throws: SysfsError.self) { try await rating(ohms: 5000) }  // beyond 13 A's band
    }

    @Test func aMissingADCChannelIsNamed() async throws {
        let sysfs = try FakeSysfs()
        try sysfs.makeADC(0, channel: 0, raw: 100, scale: nil)
        let pilot = IIOProximityPilot(
            configuration: ProximityPilotConfiguration(device: 0, channel: 2, pullUpOhms: 1000, supplyMillivolts: 3300),
            sysfsRoot: sysfs.root)
        let error = await #expect(throws: SysfsError.self) { try await pilot.cableRating() }
        #expect(error?.message.hasSuffix("iio:device0/in_voltage2_raw does not exist: no such ADC channel") == true)
    }

    // MARK: evdev reader

    @Test func keyboardWedgeDecoding() {
        var decoder = KeyboardWedgeDecoder(digits: .hex)
        func type(_ codes: [UInt16]) -> String? {
            var token: String?
            for code in codes {
                if let t = decoder.feed(type: 1, code: code, value: 1) { token = t }
                _ = decoder.feed(type: 1, code: code, value: 0)  // release
                _ = decoder.feed(type: 0, code: 0, value: 0)  // EV_SYN
            }
            return token
        }
        // 0 4 A 1 B 2 Enter
        #expect(type([11, 5, 30, 2, 48, 3, 28]) == "04A1B2")
        #expect(type([28]) == nil)  // Enter alone: nothing
        decoder = KeyboardWedgeDecoder(digits: .decimal)
        // 1 2 3 4 5 6 7 8 9 0 keypad-Enter: 1234567890 = 0x499602D2
        #expect(type([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 96]) == "499602D2")
    }

    /// struct input_event on 64-bit Linux.
    static func record(type: UInt16, code: UInt16, value: Int32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 16)
        withUnsafeBytes(of: type.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: code.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
        return bytes
    }

    @Test(.timeLimit(.minutes(1))) func evdevReaderReadsTokensFromAFIFO() async throws {
        let directory = try HardwareTempDirectory()
        let fifo = directory.file("event0")
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = EvdevIdTokenReader(configuration: EvdevReaderConfiguration(device: fifo, digits: .decimal, evse: 1))
        let (tokens, sink) = AsyncStream.makeStream(of: PresentedIdToken.self)
        let running = Task { try await reader.run { sink.yield($0) } }
        defer { running.cancel() }
        var bytes: [UInt8] = []
        for code: UInt16 in [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 28] {  // 1234567890 Enter
            bytes += Self.record(type: 1, code: code, value: 1) + Self.record(type: 1, code: code, value: 0)
                + Self.record(type: 0, code: 0, value: 0)
        }
        let written = bytes
        /// One writer: opens the FIFO (blocks until the reader has it open), writes `parts` one by one, closes.
        func write(_ parts: [[UInt8]]) async throws {
            try await HardwareTestSupport.offPool {
                let fd = open(fifo, O_WRONLY)
                guard fd >= 0 else { throw HardwareTestError("cannot open the FIFO") }
                defer { close(fd) }
                for part in parts { _ = part.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } }
            }
        }
        var iterator = tokens.makeAsyncIterator()
        // The first record split across two writes; then a second writer: the reader opens the FIFO again.
        try await write([Array(written[0..<30]), Array(written[30...])])
        #expect(await iterator.next() == PresentedIdToken(idToken: "499602D2", type: .iso14443, evse: 1))
        try await write([written])
        #expect(await iterator.next()?.idToken == "499602D2")
    }

    // MARK: GPIO parts on the fake chip

    @Test func gpioPartsImplementTheProtocols() async throws {
        let chip = FakeGPIOChip()
        let contactor = GPIOContactor(
            output: try GPIOOutputLine(GPIOOutputConfiguration(address: .init(chip: "c", line: .name("K"))), driver: chip),
            mirrorContact: try GPIOInputLine(GPIOInputConfiguration(address: .init(chip: "c", line: .name("MIR")), debounceMs: 0), driver: chip))
        try await contactor.setClosed(true)
        #expect(try chip.value(contactor.output.handle) == true)
        let levels = Levels()
        let watching = Task { try await contactor.watchMirrorContact { levels.add($0) } }
        defer { watching.cancel() }
        try await waitUntil { levels.all == [false] }
        chip.drive("MIR", physical: true)
        try await waitUntil { levels.all == [false, true] }

        let lock = GPIOConnectorLock(
            connector: 1,
            output: try GPIOOutputLine(GPIOOutputConfiguration(address: .init(chip: "c", line: .name("LOCK"))), driver: chip),
            feedback: try GPIOInputLine(GPIOInputConfiguration(address: .init(chip: "c", line: .name("LOCKFB"))), driver: chip),
            feedbackTimeout: .milliseconds(50))
        let error = await #expect(throws: ConnectorLockFailure.self) { try await lock.setLocked(true) }
        #expect(error?.connector == 1)

        let leds = GPIOStatusLEDs(
            available: try GPIOOutputLine(GPIOOutputConfiguration(address: .init(chip: "c", line: .name("LEDG"))), driver: chip),
            fault: try GPIOOutputLine(GPIOOutputConfiguration(address: .init(chip: "c", line: .name("LEDR")), activeLow: true), driver: chip))
        try await leds.show(.faulted)
        #expect(try chip.value(leds.available!.handle) == false)
        #expect(try chip.value(leds.fault!.handle) == true)
        #expect(chip.physical("LEDR") == false, "active-low: on is a low line")
    }

    // MARK: A composed EVSE: the fault rules over any parts

    @Test func partsInputsBecomeFaultsAndTheControlPilotFollows() async throws {
        let rcd = ManualInput()
        let mirror = ManualInput()
        let lockFeedback = ManualInput()
        let pilot = RecordingPilot()
        let parts = EVSEParts(
            contactor: ManualContactor(mirror: mirror), locks: [1: ManualLock(feedback: lockFeedback)], controlPilot: pilot,
            residualCurrentMonitor: rcd)
        let (events, sink) = AsyncStream.makeStream(of: HardwareEvent.self)
        let driver = EVSEPartsDriver(evse: 1, parts: parts, maxCurrentA: 32, events: sink, weldCheckDelay: .milliseconds(20))
        let watching = Task { try await driver.watch() }
        defer { watching.cancel() }
        var received = events.makeAsyncIterator()

        try await driver.setCurrentLimit(amps: 40)  // capped to the EVSE's 32 A
        #expect(pilot.outputs.last == .pwm(dutyPercent: 32 / 0.6))

        try await waitUntil { rcd.watching }
        rcd.set(true)
        #expect(await received.next() == .faultRaised(evse: 1, fault: .groundFault))
        try await waitUntil { pilot.outputs.last == .stateF }
        rcd.set(false)
        #expect(await received.next() == .faultCleared(evse: 1, fault: .groundFault))
        try await waitUntil { pilot.outputs.last == .pwm(dutyPercent: 32 / 0.6) }

        // Welded: the mirror contact stays closed after the open command.
        try await waitUntil { mirror.watching }
        #expect(try await driver.setContactor(closed: true))
        mirror.set(true)
        #expect(try await driver.setContactor(closed: false))
        #expect(await received.next() == .faultRaised(evse: 1, fault: .weldedContactor))
        mirror.set(false)
        #expect(await received.next() == .faultCleared(evse: 1, fault: .weldedContactor))

        // G05: the lock's feedback says unlocked while it is commanded locked.
        try await waitUntil { lockFeedback.watching }
        lockFeedback.set(true)
        #expect(try await driver.setLock(connector: 1, locked: true))
        lockFeedback.set(false)
        #expect(await received.next() == .faultRaised(evse: 1, fault: .lockFailure))
        #expect(driver.activeFaults == [.lockFailure])
        #expect(try await driver.setLock(connector: 2, locked: true) == false)  // no part: the board's own
    }

    /// The proximity pilot caps what the PWM offers: a 13 A cable on a 32 A EVSE is offered 13 A; a cable that
    /// reads outside every band is offered nothing.
    @Test func theCableRatingCapsTheControlPilot() async throws {
        let pilot = RecordingPilot()
        let cable = FixedCable()
        let driver = EVSEPartsDriver(
            evse: 1, parts: EVSEParts(controlPilot: pilot, proximityPilots: [1: cable]), maxCurrentA: 32,
            events: AsyncStream.makeStream(of: HardwareEvent.self).continuation)
        try await driver.setCurrentLimit(amps: 32)
        #expect(pilot.outputs.last == ControlPilotOutput(currentLimitA: 32), "no cable: the EVSE's limit")
        cable.rating.withLock { $0 = .success(13) }
        try await driver.refresh()
        #expect(pilot.outputs.last == ControlPilotOutput(currentLimitA: 13))
        cable.rating.withLock { $0 = .failure(SysfsError("outside every band")) }
        try await driver.refresh()
        #expect(pilot.outputs.last == .noPWM)
    }

    func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        for _ in 0..<500 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HardwareTestError("condition not met within 5 s")
    }
}

/// An input a test sets by hand, for any of the watched parts.
final class ManualInput: ResidualCurrentMonitor, EmergencyStop, Sendable {
    private let report = Mutex<(@Sendable (Bool) -> Void)?>(nil)
    var watching: Bool { report.withLock { $0 != nil } }
    func set(_ value: Bool) { report.withLock { $0 }?(value) }
    func watchLevel(_ level: @escaping @Sendable (Bool) -> Void) async throws {
        report.withLock { $0 = level }
        // The closure holds the driver, which holds this input: let go of it when the watch ends.
        defer { report.withLock { $0 = nil } }
        try await Task.sleepUntilCancelled()
    }
    func watchTripped(_ tripped: @escaping @Sendable (Bool) -> Void) async throws { try await watchLevel(tripped) }
    func watchPressed(_ pressed: @escaping @Sendable (Bool) -> Void) async throws { try await watchLevel(pressed) }
}

final class ManualContactor: Contactor {
    let mirror: ManualInput
    init(mirror: ManualInput) { self.mirror = mirror }
    func setClosed(_ closed: Bool) async throws {}
    func watchMirrorContact(_ closed: @escaping @Sendable (Bool) -> Void) async throws { try await mirror.watchLevel(closed) }
}

final class ManualLock: ConnectorLock {
    let feedback: ManualInput
    init(feedback: ManualInput) { self.feedback = feedback }
    func setLocked(_ locked: Bool) async throws {}
    func watchFeedback(_ locked: @escaping @Sendable (Bool) -> Void) async throws { try await feedback.watchLevel(locked) }
}

final class RecordingPilot: ControlPilot {
    private let written = Mutex<[ControlPilotOutput]>([])
    var outputs: [ControlPilotOutput] { written.withLock { $0 } }
    func setOutput(_ output: ControlPilotOutput) async throws { written.withLock { $0.append(output) } }
}

final class Levels: Sendable {
    private let list = Mutex<[Bool]>([])
    func add(_ level: Bool) { list.withLock { $0.append(level) } }
    var all: [Bool] { list.withLock { $0 } }
}

final class FixedCable: ProximityPilot {
    let rating = Mutex<Result<Double?, SysfsError>>(.success(nil))
    func cableRating() async throws -> Double? { try rating.withLock { $0 }.get() }
}

// The Modbus RTU backend against a real peer: pymodbus serving each register map on one end of a socat pseudo-terminal
// pair (Tests/integration/modbus_peer.py), libmodbus on the other. Also a meter that stops answering, CRC errors and
// exception responses.
import Foundation
import OCPPStation
import Testing

@testable import OCPPStationHardware

/// The pymodbus meter on one end of a socat pty pair (modbus_peer.py --socat runs socat itself and ends it when its
/// stdin closes, so a test that dies leaves nothing behind). Children get no stdout/stderr of ours: a leftover child
/// holding `swift test`'s output pipe would keep it waiting.
final class ModbusPeer: @unchecked Sendable {  // used by one test at a time; its pipes are only touched by that test
    let directory: String
    let peer = Process()
    private let input = Pipe()
    private let output = Pipe()
    var port: String { directory + "/station" }

    init(map: String, address: Int = 1, baud: Int = 9600, parity: String = "N") throws {
        let root = HardwareTestSupport.repositoryRoot()
        directory = NSTemporaryDirectory() + "modbus-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        peer.executableURL = URL(fileURLWithPath: root + "/.venv/bin/python")
        peer.arguments = [
            root + "/Tests/integration/modbus_peer.py", "--socat", directory, "--map", map,
            "--address", String(address), "--baud", String(baud), "--parity", parity,
        ]
        peer.standardInput = input
        peer.standardOutput = output
        peer.standardError = FileHandle.nullDevice
        try peer.run()
        try expectLine("ready")
    }
    /// Sends a command to the meter (`silent`, `crc`, `exception`, `answer`, `energy WH`).
    func command(_ line: String) throws {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        try expectLine("ok")
    }

    private func expectLine(_ expected: String) throws {
        var text = ""
        while !text.contains("\n") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { throw ModbusError(.other, "modbus_peer.py ended before saying \(expected)") }
            text += String(decoding: data, as: UTF8.self)
        }
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
    }

    deinit {
        // Closing its stdin ends the peer (and its socat); not waitUntilExit: it can hang on a cooperative thread.
        try? input.fileHandleForWriting.close()
        // `init` may have thrown before the peer started (no venv, say): terminating a Process that never ran traps.
        if peer.isRunning { peer.terminate() }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct ModbusMeterTests {
    /// What modbus_peer.py serves.
    static let served: [ModbusRegisterMap.Quantity: Double] = [
        .voltageL1: 230.1, .voltageL2: 231.2, .voltageL3: 229.3, .currentL1: 10.5, .currentL2: 11.25, .currentL3: 12.0,
        .powerL1: 2416.0, .powerL2: 2601.0, .powerL3: 2751.5, .powerW: 7768.5, .energyImportWh: 1_234_567.0,
    ]

    static let generic = ModbusRegisterMap(
        name: "generic",
        registers: [
            .init(.energyImportWh, address: 100, function: .holdingRegisters, type: .uint32, wordOrder: .little),
            .init(.powerW, address: 102, function: .holdingRegisters, type: .int16, scale: 10),
            .init(.voltageL1, address: 103, function: .holdingRegisters, type: .uint16, scale: 0.1),
            .init(.currentL1, address: 104, function: .holdingRegisters, type: .float32, wordOrder: .little),
        ])

    static func value(_ sample: MeterSample, _ quantity: ModbusRegisterMap.Quantity) -> Double? {
        switch quantity {
        case .energyImportWh: sample.energyImportWh
        case .powerW: sample.powerW
        case .voltageL1: sample.voltageV.l1
        case .voltageL2: sample.voltageV.l2
        case .voltageL3: sample.voltageV.l3
        case .currentL1: sample.currentA.l1
        case .currentL2: sample.currentA.l2
        case .currentL3: sample.currentA.l3
        case .powerL1: sample.powerPerPhaseW.l1
        case .powerL2: sample.powerPerPhaseW.l2
        case .powerL3: sample.powerPerPhaseW.l3
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: ModbusRegisterMap.builtIn + [generic])
    func eachRegisterMapReadsWhatTheMeterServes(_ map: ModbusRegisterMap) async throws {
        let peer = try ModbusPeer(map: map.name, address: 7, baud: 19200)
        let meter = ModbusRTUMeter(
            settings: ModbusRTUSettings(device: peer.port, baud: 19200, address: 7, timeoutMs: 3000), map: map)
        let sample = try await meter.read()
        #expect(sample.meterId == "\(peer.port)#7")
        for register in map.registers {
            let expected = try #require(Self.served[register.quantity])
            let read = try #require(Self.value(sample, register.quantity), "\(map.name) \(register.quantity)")
            // float32, or one unit of the integer resolution (0.01 kWh, 0.1 V), bounds the error.
            #expect(abs(read - expected) <= max(register.scale, abs(expected) * 1e-6), "\(map.name) \(register.quantity): \(read)")
        }
        // The register follows the meter.
        try peer.command("energy 1300000")
        let later = try await meter.read()
        #expect(abs((later.energyImportWh ?? 0) - 1_300_000) < 1)
    }

    /// The serial settings reach libmodbus and through it the device: read back from the pty's termios. What a Linux
    /// pty can show: the speed, the stop bits (CSTOPB), odd or even (PARODD) and that parity is checked (INPCK, which
    /// libmodbus sets with any parity but none). What it cannot: the kernel forces 8 data bits and no parity bit on a
    /// pty (CSIZE = CS8, PARENB cleared), and a pty carries bytes, not bits on a wire, so neither the parity bit, nor
    /// 7-bit framing, nor a parity error can be tested without a real serial line (a USB RS-485 adapter pair).
    @Test(.timeLimit(.minutes(1)), arguments: [
        (ModbusRTUSettings.Parity.none, 8, 1), (.none, 8, 2), (.even, 8, 1), (.odd, 8, 2), (.even, 7, 1),
    ])
    func serialSettingsReachTheDevice(parity: ModbusRTUSettings.Parity, dataBits: Int, stopBits: Int) async throws {
        let peer = try ModbusPeer(map: "sdm120", baud: 19200)
        var settings = ModbusRTUSettings(device: peer.port, baud: 19200, parity: parity, address: 1, timeoutMs: 3000)
        settings.dataBits = dataBits
        settings.stopBits = stopBits
        let link = ModbusRTULink(settings: settings)
        let line = try await link.lineSettings()
        #expect(line.baud == 19200)
        #expect(line.stopBits == stopBits)
        #expect(line.oddParity == (parity == .odd))
        #expect(line.parityCheck == (parity != .none))
        // What the pty forces, whatever was asked: if this changes, the kernel lets a pty test more.
        #expect(line.parityBit == false && line.dataBits == 8)
        if parity == .none {
            let meter = ModbusRTUMeter(settings: settings, map: .sdm120, link: link)
            #expect(try await meter.read().energyImportWh != nil)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aMeterThatStopsAnsweringTimesOutAfterItsRetriesAndComesBack() async throws {
        let peer = try ModbusPeer(map: "sdm120")
        let meter = ModbusRTUMeter(
            settings: ModbusRTUSettings(device: peer.port, address: 1, timeoutMs: 200, retries: 2), map: .sdm120)
        // The same bus with a patient timeout for the reads that must succeed (a loaded machine answers slowly).
        let patient = ModbusRTUMeter(
            settings: ModbusRTUSettings(device: peer.port, address: 1, timeoutMs: 3000), map: .sdm120, link: meter.link)
        _ = try await patient.read()
        try peer.command("silent")
        let started = ContinuousClock.now
        await #expect(throws: ModbusError.self) { _ = try await meter.read() }
        do {
            _ = try await meter.read()
            Issue.record("a silent meter answered")
        } catch let error as ModbusError {
            #expect(error.kind == .timeout, "\(error)")
        }
        // 3 attempts of 200 ms each, twice: not less (the retries happen), whatever the machine's load.
        #expect(ContinuousClock.now - started >= .milliseconds(1200))
        try peer.command("answer")
        #expect(try await patient.read().energyImportWh != nil)
    }

    @Test(.timeLimit(.minutes(1))) func corruptAnswersAreRetriedThenReportedAsCRCErrors() async throws {
        let peer = try ModbusPeer(map: "sdm630")
        let meter = ModbusRTUMeter(
            settings: ModbusRTUSettings(device: peer.port, address: 1, timeoutMs: 1000, retries: 1), map: .sdm630)
        try peer.command("crc")
        do {
            _ = try await meter.read()
            Issue.record("a corrupt answer was accepted")
        } catch let error as ModbusError {
            #expect(error.kind == .crc, "\(error)")
        }
        try peer.command("answer")
        #expect(try await meter.read().voltageV.l3 != nil)
    }

    @Test(.timeLimit(.minutes(1))) func anExceptionResponseIsReportedAndNotRetried() async throws {
        let peer = try ModbusPeer(map: "sdm630")
        let meter = ModbusRTUMeter(settings: ModbusRTUSettings(device: peer.port, address: 1, timeoutMs: 3000), map: .sdm630)
        try peer.command("exception")
        do {
            _ = try await meter.read()
            Issue.record("an exception response was accepted")
        } catch let error as ModbusError {
            #expect(error.kind == .exception(code: 2), "\(error)")
        }
    }

    @Test func aMissingDeviceIsAnOpenError() async throws {
        let meter = ModbusRTUMeter(settings: ModbusRTUSettings(device: "/dev/nonexistent-tty", address: 1), map: .sdm120)
        do {
            _ = try await meter.read()
            Issue.record("opened a missing device")
        } catch let error as ModbusError {
            #expect(error.kind == .open, "\(error)")
        }
    }

    @Test func registersAreReadInAsFewRequestsAsPossible() {
        // SDM630: V, I and P per phase are adjacent (one read), total power and energy stand apart.
        #expect(ModbusRegisterMap.sdm630.blocks.map { [$0.address, $0.count] } == [[0x00, 18], [0x34, 2], [0x48, 2]])
        #expect(ModbusRegisterMap.abbB23.blocks.map { [$0.address, $0.count] } == [[0x5000, 4], [0x5B00, 6], [0x5B0C, 6], [0x5B14, 8]])
        #expect(ModbusMeterTests.generic.blocks.map { [$0.address, $0.count] } == [[100, 6]])
    }

    @Test func decodingFollowsTypeWordOrderAndScale() {
        let float = ModbusRegisterMap.Register(.powerW, address: 0, function: .inputRegisters, type: .float32)
        #expect(float.decode([0x4348, 0x0000]) == 200)
        let little = ModbusRegisterMap.Register(.powerW, address: 0, function: .inputRegisters, type: .float32, wordOrder: .little)
        #expect(little.decode([0x0000, 0x4348]) == 200)
        let signed = ModbusRegisterMap.Register(.powerW, address: 0, function: .holdingRegisters, type: .int32, scale: 0.01)
        #expect(signed.decode([0xFFFF, 0xFF9C]) == -1)
        let energy = ModbusRegisterMap.Register(.energyImportWh, address: 0, function: .holdingRegisters, type: .uint64, scale: 10)
        #expect(energy.decode([0, 0, 0x0001, 0x0000]) == 655_360)
    }
}

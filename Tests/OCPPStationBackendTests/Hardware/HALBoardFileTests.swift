// The board file's control pilot (sysfs PWM), proximity pilot (sysfs IIO) and evdev reader fields: what they build, and
// one one-line error per way they can be wrong.
import Foundation
import OCPPStation
import Testing

@testable import OCPPStationHardware

@Suite("Board files: control pilot, proximity pilot, RFID reader")
struct HALBoardFileTests {
    let base = BoardFileTests()
    static let controlPilot = #""meter": { "type": "sim" }, "controlPilot": { "pwmChip": 0, "pwmChannel": 1 } },"#
    static let proximityPilot = #"{ "id": 1, "type": "cType2", "proximityPilot": { "iioDevice": 0, "channel": 1, "pullUpOhms": 1000, "supplyMillivolts": 3300 } }"#
    static let evdev = #""hal": "sim", "rfid": { "type": "evdev", "device": "/dev/input/event3", "digits": "decimal", "evse": 2 },"#

    func board(controlPilot: String = Self.controlPilot, proximityPilot: String = Self.proximityPilot, rfid: String = Self.evdev) -> String {
        base.replacing(#""meter": { "type": "sim" } },"#, with: controlPilot)
            .replacingOccurrences(of: #"{ "id": 1, "type": "cType2" }"#, with: proximityPilot)
            .replacingOccurrences(of: #""hal": "sim","#, with: rfid)
    }

    @Test func parsesTheNewFields() throws {
        let text = board().replacingOccurrences(of: #""name": "two","#, with: #""name": "two", "sysfsRoot": "/tmp/sys","#)
        let configuration = try BoardConfiguration.parse(bytes: Array(text.utf8), path: "x.json")
        #expect(configuration.sysfsRoot == "/tmp/sys")
        #expect(configuration.evses[0].controlPilot == PWMChannelConfiguration(chip: 0, channel: 1, frequencyHz: 1000))
        #expect(configuration.evses[1].controlPilot == nil)
        #expect(configuration.evses[0].connectors[0].proximityPilot == ProximityPilotConfiguration(device: 0, channel: 1, pullUpOhms: 1000, supplyMillivolts: 3300))
        #expect(configuration.rfid == .init(type: .evdev, evdev: EvdevReaderConfiguration(device: "/dev/input/event3", digits: .decimal, evse: 2)))
        #expect(try BoardConfiguration.parse(bytes: Array(board().utf8), path: "x.json").sysfsRoot == "/sys")
    }

    @Test(arguments: [
        // Control pilot
        (#""pwmChip": 0, "#, "",
         "board file boards/x.json: evses[0].controlPilot.pwmChip: is required (N of /sys/class/pwm/pwmchipN)"),
        (#""pwmChannel": 1"#, #""pwmChannel": 1024"#,
         "board file boards/x.json: evses[0].controlPilot.pwmChannel: must be 0 to 1023, got 1024"),
        (#""pwmChannel": 1"#, #""pwmChannel": 1, "frequencyHz": 2000"#,
         "board file boards/x.json: evses[0].controlPilot.frequencyHz: must be 995 to 1005, got 2000"),
        (#""pwmChannel": 1"#, #""pwmChannel": 1, "period": 1000000"#,
         "board file boards/x.json: evses[0].controlPilot.period: unknown key (expected one of: pwmChip, pwmChannel, frequencyHz)"),
        // Proximity pilot
        (#""pullUpOhms": 1000"#, #""pullUpOhms": 0"#,
         "board file boards/x.json: evses[0].connectors[0].proximityPilot.pullUpOhms: must be greater than 0, got 0"),
        (#""supplyMillivolts": 3300"#, #""supplyMillivolts": "3.3 V""#,
         "board file boards/x.json: evses[0].connectors[0].proximityPilot.supplyMillivolts: expected a number, got a string"),
        (#""iioDevice": 0, "#, "",
         "board file boards/x.json: evses[0].connectors[0].proximityPilot.iioDevice: is required (N of /sys/bus/iio/devices/iio:deviceN)"),
        (#""channel": 1, "#, #""channel": -1, "#,
         "board file boards/x.json: evses[0].connectors[0].proximityPilot.channel: must be 0 to 1023, got -1"),
        // Evdev reader
        (#""device": "/dev/input/event3""#, #""device": "event3""#,
         #"board file boards/x.json: rfid.device: must be an absolute path such as /dev/input/event0, got "event3""#),
        (#""device": "/dev/input/event3", "#, "",
         "board file boards/x.json: rfid.device: required field is missing"),
        (#""digits": "decimal""#, #""digits": "octal""#,
         #"board file boards/x.json: rfid.digits: "octal" is not hex or decimal"#),
        (#""evse": 2"#, #""evse": 3"#,
         "board file boards/x.json: rfid.evse: must be 1 to 2, got 3"),
        (#""evse": 2"#, #""evse": 2, "grab": true"#,
         "board file boards/x.json: rfid.grab: unknown key (expected one of: type, device, digits, evse)"),
        // Channels used twice
        (#""meter": { "type": "sim" } }"#, #""meter": { "type": "sim" }, "controlPilot": { "pwmChip": 0, "pwmChannel": 1, "frequencyHz": 1001 } }"#,
         "board file boards/x.json: evses[1].controlPilot: pwmchip0/pwm1 is already used by evses[0].controlPilot"),
        (#"{ "id": 2, "type": "sType2" }"#,
         #"{ "id": 2, "type": "sType2", "proximityPilot": { "iioDevice": 0, "channel": 1, "pullUpOhms": 1000, "supplyMillivolts": 3300 } }"#,
         "board file boards/x.json: evses[1].connectors[1].proximityPilot: iio:device0/in_voltage1 is already used by evses[0].connectors[0].proximityPilot"),
        // sysfs root, a sim reader
        (#""name": "two","#, #""name": "two", "sysfsRoot": "sys","#, #"board file boards/x.json: sysfsRoot: must be an absolute path, got "sys""#),
        (#""type": "evdev", "device": "/dev/input/event3", "digits": "decimal", "evse": 2"#, #""type": "sim", "device": "/dev/input/event0""#,
         "board file boards/x.json: rfid.device: unknown key (expected one of: type)"),
    ])
    func oneLineErrors(target: String, replacement: String, expected: String) {
        let text = board().replacingOccurrences(of: target, with: replacement)
        #expect(text != board(), "\(target) not in the test board")
        #expect(base.message(text) == expected)
    }

    @Test func theRaspberryPiRigHasAControlPilotAProximityPilotAndAReader() throws {
        let board = try BoardConfiguration.load(path: HardwareTestSupport.repositoryRoot() + "/boards/rpi-rig.json")
        #expect(board.evses[0].controlPilot == PWMChannelConfiguration(chip: 0, channel: 0))
        #expect(board.evses[0].connectors[0].proximityPilot?.device == 0)
        #expect(board.rfid?.type == .evdev)
    }

    /// The current limit the station gives the board becomes the PWM duty cycle in the (fake) sysfs; a fault the
    /// sim board raises forces state F at once.
    @Test(.timeLimit(.minutes(1))) func theBoardsLimitReachesThePWM() async throws {
        let sysfs = try FakeSysfs()
        try sysfs.makePWMChip(0, exporting: 1)
        let data = try HardwareTempDirectory()
        let text = board(rfid: #""hal": "sim","#)
            .replacingOccurrences(of: #""name": "two","#, with: #""name": "two", "sysfsRoot": "\#(sysfs.root)","#)
            .replacingOccurrences(of: Self.proximityPilot, with: #"{ "id": 1, "type": "cType2" }"#)
        let configuration = try BoardConfiguration.parse(bytes: Array(text.utf8), path: "x.json")
        let board = try #require(try configuration.makeHardware(dataDirectory: data.path) as? SimulatedBoard)
        let running = Task { try await board.run(station: HardwareFakeStationView([])) }
        defer { running.cancel() }
        // At start the PWM shows the board's own limit (16 A on EVSE 1).
        for _ in 0..<500 where (try? sysfs.pwm(0, 1, "enable")) != "1" { try await Task.sleep(for: .milliseconds(10)) }
        #expect(try sysfs.pwm(0, 1, "duty_cycle") == "266667")
        try await board.setCurrentLimit(evse: 1, amps: 10)
        #expect(try sysfs.pwm(0, 1, "duty_cycle") == "166667")
        try await board.setCurrentLimit(evse: 1, amps: 0)
        #expect(try sysfs.pwm(0, 1, "duty_cycle") == "1000000")
        try await board.setCurrentLimit(evse: 1, amps: 13)
        try await HardwareTestSupport.waitForSocket(data.path)
        _ = try await HardwareTestSupport.send(
            SimControlClient.request(command: "fault", evse: 1, kind: "ground-fault", idToken: nil, type: nil, watts: nil, connector: nil),
            data.path)
        #expect(try sysfs.pwm(0, 1, "duty_cycle") == "0")
    }
}

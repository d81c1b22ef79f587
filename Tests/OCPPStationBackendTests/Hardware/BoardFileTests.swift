// Board files: the repository's boards/sim.json, and one-line errors for every way a board file can be wrong.
import Foundation
import Testing
import OCPPStation
@testable import OCPPStationHardware

@Suite("Board files")
struct BoardFileTests {
    static let validBoard = """
        {
          "name": "two",
          "hal": "sim",
          "evses": [
            { "id": 1, "maxCurrentA": 16, "connectors": [{ "id": 1, "type": "cType2" }], "meter": { "type": "sim" } },
            { "id": 2, "maxCurrentA": 32,
              "connectors": [{ "id": 1, "type": "cCCS2" }, { "id": 2, "type": "sType2" }], "meter": { "type": "sim" } }
          ]
        }
        """

    @Test func parsesTheRepositorysSimBoard() throws {
        let board = try HardwareTestSupport.simBoard()
        #expect(board.name == "sim")
        #expect(board.description?.hasPrefix("Simulated board") == true)
        #expect(board.hal == .sim)
        #expect(board.evses.count == 2)
        #expect(board.evses.map(\.id) == [1, 2])
        #expect(board.evses.map(\.maxCurrentA) == [32, 32])
        #expect(board.evses.allSatisfy { $0.meter.type == .sim })
        #expect(board.rfid?.type == .sim)
        #expect(board.rebootCommand == nil)
        #expect(
            board.evseDescriptions == [
                EVSEDescription(id: 1, connectors: [ConnectorDescription(id: 1, type: "cType2")]),
                EVSEDescription(id: 2, connectors: [ConnectorDescription(id: 1, type: "cType2")]),
            ])
    }

    @Test func parsesOptionalFieldsAndSeveralConnectors() throws {
        let text = Self.validBoard.replacingOccurrences(
            of: "\"hal\": \"sim\",", with: "\"hal\": \"sim\", \"rebootCommand\": [\"/sbin/reboot\", \"-f\"], \"rfid\": null,")
        let board = try BoardConfiguration.parse(bytes: Array(text.utf8), path: "x.json")
        #expect(board.rebootCommand == ["/sbin/reboot", "-f"])
        #expect(board.rfid == nil)
        #expect(board.description == nil)
        #expect(board.evses[1].connectors.map(\.type) == ["cCCS2", "sType2"])
        #expect(board.evses[0].maxCurrentA == 16)
    }

    @Test func everyConnectorEnumTypeIsAccepted() throws {
        for type in BoardConfiguration.connectorTypes {
            let text = Self.validBoard.replacingOccurrences(of: "\"cType2\"", with: "\"\(type)\"")
            let board = try BoardConfiguration.parse(bytes: Array(text.utf8), path: "x.json")
            #expect(board.evses[0].connectors[0].type == type)
        }
        #expect(BoardConfiguration.connectorTypes.count == 22)
    }

    /// The one-line message for `text` as board file `boards/x.json`.
    func message(_ text: String) -> String? {
        do {
            _ = try BoardConfiguration.parse(bytes: Array(text.utf8), path: "boards/x.json")
            return nil
        } catch {
            return error.description
        }
    }

    func replacing(_ target: String, with replacement: String) -> String {
        let text = Self.validBoard.replacingOccurrences(of: target, with: replacement)
        precondition(text != Self.validBoard, "\(target) not in the test board")
        return text
    }

    @Test(arguments: [
        // Bad connector type
        (#""type": "cCCS2""#, #""type": "cType9""#,
         #"board file boards/x.json: evses[1].connectors[0].type: "cType9" is not a ConnectorEnumType value"#),
        // Missing field
        (#""maxCurrentA": 16, "#, "",
         "board file boards/x.json: evses[0].maxCurrentA: required field is missing"),
        (#""name": "two","#, "",
         "board file boards/x.json: name: required field is missing"),
        // Wrong type
        (#""maxCurrentA": 16"#, #""maxCurrentA": "16""#,
         "board file boards/x.json: evses[0].maxCurrentA: expected a number, got a string"),
        (#""id": 1, "maxCurrentA": 16"#, #""id": 1.5, "maxCurrentA": 16"#,
         "board file boards/x.json: evses[0].id: expected an integer, got 1.5"),
        (#""name": "two""#, #""name": ["two"]"#,
         "board file boards/x.json: name: expected a string, got an array"),
        (#""meter": { "type": "sim" } },"#, #""meter": "sim" },"#,
         "board file boards/x.json: evses[0].meter: expected an object, got a string"),
        // Ids out of order
        (#"{ "id": 2, "maxCurrentA": 32"#, #"{ "id": 3, "maxCurrentA": 32"#,
         "board file boards/x.json: evses[1].id: expected 2, got 3 (EVSE ids must be 1..n in order)"),
        (#"{ "id": 2, "type": "sType2" }"#, #"{ "id": 1, "type": "sType2" }"#,
         "board file boards/x.json: evses[1].connectors[1].id: expected 2, got 1 (connector ids must be 1..m in order within an EVSE)"),
        // Unknown keys
        (#""meter": { "type": "sim" } },"#, #""meterr": { "type": "sim" } },"#,
         "board file boards/x.json: evses[0].meterr: unknown key (expected one of: id, maxCurrentA, connectors, meter, gpio, controlPilot)"),
        (#""hal": "sim","#, #""hal": "sim", "rebootCmd": ["reboot"],"#,
         "board file boards/x.json: rebootCmd: unknown key (expected one of: name, description, hal, evses, rfid, rebootCommand, sysfsRoot)"),
        // Bad values
        (#""hal": "sim""#, #""hal": "gpio""#,
         #"board file boards/x.json: hal: "gpio" is not a supported HAL (supported: "sim")"#),
        (#""maxCurrentA": 16"#, #""maxCurrentA": 0"#,
         "board file boards/x.json: evses[0].maxCurrentA: must be greater than 0, got 0"),
        (#""connectors": [{ "id": 1, "type": "cType2" }]"#, #""connectors": []"#,
         "board file boards/x.json: evses[0].connectors: must list at least one connector"),
        (#""hal": "sim","#, #""hal": "sim", "rebootCommand": [],"#,
         "board file boards/x.json: rebootCommand: must have at least one element (the program to run)"),
        (#""hal": "sim","#, #""hal": "sim", "rebootCommand": ["reboot", 1],"#,
         "board file boards/x.json: rebootCommand[1]: expected a string, got a number"),
        (#""hal": "sim","#, #""hal": "sim", "rfid": { "type": "pn532" },"#,
         #"board file boards/x.json: rfid.type: "pn532" is not a supported RFID reader type (supported: "sim", "evdev")"#),
        // Not JSON
        (#""hal": "sim","#, #""hal": "sim",,"#,
         "board file boards/x.json: invalid JSON at line 3, column 16: expected a string key"),
        (#""name": "two","#, #""name": "two", "name": "three","#,
         #"board file boards/x.json: invalid JSON at line 2, column 18: duplicate key "name""#),
    ])
    func oneLineErrors(target: String, replacement: String, expected: String) {
        check(target, replacement, expected)
    }

    func check(_ target: String, _ replacement: String, _ expected: String) {
        let got = message(replacing(target, with: replacement))
        #expect(got == expected)
        #expect(got?.contains("\n") == false)
    }

    static let modbus = #""meter": { "type": "modbus-rtu", "device": "/dev/ttyUSB0", "map": "sdm630" } },"#
    static let gpio = #""gpio": { "contactor": { "chip": "gpiochip0", "line": "GPIO17" }, "rcd": { "chip": "gpiochip0", "line": 5, "activeLow": true } } },"#

    @Test(arguments: [
        // Modbus RTU meters: serial settings and maps
        (#""baud": 9601, "#, "board file boards/x.json: evses[0].meter.baud: 9601 is not a supported baud rate (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)"),
        (#""parity": "mark", "#, #"board file boards/x.json: evses[0].meter.parity: "mark" is not none, even or odd"#),
        (#""stopBits": 3, "#, "board file boards/x.json: evses[0].meter.stopBits: must be 1 to 2, got 3"),
        (#""address": 0, "#, "board file boards/x.json: evses[0].meter.address: must be 1 to 247, got 0"),
        (#""device": "ttyUSB0", "#, #"board file boards/x.json: evses[0].meter.device: must be an absolute path such as /dev/ttyUSB0, got "ttyUSB0""#),
        (#""map": "sdm72", "#, #"board file boards/x.json: evses[0].meter.map: "sdm72" is not a built-in register map ("sdm630", "sdm120", "abb-b23") nor a generic map object"#),
        (#""map": { "registers": [{ "quantity": "energyImportWh", "register": 72, "function": 5, "type": "float32" }] }, "#,
         "board file boards/x.json: evses[0].meter.map.registers[0].function: must be 3 (holding registers) or 4 (input registers), got 5"),
        (#""map": { "registers": [{ "quantity": "energy", "register": 72, "function": 4, "type": "float32" }] }, "#,
         #"board file boards/x.json: evses[0].meter.map.registers[0].quantity: "energy" is not one of "energyImportWh", "powerW", "voltageL1", "voltageL2", "voltageL3", "currentL1", "currentL2", "currentL3", "powerL1", "powerL2", "powerL3""#),
    ])
    func modbusMeterErrors(field: String, expected: String) {
        // The field replaces the default of the same key (duplicate keys are refused).
        let key = String(field.prefix { $0 != ":" })
        var defaults = [#""device": "/dev/ttyUSB0", "#, #""map": "sdm630", "#].filter { !$0.hasPrefix(key) }
        defaults.append(field)
        let meter = #""meter": { "type": "modbus-rtu", "# + defaults.joined() + #""retries": 2 } },"#
        check(#""meter": { "type": "sim" } },"#, meter, expected)
    }

    @Test(arguments: [
        // GPIO lines: missing, duplicate, bad
        (#""contactor": { "chip": "gpiochip0", "line": "GPIO17" }"#, #""contactor": { "line": "GPIO17" }"#,
         "board file boards/x.json: evses[0].gpio.contactor.chip: required field is missing"),
        (#""line": 5, "activeLow": true"#, #""line": "GPIO17", "activeLow": true"#,
         "board file boards/x.json: evses[0].gpio.rcd: line gpiochip0/GPIO17 is already used by evses[0].gpio.contactor"),
        (#""line": 5, "activeLow": true"#, #""line": -1, "activeLow": true"#,
         #"board file boards/x.json: evses[0].gpio.rcd.line: must be a line name ("GPIO17") or an offset 0 to 1023, got -1"#),
        (#""rcd": {"#, #""rcdd": {"#,
         "board file boards/x.json: evses[0].gpio.rcdd: unknown key (expected one of: contactor, contactorFeedback, lock, lockFeedback, rcd, emergencyStop, leds)"),
        (#""rcd": {"#, #""lockFeedback": {"#,
         "board file boards/x.json: evses[0].gpio.lockFeedback: needs a lock line"),
    ])
    func gpioErrors(target: String, replacement: String, expected: String) {
        let board = replacing(#""meter": { "type": "sim" } },"#, with: #""meter": { "type": "sim" }, "# + Self.gpio)
        let got = message(board.replacingOccurrences(of: target, with: replacement))
        #expect(got == expected)
    }

    @Test func duplicateLinesAcrossEVSEsAreRefused() {
        let board = replacing(#""meter": { "type": "sim" } }"#, with: #""meter": { "type": "sim" }, "gpio": { "contactor": { "chip": "gpiochip0", "line": 17 } } }"#)
        #expect(message(board) == "board file boards/x.json: evses[1].gpio.contactor: line gpiochip0/17 is already used by evses[0].gpio.contactor")
    }

    @Test func parsesTheRaspberryPiRig() throws {
        let board = try BoardConfiguration.load(path: HardwareTestSupport.repositoryRoot() + "/boards/rpi-rig.json")
        let evse = try #require(board.evses.first)
        #expect(evse.meter.type == .modbusRTU)
        #expect(evse.meter.modbus?.settings == ModbusRTUSettings(device: "/dev/ttyUSB0", baud: 9600, parity: .none, address: 1))
        #expect(evse.meter.modbus?.map == .sdm630)
        #expect(evse.gpio?.lines.count == 9)
        #expect(evse.gpio?.emergencyStop == GPIOInputConfiguration(address: GPIOLineAddress(chip: "gpiochip0", line: .name("GPIO6")), activeLow: true, debounceMs: 5))
    }

    @Test func aGenericMapIsReadFromTheBoardFile() throws {
        let text = replacing(#""meter": { "type": "sim" } },"#, with: #""meter": { "type": "modbus-rtu", "device": "/dev/ttyAMA0", "baud": 19200, "parity": "even", "address": 3, "map": { "registers": [ { "quantity": "energyImportWh", "register": 100, "function": 3, "type": "uint32", "wordOrder": "little" }, { "quantity": "powerW", "register": 102, "function": 3, "type": "int16", "scale": 10 } ] } } },"#)
        let board = try BoardConfiguration.parse(bytes: Array(text.utf8), path: "x.json")
        let modbus = try #require(board.evses[0].meter.modbus)
        #expect(modbus.settings.parity == .even && modbus.settings.baud == 19200 && modbus.settings.address == 3)
        #expect(modbus.map.registers == [
            .init(.energyImportWh, address: 100, function: .holdingRegisters, type: .uint32, wordOrder: .little),
            .init(.powerW, address: 102, function: .holdingRegisters, type: .int16, scale: 10),
        ])
    }

    @Test func wholeFileErrors() {
        #expect(message("") == "board file boards/x.json: invalid JSON at line 1, column 1: the text is empty")
        #expect(message("not json") == "board file boards/x.json: invalid JSON at line 1, column 1: invalid literal")
        #expect(message("{\"name\": \"x\"") == "board file boards/x.json: invalid JSON at line 1, column 13: unterminated object")
        #expect(message("[1, 2]") == "board file boards/x.json: expected a JSON object at the top level, got an array")
        #expect(message("{}") == "board file boards/x.json: name: required field is missing")
        #expect(message(#"{"name": "a\nb", "hal": "sim", "evses": []}"#) == "board file boards/x.json: evses: must list at least one EVSE")
        #expect(message(#"{"name": " ", "hal": "sim", "evses": []}"#) == "board file boards/x.json: name: must not be empty")
        // A value with a line break stays on one line.
        let multiline = message(Self.validBoard.replacingOccurrences(of: "\"hal\": \"sim\"", with: "\"hal\": \"si\\nm\""))
        #expect(multiline == #"board file boards/x.json: hal: "si\nm" is not a supported HAL (supported: "sim")"#)
    }

    @Test func fileSystemErrors() throws {
        let dir = try HardwareTempDirectory()
        let missing = dir.file("nope.json")
        #expect(throws: BoardFileError(path: missing, field: nil, reason: "file not found")) {
            try BoardConfiguration.load(path: missing)
        }
        do {
            _ = try BoardConfiguration.load(path: missing)
        } catch {
            #expect(error.description == "board file \(missing): file not found")
        }
        #expect(throws: BoardFileError(path: dir.path, field: nil, reason: "is a directory, not a file")) {
            try BoardConfiguration.load(path: dir.path)
        }
        let bad = dir.file("bad.json")
        try HardwareTestSupport.write("{\n  \"name\": \"x\",\n  \"hal\": sim\n}\n", to: bad)
        do {
            _ = try BoardConfiguration.load(path: bad)
            Issue.record("loaded an invalid board file")
        } catch {
            #expect(error.description == "board file \(bad): invalid JSON at line 3, column 10: unexpected character")
        }
        let good = dir.file("good.json")
        try HardwareTestSupport.write(Self.validBoard, to: good)
        #expect(try BoardConfiguration.load(path: good).name == "two")
    }

    @Test(.enabled(if: geteuid() != 0, "root reads any file"))
    func unreadableFile() throws {
        let dir = try HardwareTempDirectory()
        let path = dir.file("secret.json")
        try HardwareTestSupport.write(Self.validBoard, to: path)
        chmod(path, 0)
        #expect(throws: BoardFileError(path: path, field: nil, reason: "cannot read: Permission denied")) {
            try BoardConfiguration.load(path: path)
        }
    }
}

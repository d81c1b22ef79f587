// Board files: JSON descriptions of a charger's hardware (boards/*.json), read strictly.
internal import OCPPMessages
public import OCPPStation

/// A board file that cannot be used: which file, which field, and why — in one line.
public struct BoardFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The board file's path as given.
    public var path: String
    /// The field path, for example `evses[1].connectors[0].type`; nil when the whole file is at fault.
    public var field: String?
    public var reason: String

    public init(path: String, field: String?, reason: String) {
        self.path = path
        self.field = field
        self.reason = reason
    }

    /// One line, whatever the file holds.
    public var description: String {
        if let field, !field.isEmpty { return "board file \(path): \(field): \(reason)".escapingControlCharacters }
        return "board file \(path): \(reason)".escapingControlCharacters
    }
}

/// A charger's hardware as its board file describes it.
public struct BoardConfiguration: Sendable, Hashable {
    /// The hardware abstraction layer that drives the board.
    public enum HAL: String, Sendable, Hashable, CaseIterable {
        /// The simulated board, driven through `DATA_DIR/sim.sock`.
        case sim
    }

    public struct Connector: Sendable, Hashable {
        /// 1..m within its EVSE.
        public var id: Int
        /// An OCPP `ConnectorEnumType` value.
        public var type: String
        /// The connector has a plug retention lock (`"lock": false` for a tethered cable).
        public var hasLock: Bool
        /// The proximity pilot's ADC channel (sysfs IIO): the plugged cable's rating.
        public var proximityPilot: ProximityPilotConfiguration?

        public init(id: Int, type: String, hasLock: Bool = true, proximityPilot: ProximityPilotConfiguration? = nil) {
            self.id = id
            self.type = type
            self.hasLock = hasLock
            self.proximityPilot = proximityPilot
        }
    }

    public struct Meter: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            /// The sim board integrates what the simulated EV draws.
            case sim
            /// A Modbus RTU meter on a serial line (Modbus/).
            case modbusRTU = "modbus-rtu"
        }
        public var type: Kind
        public var modbus: ModbusMeterConfiguration?
        public init(type: Kind, modbus: ModbusMeterConfiguration? = nil) {
            self.type = type
            self.modbus = modbus
        }
    }

    public struct RFIDReader: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            /// Tokens come from the sim board's `tap` command only.
            case sim
            /// A USB keyboard-wedge reader through evdev (Evdev/); `tap` works as well.
            case evdev
        }
        public var type: Kind
        public var evdev: EvdevReaderConfiguration?
        public init(type: Kind, evdev: EvdevReaderConfiguration? = nil) {
            self.type = type
            self.evdev = evdev
        }
    }

    public struct EVSE: Sendable, Hashable {
        /// 1..n on the board.
        public var id: Int
        public var maxCurrentA: Double
        public var connectors: [Connector]
        public var meter: Meter
        /// Real lines for this EVSE's contactor, lock, RCD, e-stop and LEDs (a mixed board: the rest stays simulated).
        public var gpio: GPIOEVSEConfiguration?
        /// The control pilot's PWM channel (sysfs PWM class): the current limit as a duty cycle (IEC 61851-1).
        public var controlPilot: PWMChannelConfiguration?

        public init(
            id: Int, maxCurrentA: Double, connectors: [Connector], meter: Meter, gpio: GPIOEVSEConfiguration? = nil,
            controlPilot: PWMChannelConfiguration? = nil
        ) {
            self.id = id
            self.maxCurrentA = maxCurrentA
            self.connectors = connectors
            self.meter = meter
            self.gpio = gpio
            self.controlPilot = controlPilot
        }
    }

    /// OCPP 2.0.1 `ConnectorEnumType`, from the generated enum.
    public static let connectorTypes: [String] = ConnectorEnumType.allCases.map(\.rawValue)

    public var name: String
    public var description: String?
    public var hal: HAL
    public var evses: [EVSE]
    public var rfid: RFIDReader?
    /// A system reboot command (argv) that a Reset runs instead of re-executing the agent.
    public var rebootCommand: [String]?
    /// Where sysfs is mounted (`/sys`); the PWM and IIO parts are found below it. Tests point it at a temp directory.
    public var sysfsRoot: String

    public init(
        name: String, description: String? = nil, hal: HAL, evses: [EVSE], rfid: RFIDReader? = nil,
        rebootCommand: [String]? = nil, sysfsRoot: String = "/sys"
    ) {
        self.name = name
        self.description = description
        self.hal = hal
        self.evses = evses
        self.rfid = rfid
        self.rebootCommand = rebootCommand
        self.sysfsRoot = sysfsRoot
    }

    /// The EVSEs and connectors in the port's terms.
    public var evseDescriptions: [EVSEDescription] {
        evses.map { evse in
            EVSEDescription(id: evse.id, connectors: evse.connectors.map { ConnectorDescription(id: $0.id, type: $0.type, hasLock: $0.hasLock) })
        }
    }

    /// Reads and checks a board file.
    public static func load(path: String) throws(BoardFileError) -> BoardConfiguration {
        let bytes: [UInt8]
        do {
            bytes = try POSIXFiles.readFile(path: path, limit: 1 << 20)
        } catch {
            throw BoardFileError(path: path, field: nil, reason: error.reason)
        }
        return try parse(bytes: bytes, path: path)
    }

    /// Checks a board file's content; `path` only names the file in errors.
    public static func parse(bytes: [UInt8], path: String) throws(BoardFileError) -> BoardConfiguration {
        let json: JSONValue
        do {
            json = try HWJSONParser.parse(bytes)
        } catch {
            throw BoardFileError(path: path, field: nil, reason: error.description)
        }
        do {
            return try decode(json)
        } catch {
            throw BoardFileError(path: path, field: error.field.isEmpty ? nil : error.field, reason: error.reason)
        }
    }

    private static func decode(_ json: JSONValue) throws(HWJSONFieldError) -> BoardConfiguration {
        let root = try HWJSONFields(json, path: "")
        try root.rejectUnknownKeys(allowed: ["name", "description", "hal", "evses", "rfid", "rebootCommand", "sysfsRoot"])

        let name = try root.string("name")
        if name.trimmingSpaces.isEmpty { throw HWJSONFieldError(field: "name", reason: "must not be empty") }
        let description = try root.optionalString("description")

        let halName = try root.string("hal")
        guard let hal = HAL(rawValue: halName) else {
            throw HWJSONFieldError(
                field: "hal",
                reason: "\(jsonQuoted(halName)) is not a supported HAL (supported: \(HAL.allCases.map { jsonQuoted($0.rawValue) }.joined(separator: ", ")))")
        }

        let evseValues = try root.array("evses")
        if evseValues.isEmpty { throw HWJSONFieldError(field: "evses", reason: "must list at least one EVSE") }
        var evses: [EVSE] = []
        for (index, value) in evseValues.enumerated() {
            evses.append(try decodeEVSE(value, index: index, path: root.elementPath("evses", index)))
        }
        try checkDuplicateLines(evses)
        try checkDuplicateChannels(evses)

        var rfid: RFIDReader?
        if let reader = try root.optionalObject("rfid") {
            let type = try reader.string("type")
            switch RFIDReader.Kind(rawValue: type) {
            case .sim:
                try reader.rejectUnknownKeys(allowed: ["type"])
                rfid = RFIDReader(type: .sim)
            case .evdev:
                rfid = RFIDReader(type: .evdev, evdev: try decodeEvdevReader(reader, evseCount: evses.count))
            case nil:
                throw HWJSONFieldError(field: reader.fieldPath("type"), reason: unsupported(type, RFIDReader.Kind.allCases.map(\.rawValue), what: "RFID reader type"))
            }
        }

        let sysfsRoot = try root.optionalString("sysfsRoot") ?? "/sys"
        if !sysfsRoot.hasPrefix("/") {
            throw HWJSONFieldError(field: "sysfsRoot", reason: "must be an absolute path, got \(jsonQuoted(sysfsRoot))")
        }

        var rebootCommand: [String]?
        if let values = try root.optionalArray("rebootCommand") {
            if values.isEmpty {
                throw HWJSONFieldError(field: "rebootCommand", reason: "must have at least one element (the program to run)")
            }
            var argv: [String] = []
            for (index, value) in values.enumerated() {
                argv.append(try HWJSONFields.string(value, path: root.elementPath("rebootCommand", index)))
            }
            if argv[0].isEmpty { throw HWJSONFieldError(field: "rebootCommand[0]", reason: "the program must not be empty") }
            rebootCommand = argv
        }

        return BoardConfiguration(
            name: name, description: description, hal: hal, evses: evses, rfid: rfid, rebootCommand: rebootCommand,
            sysfsRoot: sysfsRoot)
    }

    private static func decodeEVSE(_ value: JSONValue, index: Int, path: String) throws(HWJSONFieldError) -> EVSE {
        let fields = try HWJSONFields(value, path: path)
        try fields.rejectUnknownKeys(allowed: ["id", "maxCurrentA", "connectors", "meter", "gpio", "controlPilot"])
        let id = try fields.int("id")
        if id != index + 1 {
            throw HWJSONFieldError(
                field: fields.fieldPath("id"), reason: "expected \(index + 1), got \(id) (EVSE ids must be 1..n in order)")
        }
        let maxCurrentA = try fields.number("maxCurrentA")
        if !(maxCurrentA > 0) {
            throw HWJSONFieldError(field: fields.fieldPath("maxCurrentA"), reason: "must be greater than 0, got \(jsonNumber(maxCurrentA))")
        }
        let connectorValues = try fields.array("connectors")
        if connectorValues.isEmpty {
            throw HWJSONFieldError(field: fields.fieldPath("connectors"), reason: "must list at least one connector")
        }
        var connectors: [Connector] = []
        for (connectorIndex, connectorValue) in connectorValues.enumerated() {
            let connector = try HWJSONFields(connectorValue, path: fields.elementPath("connectors", connectorIndex))
            try connector.rejectUnknownKeys(allowed: ["id", "type", "lock", "proximityPilot"])
            let connectorId = try connector.int("id")
            if connectorId != connectorIndex + 1 {
                throw HWJSONFieldError(
                    field: connector.fieldPath("id"),
                    reason: "expected \(connectorIndex + 1), got \(connectorId) (connector ids must be 1..m in order within an EVSE)")
            }
            let type = try connector.string("type")
            guard connectorTypes.contains(type) else {
                throw HWJSONFieldError(field: connector.fieldPath("type"), reason: "\(jsonQuoted(type)) is not a ConnectorEnumType value")
            }
            let proximityPilot = try connector.optionalObject("proximityPilot").map {
                (object: HWJSONFields) throws(HWJSONFieldError) in try decodeProximityPilot(object)
            }
            connectors.append(
                Connector(id: connectorId, type: type, hasLock: try connector.optionalBool("lock") ?? true, proximityPilot: proximityPilot))
        }
        let meterFields = try fields.object("meter")
        let meterType = try meterFields.string("type")
        let meter: Meter
        switch Meter.Kind(rawValue: meterType) {
        case .sim:
            try meterFields.rejectUnknownKeys(allowed: ["type"])
            meter = Meter(type: .sim)
        case .modbusRTU:
            meter = try decodeModbusMeter(meterFields)
        case nil:
            throw HWJSONFieldError(field: meterFields.fieldPath("type"), reason: unsupported(meterType, Meter.Kind.allCases.map(\.rawValue), what: "meter type"))
        }
        let gpio = try fields.optionalObject("gpio").map { (object: HWJSONFields) throws(HWJSONFieldError) in try decodeGPIO(object) }
        let controlPilot = try fields.optionalObject("controlPilot").map {
            (object: HWJSONFields) throws(HWJSONFieldError) in try decodeControlPilot(object)
        }
        return EVSE(id: id, maxCurrentA: maxCurrentA, connectors: connectors, meter: meter, gpio: gpio, controlPilot: controlPilot)
    }

    private static func unsupported(_ value: String, _ supported: [String], what: String) -> String {
        "\(jsonQuoted(value)) is not a supported \(what) (supported: \(supported.map(jsonQuoted).joined(separator: ", ")))"
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = self[...]
        while let first = s.first, first.isWhitespace { s.removeFirst() }
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return s
    }
}

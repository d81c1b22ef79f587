// The real-hardware parts of a board file: a Modbus RTU meter per EVSE and GPIO lines per EVSE. Read as strictly as
// the rest: every error names the field and the reason.
import OCPPMessages

extension BoardConfiguration {
    /// A `"meter": {"type": "modbus-rtu", ...}` entry.
    static func decodeModbusMeter(_ fields: HWJSONFields) throws(HWJSONFieldError) -> Meter {
        try fields.rejectUnknownKeys(allowed: [
            "type", "device", "baud", "parity", "dataBits", "stopBits", "address", "map", "pollIntervalMs", "timeoutMs",
            "retries",
        ])
        let device = try fields.string("device")
        if !device.hasPrefix("/") { throw HWJSONFieldError(field: fields.fieldPath("device"), reason: "must be an absolute path such as /dev/ttyUSB0, got \(jsonQuoted(device))") }
        var settings = ModbusRTUSettings(device: device)
        if let baud = try fields.optionalInt("baud") {
            guard ModbusRTUSettings.baudRates.contains(baud) else {
                throw HWJSONFieldError(field: fields.fieldPath("baud"), reason: "\(baud) is not a supported baud rate (\(ModbusRTUSettings.baudRates.map(String.init).joined(separator: ", ")))")
            }
            settings.baud = baud
        }
        if let parity = try fields.optionalString("parity") {
            guard let value = ModbusRTUSettings.Parity(rawValue: parity) else {
                throw HWJSONFieldError(field: fields.fieldPath("parity"), reason: "\(jsonQuoted(parity)) is not none, even or odd")
            }
            settings.parity = value
        }
        settings.dataBits = try integer(fields, "dataBits", in: 7...8) ?? 8
        settings.stopBits = try integer(fields, "stopBits", in: 1...2) ?? 1
        settings.address = try integer(fields, "address", in: 1...247) ?? 1
        settings.timeoutMs = try integer(fields, "timeoutMs", in: 10...10_000) ?? 500
        settings.retries = try integer(fields, "retries", in: 0...10) ?? 2
        let pollIntervalMs = try integer(fields, "pollIntervalMs", in: 100...3_600_000) ?? 1000
        let map: ModbusRegisterMap
        if let name = try? fields.string("map") {
            guard let builtIn = ModbusRegisterMap.builtIn.first(where: { $0.name == name }) else {
                throw HWJSONFieldError(field: fields.fieldPath("map"), reason: "\(jsonQuoted(name)) is not a built-in register map (\(ModbusRegisterMap.builtIn.map { jsonQuoted($0.name) }.joined(separator: ", "))) nor a generic map object")
            }
            map = builtIn
        } else {
            map = try decodeGenericMap(try fields.object("map"))
        }
        return Meter(type: .modbusRTU, modbus: ModbusMeterConfiguration(settings: settings, map: map, pollIntervalMs: pollIntervalMs))
    }

    static func integer(_ fields: HWJSONFields, _ key: String, in range: ClosedRange<Int>) throws(HWJSONFieldError) -> Int? {
        guard let value = try fields.optionalInt(key) else { return nil }
        guard range.contains(value) else {
            throw HWJSONFieldError(field: fields.fieldPath(key), reason: "must be \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return value
    }

    /// `{"registers": [{"quantity": "energyImportWh", "register": 72, "function": 4, "type": "float32",
    /// "wordOrder": "big", "scale": 1000}, ...]}`
    private static func decodeGenericMap(_ fields: HWJSONFields) throws(HWJSONFieldError) -> ModbusRegisterMap {
        try fields.rejectUnknownKeys(allowed: ["registers"])
        let values = try fields.array("registers")
        if values.isEmpty { throw HWJSONFieldError(field: fields.fieldPath("registers"), reason: "must list at least one register") }
        var registers: [ModbusRegisterMap.Register] = []
        for (index, value) in values.enumerated() {
            let entry = try HWJSONFields(value, path: fields.elementPath("registers", index))
            try entry.rejectUnknownKeys(allowed: ["quantity", "register", "function", "type", "wordOrder", "scale"])
            func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(HWJSONFieldError) -> T where T.RawValue == String {
                let name = try entry.string(key)
                guard let value = T(rawValue: name) else {
                    throw HWJSONFieldError(field: entry.fieldPath(key), reason: "\(jsonQuoted(name)) is not one of \(T.allCases.map { jsonQuoted($0.rawValue) }.joined(separator: ", "))")
                }
                return value
            }
            let quantity = try choice("quantity", ModbusRegisterMap.Quantity.self)
            if registers.contains(where: { $0.quantity == quantity }) {
                throw HWJSONFieldError(field: entry.fieldPath("quantity"), reason: "\(jsonQuoted(quantity.rawValue)) is mapped twice")
            }
            let address = try entry.int("register")
            if !(0...0xFFFF).contains(address) { throw HWJSONFieldError(field: entry.fieldPath("register"), reason: "must be 0 to 65535, got \(address)") }
            let functionCode = try entry.int("function")
            guard let function = ModbusRegisterMap.Function(rawValue: functionCode) else {
                throw HWJSONFieldError(field: entry.fieldPath("function"), reason: "must be 3 (holding registers) or 4 (input registers), got \(functionCode)")
            }
            let type = try choice("type", ModbusRegisterMap.ValueType.self)
            let wordOrder = try entry.optionalString("wordOrder") == nil ? .big : try choice("wordOrder", ModbusRegisterMap.WordOrder.self)
            let scale = try entry.optionalNumber("scale") ?? 1
            if !(scale != 0 && scale.isFinite) { throw HWJSONFieldError(field: entry.fieldPath("scale"), reason: "must be a non-zero number") }
            registers.append(.init(quantity, address: address, function: function, type: type, wordOrder: wordOrder, scale: scale))
        }
        return ModbusRegisterMap(name: "generic", registers: registers)
    }

    /// An EVSE's `"gpio"` object.
    static func decodeGPIO(_ fields: HWJSONFields) throws(HWJSONFieldError) -> GPIOEVSEConfiguration {
        try fields.rejectUnknownKeys(allowed: [
            "contactor", "contactorFeedback", "lock", "lockFeedback", "rcd", "emergencyStop", "leds",
        ])
        func output(_ fields: HWJSONFields, _ key: String) throws(HWJSONFieldError) -> GPIOOutputConfiguration? {
            guard let line = try fields.optionalObject(key) else { return nil }
            try line.rejectUnknownKeys(allowed: ["chip", "line", "activeLow"])
            return GPIOOutputConfiguration(address: try address(line), activeLow: try line.optionalBool("activeLow") ?? false)
        }
        func input(_ key: String) throws(HWJSONFieldError) -> GPIOInputConfiguration? {
            guard let line = try fields.optionalObject(key) else { return nil }
            try line.rejectUnknownKeys(allowed: ["chip", "line", "activeLow", "debounceMs"])
            let debounce = try line.optionalInt("debounceMs") ?? 10
            if !(0...1000).contains(debounce) { throw HWJSONFieldError(field: line.fieldPath("debounceMs"), reason: "must be 0 to 1000, got \(debounce)") }
            return GPIOInputConfiguration(address: try address(line), activeLow: try line.optionalBool("activeLow") ?? false, debounceMs: debounce)
        }
        var configuration = GPIOEVSEConfiguration(
            contactor: try output(fields, "contactor"), contactorFeedback: try input("contactorFeedback"),
            lock: try output(fields, "lock"), lockFeedback: try input("lockFeedback"), rcd: try input("rcd"),
            emergencyStop: try input("emergencyStop"))
        if let leds = try fields.optionalObject("leds") {
            try leds.rejectUnknownKeys(allowed: ["available", "charging", "fault"])
            configuration.ledAvailable = try output(leds, "available")
            configuration.ledCharging = try output(leds, "charging")
            configuration.ledFault = try output(leds, "fault")
        }
        if configuration.contactorFeedback != nil && configuration.contactor == nil {
            throw HWJSONFieldError(field: fields.fieldPath("contactorFeedback"), reason: "needs a contactor line")
        }
        if configuration.lockFeedback != nil && configuration.lock == nil {
            throw HWJSONFieldError(field: fields.fieldPath("lockFeedback"), reason: "needs a lock line")
        }
        return configuration
    }

    private static func address(_ line: HWJSONFields) throws(HWJSONFieldError) -> GPIOLineAddress {
        let chip = try line.string("chip")
        if chip.isEmpty { throw HWJSONFieldError(field: line.fieldPath("chip"), reason: "must not be empty") }
        let value = try line.require("line")
        switch value {
        case .string(let name) where !name.isEmpty: return GPIOLineAddress(chip: chip, line: .name(name))
        case .int(let offset) where offset >= 0 && offset < 1024:
            return GPIOLineAddress(chip: chip, line: .offset(Int(offset)))
        default:
            throw HWJSONFieldError(field: line.fieldPath("line"), reason: "must be a line name (\"GPIO17\") or an offset 0 to 1023, got \(value.serialized())")
        }
    }

    /// No GPIO line may be used twice on the board.
    static func checkDuplicateLines(_ evses: [EVSE]) throws(HWJSONFieldError) {
        var seen: [GPIOLineAddress: String] = [:]
        for (index, evse) in evses.enumerated() {
            guard let gpio = evse.gpio else { continue }
            for (field, address) in gpio.lines {
                let path = "evses[\(index)].gpio.\(field)"
                if let first = seen[address] {
                    throw HWJSONFieldError(field: path, reason: "line \(address) is already used by \(first)")
                }
                seen[address] = path
            }
        }
    }
}

/// A Modbus RTU meter as the board file describes it.
public struct ModbusMeterConfiguration: Sendable, Hashable {
    public var settings: ModbusRTUSettings
    public var map: ModbusRegisterMap
    public var pollIntervalMs: Int

    public init(settings: ModbusRTUSettings, map: ModbusRegisterMap, pollIntervalMs: Int = 1000) {
        self.settings = settings
        self.map = map
        self.pollIntervalMs = pollIntervalMs
    }
}

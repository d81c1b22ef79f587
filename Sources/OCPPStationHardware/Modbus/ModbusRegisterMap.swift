// Modbus RTU meters: serial settings and register maps (built-in for Eastron SDM630 / SDM120 and ABB B23, or a
// generic map from the board file).
public import OCPPStation

/// How the serial line and the meter are reached.
public struct ModbusRTUSettings: Sendable, Hashable {
    public enum Parity: String, Sendable, Hashable, CaseIterable {
        case none, even, odd
        var libmodbus: CChar {
            switch self {
            case .none: CChar(UInt8(ascii: "N"))
            case .even: CChar(UInt8(ascii: "E"))
            case .odd: CChar(UInt8(ascii: "O"))
            }
        }
    }

    /// The serial device, e.g. `/dev/ttyUSB0` or `/dev/serial0`.
    public var device: String
    public var baud: Int
    public var parity: Parity
    public var dataBits: Int
    public var stopBits: Int
    /// The meter's Modbus address (1...247).
    public var address: Int
    /// How long to wait for an answer, per attempt.
    public var timeoutMs: Int
    /// Attempts after the first one when the meter does not answer or the answer is corrupt (CRC). An exception
    /// response is an answer: it is not retried.
    public var retries: Int

    public static let baudRates = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]

    public init(
        device: String, baud: Int = 9600, parity: Parity = .none, dataBits: Int = 8, stopBits: Int = 1, address: Int = 1,
        timeoutMs: Int = 500, retries: Int = 2
    ) {
        self.device = device
        self.baud = baud
        self.parity = parity
        self.dataBits = dataBits
        self.stopBits = stopBits
        self.address = address
        self.timeoutMs = timeoutMs
        self.retries = retries
    }
}

/// Where each quantity is in a meter's registers.
public struct ModbusRegisterMap: Sendable, Hashable {
    public enum Quantity: String, Sendable, Hashable, CaseIterable {
        case energyImportWh, powerW
        case voltageL1, voltageL2, voltageL3
        case currentL1, currentL2, currentL3
        case powerL1, powerL2, powerL3
    }

    public enum Function: Int, Sendable, Hashable, CaseIterable {
        case holdingRegisters = 3
        case inputRegisters = 4
    }

    public enum ValueType: String, Sendable, Hashable, CaseIterable {
        case float32, int16, uint16, int32, uint32, int64, uint64
        public var registerCount: Int {
            switch self {
            case .int16, .uint16: 1
            case .float32, .int32, .uint32: 2
            case .int64, .uint64: 4
            }
        }
    }

    /// The order of the 16-bit words of a multi-register value: `big` = most significant word first (ABCD, what
    /// Eastron and ABB use), `little` = least significant word first (CDAB).
    public enum WordOrder: String, Sendable, Hashable, CaseIterable { case big, little }

    public struct Register: Sendable, Hashable {
        public var quantity: Quantity
        /// The register's address on the wire (0-based, as in the manufacturers' hex tables).
        public var address: Int
        public var function: Function
        public var type: ValueType
        public var wordOrder: WordOrder
        /// Multiplies the raw value into the quantity's unit (Wh, W, V, A): 1000 for a kWh register.
        public var scale: Double

        public init(
            _ quantity: Quantity, address: Int, function: Function, type: ValueType, wordOrder: WordOrder = .big,
            scale: Double = 1
        ) {
            self.quantity = quantity
            self.address = address
            self.function = function
            self.type = type
            self.wordOrder = wordOrder
            self.scale = scale
        }

        /// Decodes the value from its registers (`registerCount` of them).
        public func decode(_ words: ArraySlice<UInt16>) -> Double {
            var ordered = Array(words)
            if wordOrder == .little { ordered.reverse() }
            var raw: UInt64 = 0
            for word in ordered { raw = raw << 16 | UInt64(word) }
            let value: Double
            switch type {
            case .float32: value = Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
            case .int16: value = Double(Int16(bitPattern: UInt16(truncatingIfNeeded: raw)))
            case .uint16: value = Double(UInt16(truncatingIfNeeded: raw))
            case .int32: value = Double(Int32(bitPattern: UInt32(truncatingIfNeeded: raw)))
            case .uint32: value = Double(UInt32(truncatingIfNeeded: raw))
            case .int64: value = Double(Int64(bitPattern: raw))
            case .uint64: value = Double(raw)
            }
            return value * scale
        }
    }

    public var name: String
    public var registers: [Register]

    public init(name: String, registers: [Register]) {
        self.name = name
        self.registers = registers
    }

    /// One read request: consecutive registers of one function, read in a single transaction.
    public struct Block: Sendable, Hashable {
        public var function: Function
        public var address: Int
        public var count: Int
        public var registers: [Register]
    }

    /// The registers grouped into as few reads as possible: adjacent or overlapping registers of one function share
    /// a read of at most 100 registers (a Modbus read carries at most 125).
    public var blocks: [Block] {
        let sorted = registers.sorted { ($0.function.rawValue, $0.address) < ($1.function.rawValue, $1.address) }
        var blocks: [Block] = []
        for register in sorted {
            let end = register.address + register.type.registerCount
            if var last = blocks.last, last.function == register.function, register.address <= last.address + last.count,
                end - last.address <= 100
            {
                last.count = max(last.count, end - last.address)
                last.registers.append(register)
                blocks[blocks.count - 1] = last
            } else {
                blocks.append(Block(function: register.function, address: register.address, count: register.type.registerCount, registers: [register]))
            }
        }
        return blocks
    }

    /// Eastron SDM630 (three-phase): input registers, float32, kWh register 0x0048.
    public static let sdm630 = ModbusRegisterMap(
        name: "sdm630",
        registers: [
            .init(.voltageL1, address: 0x0000, function: .inputRegisters, type: .float32),
            .init(.voltageL2, address: 0x0002, function: .inputRegisters, type: .float32),
            .init(.voltageL3, address: 0x0004, function: .inputRegisters, type: .float32),
            .init(.currentL1, address: 0x0006, function: .inputRegisters, type: .float32),
            .init(.currentL2, address: 0x0008, function: .inputRegisters, type: .float32),
            .init(.currentL3, address: 0x000A, function: .inputRegisters, type: .float32),
            .init(.powerL1, address: 0x000C, function: .inputRegisters, type: .float32),
            .init(.powerL2, address: 0x000E, function: .inputRegisters, type: .float32),
            .init(.powerL3, address: 0x0010, function: .inputRegisters, type: .float32),
            .init(.powerW, address: 0x0034, function: .inputRegisters, type: .float32),
            .init(.energyImportWh, address: 0x0048, function: .inputRegisters, type: .float32, scale: 1000),
        ])

    /// Eastron SDM120 (single-phase): input registers, float32.
    public static let sdm120 = ModbusRegisterMap(
        name: "sdm120",
        registers: [
            .init(.voltageL1, address: 0x0000, function: .inputRegisters, type: .float32),
            .init(.currentL1, address: 0x0006, function: .inputRegisters, type: .float32),
            .init(.powerW, address: 0x000C, function: .inputRegisters, type: .float32),
            .init(.energyImportWh, address: 0x0048, function: .inputRegisters, type: .float32, scale: 1000),
        ])

    /// ABB B23 (three-phase): holding registers, integers with fixed resolutions (0.01 kWh, 0.1 V, 0.01 A, 0.01 W).
    public static let abbB23 = ModbusRegisterMap(
        name: "abb-b23",
        registers: [
            .init(.energyImportWh, address: 0x5000, function: .holdingRegisters, type: .uint64, scale: 10),
            .init(.voltageL1, address: 0x5B00, function: .holdingRegisters, type: .uint32, scale: 0.1),
            .init(.voltageL2, address: 0x5B02, function: .holdingRegisters, type: .uint32, scale: 0.1),
            .init(.voltageL3, address: 0x5B04, function: .holdingRegisters, type: .uint32, scale: 0.1),
            .init(.currentL1, address: 0x5B0C, function: .holdingRegisters, type: .uint32, scale: 0.01),
            .init(.currentL2, address: 0x5B0E, function: .holdingRegisters, type: .uint32, scale: 0.01),
            .init(.currentL3, address: 0x5B10, function: .holdingRegisters, type: .uint32, scale: 0.01),
            .init(.powerW, address: 0x5B14, function: .holdingRegisters, type: .int32, scale: 0.01),
            .init(.powerL1, address: 0x5B16, function: .holdingRegisters, type: .int32, scale: 0.01),
            .init(.powerL2, address: 0x5B18, function: .holdingRegisters, type: .int32, scale: 0.01),
            .init(.powerL3, address: 0x5B1A, function: .holdingRegisters, type: .int32, scale: 0.01),
        ])

    public static let builtIn: [ModbusRegisterMap] = [.sdm630, .sdm120, .abbB23]

    /// A sample from the decoded quantities.
    func sample(_ values: [Quantity: Double], meterId: String, timestamp: Double) -> MeterSample {
        MeterSample(
            meterId: meterId, timestamp: timestamp, energyImportWh: values[.energyImportWh],
            powerW: values[.powerW] ?? [values[.powerL1], values[.powerL2], values[.powerL3]].compactMap { $0 }.nilIfEmpty?.reduce(0, +),
            voltageV: PhaseValues(l1: values[.voltageL1], l2: values[.voltageL2], l3: values[.voltageL3]),
            currentA: PhaseValues(l1: values[.currentL1], l2: values[.currentL2], l3: values[.currentL3]),
            powerPerPhaseW: PhaseValues(l1: values[.powerL1], l2: values[.powerL2], l3: values[.powerL3]))
    }
}

extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}

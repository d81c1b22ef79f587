// One serial Modbus RTU bus through Debian's libmodbus. libmodbus blocks while it waits for a meter, so every call runs
// on the bus's own thread (a one-thread NIOThreadPool), never on the event loop the WebSocket uses; the meters on one
// bus share it, one transaction at a time.
import CModbus
import NIOPosix
public import OCPPStation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A Modbus request that failed: the device, what was asked, and why in words.
public struct ModbusError: Error, CustomStringConvertible, Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// The serial device cannot be opened or configured.
        case open
        /// No answer within the timeout, after the retries.
        case timeout
        /// Only corrupt answers (bad CRC), after the retries.
        case crc
        /// The meter answered with a Modbus exception (1 illegal function, 2 illegal data address, ...).
        case exception(code: Int)
        case other
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

public final class ModbusRTULink: Sendable {
    public let device: String
    private let bus: Bus
    private let thread: NIOThreadPool

    /// The serial settings of the bus (device, baud, parity, data and stop bits) come from `settings`; the meter's
    /// address, timeout and retries are per request.
    public init(settings: ModbusRTUSettings) {
        self.device = settings.device
        self.bus = Bus(settings: settings)
        self.thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
    }

    deinit {
        // The work on the thread holds only the bus, so this never runs on the thread it stops.
        thread.shutdownGracefully { _ in }
    }

    /// Reads `count` registers with function 0x03 or 0x04 from the meter at `address`, on the bus's thread.
    public func readRegisters(
        address: Int, function: ModbusRegisterMap.Function, start: Int, count: Int, timeoutMs: Int, retries: Int
    ) async throws -> [UInt16] {
        let bus = bus
        return try await thread.runIfActive {
            try bus.readBlocking(
                address: address, function: function, start: start, count: count, timeoutMs: timeoutMs, retries: retries)
        }
    }

    /// The serial line as libmodbus set it up, read back from the device's termios: what the kernel (and a USB
    /// adapter's driver) was told. Opens the bus if it is not open yet.
    public func lineSettings() async throws -> SerialLineSettings {
        let bus = bus
        return try await thread.runIfActive { try bus.lineSettingsBlocking() }
    }

}

/// The libmodbus context (`modbus_t *`) of one bus, opened on first use and after an I/O error; used only on the
/// bus's thread, under its lock.
private final class Bus: Sendable {
    let settings: ModbusRTUSettings
    var device: String { settings.device }
    private let context = Mutex<OpaquePointer?>(nil)

    init(settings: ModbusRTUSettings) {
        self.settings = settings
    }

    deinit {
        context.withLock { Self.close(&$0) }
    }

    func readBlocking(
        address: Int, function: ModbusRegisterMap.Function, start: Int, count: Int, timeoutMs: Int, retries: Int
    ) throws(ModbusError) -> [UInt16] {
        let what = "\(device) address \(address) function 0x0\(function.rawValue) register 0x\(String(start, radix: 16)) x\(count)"
        return try context.withLock { (ctx: inout OpaquePointer?) throws(ModbusError) -> [UInt16] in
            var failure = ModbusError(.other, "")
            for _ in 0...max(0, retries) {
                if ctx == nil { ctx = try open() }
                guard let modbus = ctx else { break }
                modbus_set_slave(modbus, Int32(address))
                let timeout = max(1, timeoutMs)
                modbus_set_response_timeout(modbus, UInt32(timeout / 1000), UInt32(timeout % 1000 * 1000))
                var words = [UInt16](repeating: 0, count: count)
                let read =
                    switch function {
                    case .holdingRegisters: modbus_read_registers(modbus, Int32(start), Int32(count), &words)
                    case .inputRegisters: modbus_read_input_registers(modbus, Int32(start), Int32(count), &words)
                    }
                if read == Int32(count) { return words }
                let code = cmodbus_errno()
                let reason = String(cString: modbus_strerror(code))
                let base = Int32(MODBUS_ENOBASE)
                switch code {
                case base + 1...base + 11:
                    // An exception response is the meter's answer: asking again gets the same one.
                    throw ModbusError(.exception(code: Int(code - base)), "\(what): exception \(code - base) (\(reason))")
                case ETIMEDOUT:
                    failure = ModbusError(.timeout, "\(what): no answer within \(timeout) ms")
                case base + 12:
                    failure = ModbusError(.crc, "\(what): corrupt answer (\(reason))")
                default:
                    failure = ModbusError(.other, "\(what): \(reason)")
                    Self.close(&ctx)  // the device may have gone (USB adapter unplugged): open it again next time
                }
                if let modbus = ctx { modbus_flush(modbus) }
            }
            throw failure
        }
    }

    func lineSettingsBlocking() throws(ModbusError) -> SerialLineSettings {
        try context.withLock { (ctx: inout OpaquePointer?) throws(ModbusError) -> SerialLineSettings in
            if ctx == nil { ctx = try open() }
            var t = termios()
            guard let modbus = ctx, tcgetattr(modbus_get_socket(modbus), &t) == 0 else {
                throw ModbusError(.other, "\(device): cannot read the line settings: \(String(cString: strerror(errno)))")
            }
            let size = t.c_cflag & tcflag_t(CSIZE)
            let speeds: [speed_t: Int] = [
                speed_t(B1200): 1200, speed_t(B2400): 2400, speed_t(B4800): 4800, speed_t(B9600): 9600,
                speed_t(B19200): 19200, speed_t(B38400): 38400, speed_t(B57600): 57600, speed_t(B115200): 115200,
            ]
            return SerialLineSettings(
                baud: speeds[cfgetospeed(&t)], parityBit: t.c_cflag & tcflag_t(PARENB) != 0,
                oddParity: t.c_cflag & tcflag_t(PARODD) != 0, parityCheck: t.c_iflag & tcflag_t(INPCK) != 0,
                dataBits: size == tcflag_t(CS5) ? 5 : size == tcflag_t(CS6) ? 6 : size == tcflag_t(CS7) ? 7 : 8,
                stopBits: t.c_cflag & tcflag_t(CSTOPB) != 0 ? 2 : 1)
        }
    }

    private func open() throws(ModbusError) -> OpaquePointer {
        guard
            let ctx = modbus_new_rtu(
                device, Int32(settings.baud), settings.parity.libmodbus, Int32(settings.dataBits), Int32(settings.stopBits))
        else {
            throw ModbusError(.open, "\(device): \(String(cString: modbus_strerror(cmodbus_errno())))")
        }
        if modbus_connect(ctx) != 0 {
            let reason = String(cString: modbus_strerror(cmodbus_errno()))
            modbus_free(ctx)
            throw ModbusError(.open, "\(device): cannot open: \(reason)")
        }
        return ctx
    }

    private static func close(_ ctx: inout OpaquePointer?) {
        if let modbus = ctx {
            modbus_close(modbus)
            modbus_free(modbus)
        }
        ctx = nil
    }
}

/// A meter on a Modbus RTU bus, read through its register map.
public struct ModbusRTUMeter: EnergyMeter {
    public let settings: ModbusRTUSettings
    public let map: ModbusRegisterMap
    public let link: ModbusRTULink

    /// `link`: the bus, shared with the other meters on the same device (default: a bus of its own).
    public init(settings: ModbusRTUSettings, map: ModbusRegisterMap, link: ModbusRTULink? = nil) {
        self.settings = settings
        self.map = map
        self.link = link ?? ModbusRTULink(settings: settings)
    }

    public var meterId: String { "\(settings.device)#\(settings.address)" }

    public func read() async throws -> MeterSample {
        var values: [ModbusRegisterMap.Quantity: Double] = [:]
        for block in map.blocks {
            let words = try await link.readRegisters(
                address: settings.address, function: block.function, start: block.address, count: block.count,
                timeoutMs: settings.timeoutMs, retries: settings.retries)
            for register in block.registers {
                let offset = register.address - block.address
                values[register.quantity] = register.decode(words[offset..<offset + register.type.registerCount])
            }
        }
        return map.sample(values, meterId: meterId, timestamp: SimulatedBoard.systemSeconds())
    }
}

/// A serial line's framing as the device's termios holds it (the flags as they are: a pseudo-terminal keeps some and
/// forces others, see ModbusMeterTests.serialSettingsReachTheDevice).
public struct SerialLineSettings: Sendable, Hashable {
    /// nil for a speed outside the supported baud rates.
    public var baud: Int?
    /// PARENB: a parity bit is sent and expected.
    public var parityBit: Bool
    /// PARODD: odd rather than even parity.
    public var oddParity: Bool
    /// INPCK: received parity is checked (libmodbus sets it with any parity but none).
    public var parityCheck: Bool
    public var dataBits: Int
    public var stopBits: Int

    public init(baud: Int?, parityBit: Bool, oddParity: Bool, parityCheck: Bool, dataBits: Int, stopBits: Int) {
        self.baud = baud
        self.parityBit = parityBit
        self.oddParity = oddParity
        self.parityCheck = parityCheck
        self.dataBits = dataBits
        self.stopBits = stopBits
    }
}

// GPIO lines through the kernel's character device, by libgpiod. The `GPIODriver` protocol is the C-facing seam: its
// calls are libgpiod's (open the chip, find the line by name or offset, request it with the active-low flag, set, get,
// wait for an edge, release). `LibgpiodDriver` calls libgpiod v1; tests put a fake chip behind the same seam, so
// everything above it (debounce, edge watching threads, what a line means) runs the same code as on a Raspberry Pi.
import CGPIOD
public import OCPPStation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A line on a chip: by its name (`GPIO17`, from the device tree) or its offset.
public struct GPIOLineAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Line: Sendable, Hashable {
        case name(String)
        case offset(Int)
    }

    /// `gpiochip0`, `/dev/gpiochip0`, a chip label or number, as libgpiod's lookup takes it.
    public var chip: String
    public var line: Line

    public init(chip: String, line: Line) {
        self.chip = chip
        self.line = line
    }

    public var description: String {
        switch line {
        case .name(let name): "\(chip)/\(name)"
        case .offset(let offset): "\(chip)/\(offset)"
        }
    }
}

public struct GPIOError: Error, CustomStringConvertible, Sendable, Hashable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A requested line.
public struct GPIOLineHandle: Sendable, Hashable {
    public var id: Int
    public init(id: Int) { self.id = id }
}

/// The seam. Values are logical (active = true): the driver applies active-low when it requests the line, as
/// libgpiod's ACTIVE_LOW flag does. `waitForEdge` blocks its thread; the backend calls it only from its own threads.
public protocol GPIODriver: Sendable {
    func requestOutput(_ address: GPIOLineAddress, consumer: String, activeLow: Bool, initial: Bool) throws(GPIOError) -> GPIOLineHandle
    /// An input with edge events on both edges.
    func requestInput(_ address: GPIOLineAddress, consumer: String, activeLow: Bool) throws(GPIOError) -> GPIOLineHandle
    func setValue(_ line: GPIOLineHandle, _ active: Bool) throws(GPIOError)
    func value(_ line: GPIOLineHandle) throws(GPIOError) -> Bool
    /// The next edge within `timeoutMs`: true rising (became active), false falling; nil on timeout.
    func waitForEdge(_ line: GPIOLineHandle, timeoutMs: Int) throws(GPIOError) -> Bool?
    func release(_ line: GPIOLineHandle)
}

/// libgpiod v1 (1.6 on Debian 12 and Raspberry Pi OS).
public final class LibgpiodDriver: GPIODriver {
    /// libgpiod's chip and line, owned by the table: used under its lock or after removal from it, never shared.
    private struct Requested: @unchecked Sendable {
        var chip: OpaquePointer
        var line: OpaquePointer
    }

    private struct Table: ~Copyable {
        var next = 1
        var lines: [Int: Requested] = [:]
    }

    private let table = Mutex(Table())

    public init() {}

    deinit {
        table.withLock { table in
            for requested in table.lines.values {
                gpiod_line_release(requested.line)
                gpiod_chip_close(requested.chip)
            }
            table.lines = [:]
        }
    }

    private static func reason() -> String { String(cString: strerror(cgpiod_errno())) }

    private func request(
        _ address: GPIOLineAddress, consumer: String, output: Bool, activeLow: Bool, initial: Bool
    ) throws(GPIOError) -> GPIOLineHandle {
        guard let chip = gpiod_chip_open_lookup(address.chip) else {
            throw GPIOError("\(address): cannot open chip \(address.chip): \(Self.reason())")
        }
        let found: OpaquePointer? =
            switch address.line {
            case .name(let name): gpiod_chip_find_line(chip, name)
            case .offset(let offset): offset >= 0 ? gpiod_chip_get_line(chip, UInt32(offset)) : nil
            }
        guard let line = found else {
            gpiod_chip_close(chip)
            throw GPIOError("\(address): no such line on \(address.chip)")
        }
        if cgpiod_request(line, consumer, output ? 1 : 0, activeLow ? 1 : 0, initial ? 1 : 0) != 0 {
            let reason = Self.reason()
            gpiod_chip_close(chip)
            throw GPIOError("\(address): cannot request the line (\(reason)); is another program using it?")
        }
        return table.withLock { table in
            let id = table.next
            table.next += 1
            table.lines[id] = Requested(chip: chip, line: line)
            return GPIOLineHandle(id: id)
        }
    }

    private func line(_ handle: GPIOLineHandle) throws(GPIOError) -> OpaquePointer {
        guard let line = table.withLock({ $0.lines[handle.id]?.line }) else { throw GPIOError("line \(handle.id) is not requested") }
        return line
    }

    public func requestOutput(_ address: GPIOLineAddress, consumer: String, activeLow: Bool, initial: Bool) throws(GPIOError) -> GPIOLineHandle {
        try request(address, consumer: consumer, output: true, activeLow: activeLow, initial: initial)
    }

    public func requestInput(_ address: GPIOLineAddress, consumer: String, activeLow: Bool) throws(GPIOError) -> GPIOLineHandle {
        try request(address, consumer: consumer, output: false, activeLow: activeLow, initial: false)
    }

    public func setValue(_ handle: GPIOLineHandle, _ active: Bool) throws(GPIOError) {
        if gpiod_line_set_value(try line(handle), active ? 1 : 0) != 0 { throw GPIOError("cannot set line \(handle.id): \(Self.reason())") }
    }

    public func value(_ handle: GPIOLineHandle) throws(GPIOError) -> Bool {
        let value = gpiod_line_get_value(try line(handle))
        if value < 0 { throw GPIOError("cannot read line \(handle.id): \(Self.reason())") }
        return value == 1
    }

    public func waitForEdge(_ handle: GPIOLineHandle, timeoutMs: Int) throws(GPIOError) -> Bool? {
        switch cgpiod_wait_edge(try line(handle), timeoutMs * 1_000_000) {
        case 1: return true
        case 0: return false
        case -2: return nil
        default: throw GPIOError("waiting for an edge on line \(handle.id): \(Self.reason())")
        }
    }

    public func release(_ handle: GPIOLineHandle) {
        guard let requested = table.withLock({ $0.lines.removeValue(forKey: handle.id) }) else { return }
        gpiod_line_release(requested.line)
        gpiod_chip_close(requested.chip)
    }
}

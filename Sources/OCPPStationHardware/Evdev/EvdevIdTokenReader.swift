// A USB RFID reader that acts as a keyboard ("keyboard wedge"): it types the card's number, then Enter. Read through
// the kernel's evdev interface (/dev/input/eventN, or a stable /dev/input/by-id/... link): `struct input_event`
// records, key presses only. The device is grabbed (EVIOCGRAB) so the digits do not also reach a console. Reads block,
// so they run on a thread of their own, never on the event loop.
public import Logging
import NIOPosix
import OCPPMessages
public import OCPPStation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The reader as the board file describes it.
public struct EvdevReaderConfiguration: Sendable, Hashable {
    /// What the reader types.
    public enum Digits: String, Sendable, Hashable, CaseIterable {
        /// The card's UID in hexadecimal (taken as typed, upper case).
        case hex
        /// The card's UID as a decimal number (converted to hexadecimal: an ISO14443 idToken is the UID in hex).
        case decimal
    }

    public var device: String
    public var digits: Digits
    /// The EVSE the reader belongs to; nil for the whole station.
    public var evse: Int?

    public init(device: String, digits: Digits = .hex, evse: Int? = nil) {
        self.device = device
        self.digits = digits
        self.evse = evse
    }
}

/// Turns key presses into tokens: digits (and A-F) collect, Enter ends a token. A pure value: tested without a device.
public struct KeyboardWedgeDecoder: Sendable, Hashable {
    /// linux/input-event-codes.h
    static let eventKey: UInt16 = 1
    static let keyEnter: UInt16 = 28
    static let keyKeypadEnter: UInt16 = 96
    static let characters: [UInt16: Character] = [
        2: "1", 3: "2", 4: "3", 5: "4", 6: "5", 7: "6", 8: "7", 9: "8", 10: "9", 11: "0",
        79: "1", 80: "2", 81: "3", 75: "4", 76: "5", 77: "6", 71: "7", 72: "8", 73: "9", 82: "0",
        30: "A", 48: "B", 46: "C", 32: "D", 18: "E", 33: "F",
    ]
    /// An ISO14443 UID is 4, 7 or 10 bytes; anything longer than an idToken (36 characters) is noise.
    static let maximumLength = 36

    public var digits: EvdevReaderConfiguration.Digits
    private var typed = ""

    public init(digits: EvdevReaderConfiguration.Digits) { self.digits = digits }

    /// One input_event; the token when it ends one.
    public mutating func feed(type: UInt16, code: UInt16, value: Int32) -> String? {
        // value 1 = pressed (0 released, 2 autorepeat): each key counts once.
        guard type == Self.eventKey, value == 1 else { return nil }
        if code == Self.keyEnter || code == Self.keyKeypadEnter {
            defer { typed = "" }
            return token(typed)
        }
        if let character = Self.characters[code], typed.count < Self.maximumLength { typed.append(character) }
        return nil
    }

    func token(_ typed: String) -> String? {
        guard !typed.isEmpty else { return nil }
        switch digits {
        case .hex:
            return typed.count.isMultiple(of: 2) ? typed : "0" + typed
        case .decimal:
            guard typed.allSatisfy(\.isNumber), let value = UInt64(typed) else { return nil }
            let hex = String(value, radix: 16, uppercase: true)
            return hex.count.isMultiple(of: 2) ? hex : "0" + hex
        }
    }
}

public final class EvdevIdTokenReader: IdTokenReader {
    /// sizeof(struct input_event) on 64-bit Linux: struct timeval (2 × 8), type (2), code (2), value (4).
    static let eventSize = 24
    /// EVIOCGRAB = _IOW('E', 0x90, int).
    static let grab: UInt = 0x4004_4590

    public let configuration: EvdevReaderConfiguration
    let logger: Logger

    public init(configuration: EvdevReaderConfiguration, logger: Logger = Logger(label: "ocpp-station.rfid")) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run(_ presented: @escaping @Sendable (PresentedIdToken) -> Void) async throws {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        let configuration = configuration
        let stopped = StopFlag()
        await withTaskCancellationHandler {
            _ = try? await thread.runIfActive {
                self.readBlocking(stopped: stopped) { presented(PresentedIdToken(idToken: $0, type: .iso14443, evse: configuration.evse)) }
            }
        } onCancel: {
            stopped.set()
        }
        try? await thread.shutdownGracefully()
    }

    /// The reader's loop on its thread: (re)open the device, poll with a timeout (to see a stop), decode records.
    /// A reader unplugged (ENODEV) or a FIFO whose writer closed (end of file) is opened again.
    func readBlocking(stopped: StopFlag, _ token: (String) -> Void) {
        var decoder = KeyboardWedgeDecoder(digits: configuration.digits)
        var buffer = [UInt8](repeating: 0, count: Self.eventSize * 64)
        var pending: [UInt8] = []
        var missing = false
        while !stopped.isSet() {
            let fd = open(configuration.device, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            if fd < 0 {
                // Said once per absence (a reader unplugged, a wrong path), not every retry.
                if !missing { logger.warning("RFID reader \(configuration.device): cannot open: \(POSIXFiles.errnoMessage()); retrying") }
                missing = true
                usleep(200_000)
                continue
            }
            if missing { logger.notice("RFID reader \(configuration.device) is back") }
            missing = false
            _ = ioctl(fd, Self.grab, 1)  // fails harmlessly on a FIFO
            reading: while !stopped.isSet() {
                var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&descriptor, 1, 100)
                if ready < 0 && errno != EINTR { break }
                if ready <= 0 { continue }
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    break reading  // ENODEV: unplugged
                }
                if n == 0 { break reading }  // a FIFO's writer closed
                pending += buffer[0..<n]
                var offset = 0
                while pending.count - offset >= Self.eventSize {
                    let record = pending[offset..<offset + Self.eventSize]
                    offset += Self.eventSize
                    let base = record.startIndex
                    let type = UInt16(record[base + 16]) | UInt16(record[base + 17]) << 8
                    let code = UInt16(record[base + 18]) | UInt16(record[base + 19]) << 8
                    let value = Int32(bitPattern: UInt32(record[base + 20]) | UInt32(record[base + 21]) << 8
                        | UInt32(record[base + 22]) << 16 | UInt32(record[base + 23]) << 24)
                    if let read = decoder.feed(type: type, code: code, value: value) { token(read) }
                }
                pending.removeFirst(offset)
            }
            close(fd)
            usleep(50_000)
        }
    }
}

// RFC 3339 date-times for OCPP `format: date-time` fields, without Foundation formatters (pure arithmetic).

/// An RFC 3339 date-time as carried in OCPP messages.
///
/// Keeps the exact text it was parsed from (so re-encoding a message reproduces it) together with the
/// instant it denotes. Equality compares both; compare `secondsSince1970` to compare instants.
public struct OCPPDateTime: Sendable, Hashable, CustomStringConvertible {
    /// The RFC 3339 text.
    public let rfc3339: String
    /// The instant, in seconds since 1970-01-01T00:00:00Z (leap seconds ignored, like POSIX time).
    public let secondsSince1970: Double

    public var description: String { rfc3339 }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)` (RFC 3339 §5.6; `t`/`z` accepted in lower case,
    /// second 60 accepted for leap seconds). Returns nil for anything else, including impossible dates
    /// such as 2023-02-29 or 24:00:00.
    public init?(rfc3339 text: String) {
        var text = text
        guard let seconds = text.withUTF8({ OCPPDateTime.seconds(rfc3339: $0) }) else { return nil }
        self.rfc3339 = text
        self.secondsSince1970 = seconds
    }

    /// The byte path's reading of a date-time string (the bytes between the quotes, no escapes); same rules.
    init?(rfc3339 bytes: UnsafeBufferPointer<UInt8>) {
        guard let seconds = OCPPDateTime.seconds(rfc3339: bytes) else { return nil }
        self.rfc3339 = String(decoding: bytes, as: UTF8.self)
        self.secondsSince1970 = seconds
    }

    /// The instant an RFC 3339 text denotes, or nil if it is not one.
    static func seconds(rfc3339 b: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard b.count - i >= n else { return nil }
            var v = 0
            for _ in 0..<n {
                let c = b[i]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
                i += 1
            }
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(0x2D), let month = digits(2), expect(0x2D), let day = digits(2) else { return nil }
        guard i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") else { return nil }
        i += 1
        guard let hour = digits(2), expect(0x3A), let minute = digits(2), expect(0x3A), let second = digits(2) else { return nil }
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offsetSeconds = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = digits(2), expect(0x3A), let om = digits(2), oh <= 23, om <= 59 else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        default:
            return nil
        }
        guard i == b.count else { return nil }
        guard (1...12).contains(month), day >= 1, day <= OCPPDateTime.daysInMonth(year: year, month: month),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        let days = OCPPDateTime.daysFromCivil(year: year, month: month, day: day)
        let whole = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Double(whole) + fraction
    }

    /// The instant rounded to milliseconds, printed as `YYYY-MM-DDTHH:MM:SS.sssZ`. Instants outside years
    /// 0001...9999 (and non-finite values) are clamped into that range.
    public init(secondsSince1970 seconds: Double) {
        let minMs = Double(OCPPDateTime.daysFromCivil(year: 1, month: 1, day: 1)) * 86_400_000
        let maxMs = Double(OCPPDateTime.daysFromCivil(year: 9999, month: 12, day: 31)) * 86_400_000 + 86_399_999
        var ms = seconds.isFinite ? (seconds * 1000).rounded() : 0
        ms = min(max(ms, minMs), maxMs)
        let totalMs = Int(ms)
        let (days, msOfDay) = OCPPDateTime.floorDivMod(totalMs, 86_400_000)
        let (y, m, d) = OCPPDateTime.civilFromDays(days)
        let hour = msOfDay / 3_600_000
        let minute = msOfDay / 60_000 % 60
        let second = msOfDay / 1000 % 60
        let milli = msOfDay % 1000
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        self.rfc3339 = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(milli, 3))Z"
        self.secondsSince1970 = Double(totalMs) / 1000
    }

    // MARK: - Calendar arithmetic (proleptic Gregorian; H. Hinnant's days_from_civil / civil_from_days)

    static func isLeapYear(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func floorDivMod(_ a: Int, _ b: Int) -> (Int, Int) {
        var q = a / b
        var r = a % b
        if r < 0 { q -= 1; r += b }
        return (q, r)
    }

    /// Days since 1970-01-01 of a civil date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

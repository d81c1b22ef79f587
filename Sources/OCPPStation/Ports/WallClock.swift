// Wall-clock time. Sleeps and timeouts use a `Clock<Duration>`; timestamps on the wire use this.
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif
internal import OCPPMessages

/// The station's idea of "now" for timestamps. The CSMS sets it through BootNotification and Heartbeat (B01.FR.06).
public protocol WallClock: Sendable {
    /// Seconds since 1970-01-01T00:00:00Z by the local system clock.
    func systemSecondsSince1970() -> Double
}

/// The operating system's real-time clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func systemSecondsSince1970() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1_000_000_000
    }
}

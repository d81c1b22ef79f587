// The GPIO backend part by part (Ports/HALParts.swift): a manufacturer who has its own drivers for some parts takes
// these for the others. Each part requests its own lines; inputs are watched on a thread of their own, debounced.
import NIOPosix
public import OCPPStation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One requested output line.
public final class GPIOOutputLine: Sendable {
    public let configuration: GPIOOutputConfiguration
    let driver: any GPIODriver
    let handle: GPIOLineHandle

    /// Requests the line, inactive.
    public init(_ configuration: GPIOOutputConfiguration, driver: any GPIODriver, consumer: String = "ocpp-station") throws(GPIOError) {
        self.configuration = configuration
        self.driver = driver
        self.handle = try driver.requestOutput(configuration.address, consumer: consumer, activeLow: configuration.activeLow, initial: false)
    }

    deinit { driver.release(handle) }

    public func set(_ active: Bool) throws(GPIOError) {
        try driver.setValue(handle, active)
    }
}

/// One requested input line: a residual current monitor's trip output, an emergency stop, a mirror contact, a lock's
/// feedback. Active = tripped, pressed, closed, locked.
public final class GPIOInputLine: ResidualCurrentMonitor, EmergencyStop, Sendable {
    public let configuration: GPIOInputConfiguration
    let driver: any GPIODriver
    let handle: GPIOLineHandle

    public init(_ configuration: GPIOInputConfiguration, driver: any GPIODriver, consumer: String = "ocpp-station") throws(GPIOError) {
        self.configuration = configuration
        self.driver = driver
        self.handle = try driver.requestInput(configuration.address, consumer: consumer, activeLow: configuration.activeLow)
    }

    deinit { driver.release(handle) }

    public func value() throws(GPIOError) -> Bool {
        try driver.value(handle)
    }

    /// Reports the level at start, then every debounced change, until cancelled; on a thread of its own.
    public func watchLevel(_ level: @escaping @Sendable (Bool) -> Void) async throws {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        let stopped = StopFlag()
        let driver = driver
        let handle = handle
        let configuration = configuration
        await withTaskCancellationHandler {
            _ = try? await thread.runIfActive {
                var last: Bool?
                GPIOInputLine.watchBlocking(driver: driver, handle: handle, debounceMs: configuration.debounceMs, isStopped: stopped.isSet) { value in
                    if value != last { level(value) }
                    last = value
                }
            }
        } onCancel: {
            stopped.set()
        }
        try? await thread.shutdownGracefully()
    }

    public func watchTripped(_ tripped: @escaping @Sendable (Bool) -> Void) async throws {
        try await watchLevel(tripped)
    }

    public func watchPressed(_ pressed: @escaping @Sendable (Bool) -> Void) async throws {
        try await watchLevel(pressed)
    }

    /// One input's loop on its thread: the level at start, then for each edge the debounce time, after which the
    /// level decides.
    static func watchBlocking(
        driver: any GPIODriver, handle: GPIOLineHandle, debounceMs: Int, isStopped: () -> Bool,
        level: (Bool) -> Void
    ) {
        if let value = try? driver.value(handle) { level(value) }
        while !isStopped() {
            let edge: Bool?
            do {
                edge = try driver.waitForEdge(handle, timeoutMs: 100)
            } catch {
                usleep(100_000)
                continue
            }
            guard edge != nil else { continue }
            if debounceMs > 0 {
                usleep(UInt32(debounceMs) * 1000)
                // Edges during the debounce time are bounce: the level after it decides.
                while (try? driver.waitForEdge(handle, timeoutMs: 0)) ?? nil != nil {}
            }
            if let value = try? driver.value(handle) { level(value) }
        }
    }
}

/// A contactor on an output line, with its mirror contact on an input line where it has one.
public final class GPIOContactor: Contactor {
    public let output: GPIOOutputLine
    public let mirrorContact: GPIOInputLine?

    public init(output: GPIOOutputLine, mirrorContact: GPIOInputLine? = nil) {
        self.output = output
        self.mirrorContact = mirrorContact
    }

    public func setClosed(_ closed: Bool) async throws {
        try output.set(closed)
    }

    public func watchMirrorContact(_ closed: @escaping @Sendable (Bool) -> Void) async throws {
        guard let mirrorContact else { return try await Task.sleepUntilCancelled() }
        try await mirrorContact.watchLevel(closed)
    }
}

/// A plug retention lock on an output line, with its feedback on an input line where it has one.
public final class GPIOConnectorLock: ConnectorLock {
    public let connector: Int
    public let output: GPIOOutputLine
    public let feedback: GPIOInputLine?
    /// How long the feedback may take to follow a command.
    public let feedbackTimeout: Duration

    public init(connector: Int, output: GPIOOutputLine, feedback: GPIOInputLine? = nil, feedbackTimeout: Duration = .milliseconds(500)) {
        self.connector = connector
        self.output = output
        self.feedback = feedback
        self.feedbackTimeout = feedbackTimeout
    }

    public func setLocked(_ locked: Bool) async throws {
        try output.set(locked)
        guard let feedback else { return }
        let deadline = ContinuousClock.now + feedbackTimeout
        while try feedback.value() != locked {
            if ContinuousClock.now >= deadline {
                throw ConnectorLockFailure(
                    connector: connector,
                    reason: "\(feedback.configuration.address): the feedback did not become \(locked ? "locked" : "unlocked") within \(feedbackTimeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    public func watchFeedback(_ locked: @escaping @Sendable (Bool) -> Void) async throws {
        guard let feedback else { return try await Task.sleepUntilCancelled() }
        try await feedback.watchLevel(locked)
    }
}

/// Status LEDs on output lines: available, charging, fault; any may be absent.
public final class GPIOStatusLEDs: StatusIndicator {
    public let available: GPIOOutputLine?
    public let charging: GPIOOutputLine?
    public let fault: GPIOOutputLine?

    public init(available: GPIOOutputLine? = nil, charging: GPIOOutputLine? = nil, fault: GPIOOutputLine? = nil) {
        self.available = available
        self.charging = charging
        self.fault = fault
    }

    public func show(_ indication: StatusIndication) async throws {
        try available?.set(indication == .available)
        try charging?.set(indication == .charging)
        try fault?.set(indication == .faulted)
    }
}

/// A stop request a blocking loop on another thread looks at.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    func isSet() -> Bool { flag.load(ordering: .relaxed) }
}

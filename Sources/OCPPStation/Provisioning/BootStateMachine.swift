// Block B, B01-B03: the station's registration with the CSMS, as a pure state machine.
public import OCPPMessages

public struct BootStateMachine: Sendable, Hashable {
    public enum Registration: Sendable, Hashable {
        /// No BootNotificationResponse yet since this boot.
        case unregistered
        case pending
        case rejected
        case accepted
    }

    public enum Action: Sendable, Hashable {
        /// Registered: heartbeat at this interval (nil: keep the configured one, B01.FR.04 only applies when > 0).
        case registered(heartbeatInterval: Duration?)
        /// Send BootNotification again after this wait (B02.FR.04/07/08, B03.FR.02/05/06).
        case retry(after: Duration)
    }

    /// The wait the station chooses when the CSMS says interval 0 (B02.FR.07, B03.FR.05), or when the
    /// BootNotification got no usable answer.
    public static let defaultRetryInterval: Duration = .seconds(30)

    public private(set) var registration: Registration = .unregistered

    public init() {}

    public mutating func received(_ response: BootNotificationResponse) -> Action {
        let interval: Duration? = response.interval > 0 ? .seconds(response.interval) : nil
        switch response.status {
        case .accepted:
            registration = .accepted
            return .registered(heartbeatInterval: interval)
        case .pending:
            registration = .pending
            return .retry(after: interval ?? Self.defaultRetryInterval)
        case .rejected:
            registration = .rejected
            return .retry(after: interval ?? Self.defaultRetryInterval)
        }
    }

    /// The registration must be made again without a reboot (errata B10.FR.10: another network connection profile).
    public mutating func registerAgain() {
        registration = .unregistered
    }

    /// The BootNotification failed (timeout, CALLERROR, invalid answer, connection lost).
    public func failed() -> Action {
        .retry(after: Self.defaultRetryInterval)
    }

    /// Whether a CALL from the CSMS may be processed now; the CALLERROR to answer with when not.
    public func refusal(for action: OCPPAction) -> OCPPCallError? {
        switch registration {
        case .rejected:
            // B03.FR.08: while Rejected, any CALL from the CSMS gets CALLERROR SecurityError.
            return OCPPCallError(.securityError, "\(action.rawValue) refused: the CSMS rejected this station's BootNotification")
        case .unregistered, .pending, .accepted:
            // B02.FR.01: while Pending the CSMS may read and configure the station.
            return nil
        }
    }

    /// The refusal for a CALL whose action is not an OCPP 2.0.1 action: while Rejected that is SecurityError too
    /// (B03.FR.08 says any CALL), otherwise nil (the RPC layer answers NotImplemented).
    public func refusal(forActionNamed name: String) -> OCPPCallError? {
        guard registration == .rejected else { return nil }
        return OCPPCallError(.securityError, "\(name) refused: the CSMS rejected this station's BootNotification")
    }

    /// Whether the station may send a CALL on its own initiative (B01.FR.08, B02.FR.02, B03.FR.02).
    public var maySendUnprompted: Bool { registration == .accepted }

    /// Whether a TriggerMessage may make the station send (B02.FR.02 allows it while Pending).
    public var maySendTriggered: Bool { registration == .accepted || registration == .pending }
}

/// Reconnection back-off (Part 4 §5.3 with errata 2025-04): the first attempt after RetryBackOffWaitMinimum plus a
/// random part up to RetryBackOffRandomRange; double after every failed attempt, at most RetryBackOffRepeatTimes
/// times; back to the minimum after a successful connection.
public struct ReconnectBackoff: Sendable, Hashable {
    public var waitMinimum: Duration
    public var randomRange: Duration
    public var repeatTimes: Int
    private var doublings = 0
    private var current: Duration?

    public init(waitMinimum: Duration, randomRange: Duration, repeatTimes: Int) {
        self.waitMinimum = waitMinimum
        self.randomRange = randomRange
        self.repeatTimes = max(0, repeatTimes)
    }

    /// The wait before the next attempt. `random` is in 0...1 (injected so tests are deterministic).
    public mutating func nextDelay(random: Double) -> Duration {
        let base: Duration
        if let current {
            if doublings < repeatTimes {
                doublings += 1
                base = current * 2
            } else {
                base = current
            }
        } else {
            base = waitMinimum
        }
        current = base
        let jitterMilliseconds = Int64((Double(randomRange.components.seconds) * 1000 * min(max(random, 0), 1)).rounded())
        return base + .milliseconds(jitterMilliseconds)
    }

    /// A connection succeeded: start again from the minimum.
    public mutating func reset() {
        doublings = 0
        current = nil
    }
}

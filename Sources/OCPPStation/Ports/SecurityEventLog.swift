// The security log port (Part 2 appendix, security events: "Security events that are implemented SHALL be stored at
// the security log"). The Kit keeps it as a file in the data directory.

public protocol SecurityEventLog: Sendable {
    /// Appends one event: its type (SecurityEventEnum), when it happened (RFC 3339) and what else is known.
    /// Never given a secret.
    func record(type: String, timestamp: String, techInfo: String?) async
}

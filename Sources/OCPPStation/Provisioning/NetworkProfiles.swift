// B09, B10 and A05: the network connection profiles in their slots, the order to try them in
// (NetworkConfigurationPriority), falling back after NetworkProfileConnectionAttempts failures, and the security
// profile in use, which the CSMS can raise but never lower. A value type: every rule is unit-tested without I/O.
public import OCPPMessages

/// What the flags say about the station's first connection (slot 1 on first start; afterwards what is stored wins).
public struct ConnectionProvisioning: Sendable, Hashable {
    public var stationId: String
    public var csmsURL: String
    public var securityProfile: Int
    public var basicAuthPassword: String?
    /// Whether CSMS root certificates are installed (security profiles 2 and 3 need them, A05.FR.03).
    public var hasCSMSRootCertificate: Bool
    /// Whether the station has a certificate and key of its own (profile 3 needs them, A05.FR.02).
    public var hasStationCertificate: Bool

    public init(
        stationId: String, csmsURL: String, securityProfile: Int, basicAuthPassword: String? = nil,
        hasCSMSRootCertificate: Bool = false, hasStationCertificate: Bool = false
    ) {
        self.stationId = stationId
        self.csmsURL = csmsURL
        self.securityProfile = securityProfile
        self.basicAuthPassword = basicAuthPassword
        self.hasCSMSRootCertificate = hasCSMSRootCertificate
        self.hasStationCertificate = hasStationCertificate
    }

    /// Slot 1 as the flags describe it.
    public func profile(messageTimeout: Int) -> NetworkConnectionProfileType {
        NetworkConnectionProfileType(
            ocppVersion: .ocpp20, ocppTransport: .json, ocppCsmsUrl: csmsURL, messageTimeout: messageTimeout,
            securityProfile: securityProfile, ocppInterface: .wired0)
    }
}

public struct NetworkProfiles: Sendable, Hashable {
    public private(set) var slots: [Int: NetworkConnectionProfileType] = [:]
    /// NetworkConfigurationPriority: the slots to try, in order.
    public private(set) var priority: [Int] = []
    /// NetworkProfileConnectionAttempts: failed attempts per profile before moving to the next (B10.FR.03).
    public var attemptsPerProfile = 3
    private var position = 0
    private var failures = 0
    /// The slot the current or last connection attempt used.
    public private(set) var attemptedSlot: Int?
    /// The security profile of the connection in use; never lowered by the CSMS (B09.FR.04, A05.FR.10).
    public private(set) var activeSecurityProfile: Int
    /// The slot through which the CSMS last accepted the station (B10.FR.10: another one means a new BootNotification).
    public var registeredSlot: Int?
    /// The connection failure already raised as a security event (raised once per run of failures, A00.FR.316).
    public var reportedFailure: String?

    public init(activeSecurityProfile: Int = 0) {
        self.activeSecurityProfile = activeSecurityProfile
    }

    /// "1,2" -> [1, 2]; nil when it is not a list of slot numbers.
    public static func parsePriority(_ text: String) -> [Int]? {
        var list: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let slot = Int(item.filter { $0 != " " }), slot >= 0, !list.contains(slot) else { return nil }
            list.append(slot)
        }
        return list
    }

    public mutating func setPriority(_ list: [Int]) {
        guard list != priority else { return }
        priority = list
        // B10.FR.04: a new order starts from its first entry.
        position = 0
        failures = 0
    }

    public mutating func store(_ profile: NetworkConnectionProfileType, slot: Int) {
        slots[slot] = profile
    }

    public mutating func remove(slot: Int) {
        slots[slot] = nil
    }

    public mutating func restoreActiveSecurityProfile(_ profile: Int) {
        activeSecurityProfile = profile
    }

    /// The profile to connect with now: the current entry of the priority list that has a profile (B10.FR.03/04).
    public mutating func current() -> (slot: Int, profile: NetworkConnectionProfileType)? {
        let order = priority.filter { slots[$0] != nil }
        let candidates = order.isEmpty ? slots.keys.sorted() : order
        guard !candidates.isEmpty else { return nil }
        let slot = candidates[position % candidates.count]
        attemptedSlot = slot
        return (slot, slots[slot]!)
    }

    /// A connection attempt failed: after NetworkProfileConnectionAttempts of them, the next profile (B10.FR.03).
    public mutating func attemptFailed() {
        failures += 1
        if failures >= max(1, attemptsPerProfile) {
            failures = 0
            position += 1
        }
    }

    /// Connected through `attemptedSlot`. Returns the slots to delete because the security profile went up
    /// (A05.FR.06: after an upgrade the lower-profile slots are removed).
    public mutating func connected() -> [Int] {
        failures = 0
        guard let slot = attemptedSlot, let profile = slots[slot] else { return [] }
        guard profile.securityProfile > activeSecurityProfile else { return [] }
        let upgradedFrom = activeSecurityProfile
        activeSecurityProfile = profile.securityProfile
        // Profile 0 is the development mode the flags may choose; it never counts as a profile to keep.
        guard upgradedFrom > 0 || profile.securityProfile > 0 else { return [] }
        let lower = slots.filter { $0.value.securityProfile < profile.securityProfile }.map(\.key).sorted()
        for removed in lower { slots[removed] = nil }
        priority.removeAll { lower.contains($0) }
        position = priority.firstIndex(of: slot) ?? 0
        return lower
    }

    /// Whether the last connection went through another profile than the one the CSMS accepted (B10.FR.10).
    public var switchedSinceRegistration: Bool {
        registeredSlot != nil && attemptedSlot != registeredSlot
    }

    /// B09: why a SetNetworkProfileRequest is Rejected, as a reasonCode and text; nil to accept it.
    /// `allowedSlots` is NetworkConfigurationPriority's valuesList.
    public func refusal(
        of profile: NetworkConnectionProfileType, slot: Int, allowedSlots: [Int]?,
        urlProblem: (String, Int) -> String?
    ) -> (reasonCode: String, text: String)? {
        // B09.FR.05: a slot NetworkConfigurationPriority cannot name.
        if let allowedSlots, !allowedSlots.contains(slot) {
            return ("InvalidConfSlot", "slot \(slot) is not one of \(allowedSlots.map(String.init).joined(separator: ","))")
        }
        // B09.FR.02: invalid content. Profile 0 (no authentication) is a development mode no message selects.
        if !(1...3).contains(profile.securityProfile) {
            return ("InvalidNetworkConf", "securityProfile \(profile.securityProfile) is not 1, 2 or 3")
        }
        if profile.ocppVersion != .ocpp20 || profile.ocppTransport != .json {
            return ("InvalidNetworkConf", "only OCPP20 over JSON")
        }
        if profile.messageTimeout <= 0 {
            return ("InvalidNetworkConf", "messageTimeout must be positive")
        }
        if let problem = urlProblem(profile.ocppCsmsUrl, profile.securityProfile) {
            return ("InvalidNetworkConf", problem)
        }
        // B09.FR.04 (errata 2025-09): never below the security profile in use.
        if profile.securityProfile < activeSecurityProfile {
            return ("NoSecurityDowngrade", "securityProfile \(profile.securityProfile) is below the active \(activeSecurityProfile)")
        }
        return nil
    }

    /// A05.FR.02/03 and errata A05.FR.10: why a new NetworkConfigurationPriority is Rejected; nil to accept it.
    public func refusal(ofPriority list: [Int], hasCSMSRoot: Bool, hasStationCertificate: Bool) -> String? {
        if list.isEmpty { return "no slot" }
        for slot in list {
            guard let profile = slots[slot] else { return "slot \(slot) holds no network connection profile" }
            if profile.securityProfile < activeSecurityProfile {
                return "slot \(slot) has security profile \(profile.securityProfile), below the active \(activeSecurityProfile)"
            }
            if profile.securityProfile >= 2 && !hasCSMSRoot {
                return "slot \(slot) needs a CSMS root certificate, and none is installed"
            }
            if profile.securityProfile == 3 && !hasStationCertificate {
                return "slot \(slot) needs a valid Charging Station certificate, and there is none"
            }
        }
        return nil
    }
}

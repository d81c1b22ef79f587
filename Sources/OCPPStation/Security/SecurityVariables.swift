// A01, A05: the rules SetVariables follows for the security-relevant variables, on top of the device model's own
// checks, and what a change does: a new BasicAuthPassword is used by reconnecting (A01.FR.11, logged in the security
// log), a new WebSocketPingInterval applies to the open connection at once.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    /// Whether the attribute may be written but never read (BasicAuthPassword): its value is never logged.
    func attributeIsWriteOnly(_ key: VariableAttributeKey) -> Bool {
        if case .found(let attribute, _) = deviceModel.lookup(key) { return attribute.mutability == .writeOnly }
        return false
    }

    /// Why a SetVariables value for a security-relevant variable is Rejected; nil when the generic checks decide.
    func securityProblem(with value: String, for key: VariableAttributeKey) -> String? {
        switch (key.component, key.variable, key.attributeType) {
        case ("SecurityCtrlr", "BasicAuthPassword", "Actual"):
            // A00.FR.205/304 (errata 2025-09): at least 16 characters, at most the variable's maxLimit (40 to 64).
            var maxLength = 40
            if case .found(_, let characteristics) = deviceModel.lookup(key), let limit = characteristics.maxLimit {
                maxLength = Int(limit)
            }
            if value.count < 16 || value.count > maxLength { return "must be 16 to \(maxLength) characters" }
            // passwordString: printable ASCII without spaces.
            if !value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) {
                return "only printable ASCII characters without spaces"
            }
            return nil
        case ("OCPPCommCtrlr", "NetworkConfigurationPriority", "Actual"):
            guard let list = NetworkProfiles.parsePriority(value) else { return "not a list of slot numbers" }
            if let allowed = allowedSlots, let outside = list.first(where: { !allowed.contains($0) }) {
                return "slot \(outside) is not one of \(allowed.map(String.init).joined(separator: ","))"
            }
            return networkProfiles.refusal(
                ofPriority: list, hasCSMSRoot: hasCSMSRootCertificate,
                hasStationCertificate: hasStationCertificate)
        default:
            return nil
        }
    }

    /// What a set of these variables does (the device model's variable registry).
    static let securityVariables: [VariableBinding] = [
        .onSet("SecurityCtrlr", "BasicAuthPassword") { station, _, _ in
            // A01.FR.11: the change goes to the security log (never the password); the station reconnects with it
            // once the SetVariablesResponse is sent.
            station.reconnectRequested = true
            Task { await station.securityEvent("ReconfigurationOfSecurityParameters", techInfo: "BasicAuthPassword changed") }
            return .applied
        },
        .onSet("OCPPCommCtrlr", "WebSocketPingInterval") { station, _, _ in
            // Applies to the open connection at once.
            station.transport.setPingInterval(station.pingInterval)
            return .applied
        },
    ]

    /// The follow-up of a CALL whose answer asks for a reconnect: close the connection once the answer is sent.
    func reconnectIfRequested() -> (@Sendable () async -> Void)? {
        guard reconnectRequested else { return nil }
        let sink = signalSink
        return { sink.yield(.reconnect) }
    }
}

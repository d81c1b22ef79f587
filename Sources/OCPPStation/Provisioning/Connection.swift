// The connection loop (Part 4 §5.3, B10): connect with the profile NetworkConfigurationPriority names, run a
// session, and on failure or loss reconnect after the RetryBackOff* wait, falling back to the next profile after
// NetworkProfileConnectionAttempts failures. Connection failures the security block cares about become security
// events (A00.FR.310/316).
internal import OCPPMessages
internal import Logging
internal import ServiceLifecycle

extension ChargingStation {
    enum ConnectionKeys {
        /// The stored NetworkConnectionProfile of a slot, as its JSON.
        static func slot(_ number: Int) -> String { "networkProfile.\(number)" }
        /// The security profile of the last connection (A05: what the CSMS may not lower).
        static let securityProfile = "securityProfile"
        static let priority = VariableAttributeKey(component: "OCPPCommCtrlr", variable: "NetworkConfigurationPriority")
        static let password = VariableAttributeKey(component: "SecurityCtrlr", variable: "BasicAuthPassword")
        static let securityProfileVariable = VariableAttributeKey(component: "SecurityCtrlr", variable: "SecurityProfile")
        static let identity = VariableAttributeKey(component: "SecurityCtrlr", variable: "Identity")
        static let activeProfile = VariableAttributeKey(component: "OCPPCommCtrlr", variable: "ActiveNetworkProfile")
        static let pingInterval = VariableAttributeKey(component: "OCPPCommCtrlr", variable: "WebSocketPingInterval")
    }

    /// The slots NetworkConfigurationPriority may name (its valuesList; B09.FR.05/06).
    var allowedSlots: [Int]? {
        guard case .found(_, let characteristics) = deviceModel.lookup(ConnectionKeys.priority),
            let list = characteristics.valuesList
        else { return nil }
        return NetworkProfiles.parsePriority(list)
    }

    var transportURLProblem: (String, Int) -> String? {
        { [transport] url, profile in transport.urlProblem(url, securityProfile: profile) }
    }

    /// Loads the stored profiles; on first start seeds slot 1 and the password from the flags. Afterwards what is
    /// stored wins (the CSMS may have changed it), and a flag that differs is only a warning.
    func loadNetworkProfiles() async {
        let timeout = deviceModel.integer("OCPPCommCtrlr", "MessageTimeout", instance: "Default") ?? 30
        let provisioned = provisioning.profile(messageTimeout: timeout)
        do {
            for slot in allowedSlots ?? [1] {
                guard let text = try await store.value(forKey: ConnectionKeys.slot(slot)) else { continue }
                do {
                    networkProfiles.store(try NetworkConnectionProfileType(json: try JSONParser.parse(text)), slot: slot)
                } catch {
                    logger.warning("stored network connection profile \(slot) is unreadable: \(error)")
                }
            }
            if networkProfiles.slots.isEmpty {
                try await store.setValue(provisioned.toJSON().serialized(), forKey: ConnectionKeys.slot(1))
                networkProfiles.store(provisioned, slot: 1)
                if let password = provisioning.basicAuthPassword {
                    try await store.setVariableValue(password, for: ConnectionKeys.password)
                    setStationValue(password, for: ConnectionKeys.password)
                }
                try await store.setValue(String(provisioning.securityProfile), forKey: ConnectionKeys.securityProfile)
                logger.info("provisioned network connection profile 1: \(provisioned.ocppCsmsUrl), security profile \(provisioned.securityProfile)")
            } else {
                if let stored = networkProfiles.slots[1],
                    stored.ocppCsmsUrl != provisioned.ocppCsmsUrl || stored.securityProfile != provisioned.securityProfile
                {
                    logger.warning(
                        "the flags describe \(provisioned.ocppCsmsUrl) with security profile \(provisioned.securityProfile), but the stored network connection profile 1 (\(stored.ocppCsmsUrl), security profile \(stored.securityProfile)) wins")
                }
                if let password = provisioning.basicAuthPassword,
                    password != deviceModel.string("SecurityCtrlr", "BasicAuthPassword")
                {
                    logger.warning("--basic-auth-password differs from the stored BasicAuthPassword, which wins")
                }
            }
            let active = try await store.value(forKey: ConnectionKeys.securityProfile).flatMap { Int($0) }
            networkProfiles.restoreActiveSecurityProfile(active ?? provisioning.securityProfile)
        } catch {
            logger.error("cannot read or store the network connection profiles: \(error); using the flags")
            if networkProfiles.slots.isEmpty { networkProfiles.store(provisioned, slot: 1) }
            networkProfiles.restoreActiveSecurityProfile(provisioning.securityProfile)
        }
        setStationValue(provisioning.stationId, for: ConnectionKeys.identity)
        setStationValue(String(networkProfiles.activeSecurityProfile), for: ConnectionKeys.securityProfileVariable)
        transport.setPingInterval(pingInterval)
    }

    var pingInterval: Duration? {
        deviceModel.integer("OCPPCommCtrlr", "WebSocketPingInterval").map { .seconds($0) }
    }

    /// The profile for the next attempt, with the priority and the attempt count as they are now.
    func nextConnectionProfile() -> ConnectionProfile? {
        if let text = deviceModel.string("OCPPCommCtrlr", "NetworkConfigurationPriority"),
            let list = NetworkProfiles.parsePriority(text)
        {
            networkProfiles.setPriority(list)
        }
        networkProfiles.attemptsPerProfile = deviceModel.integer("OCPPCommCtrlr", "NetworkProfileConnectionAttempts") ?? 3
        guard let (slot, profile) = networkProfiles.current() else { return nil }
        let password = deviceModel.string("SecurityCtrlr", "BasicAuthPassword").flatMap { $0.isEmpty ? nil : $0 }
        return ConnectionProfile(
            slot: slot, csmsURL: profile.ocppCsmsUrl, stationId: provisioning.stationId,
            securityProfile: profile.securityProfile, basicAuthPassword: profile.securityProfile <= 2 ? password : nil,
            timeout: .seconds(max(1, profile.messageTimeout)))
    }

    func connectionLoop() async -> Outcome {
        var backoff = ReconnectBackoff(waitMinimum: .zero, randomRange: .zero, repeatTimes: 0)
        while true {
            if resetRequested { return .reset }
            if Task.isShuttingDownGracefully || Task.isCancelled { return .stopped }
            await waitUntilPrepared()  // the stored profiles and variables decide where to connect
            reconnectRequested = false
            if let profile = nextConnectionProfile() {
                do {
                    sessionOpened = false
                    try await transport.withConnection(profile) { [self] connection in
                        try await self.runSession(connection)
                    }
                } catch let failure as CSMSConnectionFailure {
                    logger.warning("cannot connect with network connection profile \(profile.slot): \(failure)")
                    await connectionFailed(failure)
                } catch {
                    logger.info("connection to CSMS ended: \(error)")
                }
            } else {
                logger.error("no network connection profile to connect with")
            }
            if sessionOpened {
                backoff.reset()
            } else {
                networkProfiles.attemptFailed()
                await renewedCertificateFailed()
            }
            if offlineSince == nil { offlineSince = ContinuousClock.now }
            if resetRequested { return .reset }
            if Task.isShuttingDownGracefully || Task.isCancelled { return .stopped }
            // A new password or certificate: reconnect at once (A01, A02.FR.08).
            if reconnectRequested { continue }
            // The RetryBackOff* variables as they are now (the CSMS may have changed them meanwhile).
            backoff.waitMinimum = .seconds(deviceModel.integer("OCPPCommCtrlr", "RetryBackOffWaitMinimum") ?? 5)
            backoff.randomRange = .seconds(deviceModel.integer("OCPPCommCtrlr", "RetryBackOffRandomRange") ?? 10)
            backoff.repeatTimes = max(0, deviceModel.integer("OCPPCommCtrlr", "RetryBackOffRepeatTimes") ?? 5)
            let delay = backoff.nextDelay(random: Double.random(in: 0...1))
            logger.info("reconnecting in \(delay)")
            do {
                // A reset that becomes due while offline (OnIdle, the last transaction ended) ends the wait early.
                let wakeup = resetWakeup
                try await cancelWhenGracefulShutdown {
                    await wakeup.wait(until: ContinuousClock.now + delay)
                    try Task.checkCancellation()
                }
            } catch {
                return resetRequested ? .reset : .stopped
            }
        }
    }

    /// The WebSocket is open: the profile counts as working, the security profile may have gone up.
    func connectionOpened() async {
        networkProfiles.reportedFailure = nil
        await renewedCertificateConnected()
        let previous = networkProfiles.activeSecurityProfile
        let removed = networkProfiles.connected()
        if let slot = networkProfiles.attemptedSlot {
            setStationValue(String(slot), for: ConnectionKeys.activeProfile)
        }
        guard networkProfiles.activeSecurityProfile != previous else { return }
        // A05.FR.06: the new security profile is kept, and the slots below it are gone.
        let active = networkProfiles.activeSecurityProfile
        setStationValue(String(active), for: ConnectionKeys.securityProfileVariable)
        do {
            try await store.setValue(String(active), forKey: ConnectionKeys.securityProfile)
            for slot in removed { try await store.setValue(nil, forKey: ConnectionKeys.slot(slot)) }
            if !removed.isEmpty {
                let priority = networkProfiles.priority.map(String.init).joined(separator: ",")
                setStationValue(priority, for: ConnectionKeys.priority)
                try await store.setVariableValue(priority, for: ConnectionKeys.priority)
            }
        } catch {
            logger.error("cannot store the new security profile \(active): \(error)")
        }
        logger.notice("security profile raised from \(previous) to \(active); removed network connection profiles \(removed)")
        await securityEvent("ReconfigurationOfSecurityParameters", techInfo: "security profile \(previous) -> \(active)")
    }

    /// A00.FR.310/316 and FailedToAuthenticationAtCsms: a security event, once for a run of the same failure
    /// ("only needs to be sent once for repeated failed connection attempts").
    func connectionFailed(_ failure: CSMSConnectionFailure) async {
        let type: String
        switch failure {
        case .invalidCsmsCertificate: type = "InvalidCsmsCertificate"
        case .invalidTLSVersion: type = "InvalidTLSVersion"
        case .authenticationRefused: type = "FailedToAuthenticationAtCsms"
        case .timeout, .failed: return
        }
        guard networkProfiles.reportedFailure != type else { return }
        networkProfiles.reportedFailure = type
        await securityEvent(type, techInfo: String(failure.description.prefix(255)))
    }
}

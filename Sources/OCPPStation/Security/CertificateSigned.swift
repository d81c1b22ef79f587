// A02/A03: the CSMS returns the signed certificate. Checked (errata A02.FR.06); invalid: Rejected, discarded, and
// an InvalidChargingStationCertificate security event (A02.FR.07); valid: Accepted and the station reconnects with it
// (errata A02.FR.08). The certificate it replaces is kept until one of the two connected: the new one connecting
// discards the old (errata A02.FR.10); the new one failing a whole round of connection attempts is discarded and the
// old one used again (errata A02.FR.28), with a DiscardedRenewedClientCertificate security event (errata A02.FR.29).
internal import OCPPMessages
internal import Logging
internal import X509

extension ChargingStation {
    func certificateSigned(_ request: CertificateSignedRequest) async -> (CertificateSignedResponse, (@Sendable () async -> Void)?) {
        if request.certificateType == .v2GCertificate {
            // No ISO 15118 stack: a V2G certificate has no use here.
            return (CertificateSignedResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "UnsupportedCertType")), nil)
        }
        if let limit = deviceModel.integer("SecurityCtrlr", "MaxCertificateChainSize"), request.certificateChain.utf8.count > limit {
            // A02.FR.16
            return await rejectSignedCertificate(CertificateProblem("ChainTooLarge", "the chain has \(request.certificateChain.utf8.count) bytes, MaxCertificateChainSize is \(limit)"))
        }
        guard let key = await certificates.read(.pendingKey) else {
            return await rejectSignedCertificate(CertificateProblem("NoCSR", "no CSR is waiting for a certificate"))
        }
        let roots: [Certificate]
        if let text = await certificates.read(.csmsRootCertificates), let parsed = try? X509Material.certificates(pem: text) {
            roots = parsed
        } else {
            roots = []
        }
        let chain: [Certificate]
        do throws(CertificateProblem) {
            chain = try await X509Material.checkSignedChain(
                request.certificateChain, keyPEM: key, stationId: provisioning.stationId, roots: roots, now: now().date)
        } catch {
            // A02.FR.07: the key of the CSR is discarded with it; A02.FR.20: no back-off until triggered again.
            certificateSigning.stop()
            try? await certificates.write(.pendingKey, nil)
            return await rejectSignedCertificate(error)
        }
        certificateSigning.stop()
        do {
            // The one in use becomes the fallback, the new one the one in use; the transport reads them at the next
            // connection.
            if let current = await certificates.read(.stationCertificate), let currentKey = await certificates.read(.stationKey) {
                try await certificates.write(.previousCertificate, current)
                try await certificates.write(.previousKey, currentKey)
            }
            try await certificates.write(.stationCertificate, X509Material.pem(chain))
            try await certificates.write(.stationKey, key)
            try await certificates.write(.pendingKey, nil)
        } catch {
            logger.error("cannot store the signed certificate: \(error)")
            return (CertificateSignedResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "StorageFailed")), nil)
        }
        hasStationCertificate = true
        certificateSigning.failuresWithRenewed = 0
        logger.notice("new station certificate installed (serial \(X509Material.serialHex(chain[0].serialNumber)), valid until \(chain[0].notValidAfter)); reconnecting with it")
        await securityEvent("ReconfigurationOfSecurityParameters", techInfo: "new ChargingStationCertificate installed")
        // Errata A02.FR.08: switch by reconnecting, once the response is sent.
        reconnectRequested = true
        return (CertificateSignedResponse(status: .accepted), reconnectIfRequested())
    }

    func rejectSignedCertificate(_ problem: CertificateProblem) async -> (CertificateSignedResponse, (@Sendable () async -> Void)?) {
        logger.warning("CertificateSigned Rejected: \(problem)")
        await securityEvent("InvalidChargingStationCertificate", techInfo: String(problem.description.prefix(255)))
        return (
            CertificateSignedResponse(
                status: .rejected,
                statusInfo: StatusInfoType(reasonCode: problem.reasonCode, additionalInfo: String(problem.description.prefix(512)))),
            nil
        )
    }

    /// A connection opened: if it used a renewed certificate, the old one is no longer needed (errata A02.FR.10).
    func renewedCertificateConnected() async {
        guard await certificates.read(.previousCertificate) != nil else { return }
        do {
            try await certificates.write(.previousCertificate, nil)
            try await certificates.write(.previousKey, nil)
            logger.notice("the renewed station certificate connected: the previous one is discarded")
        } catch {
            logger.error("cannot discard the previous station certificate: \(error)")
        }
        certificateSigning.failuresWithRenewed = 0
    }

    /// A connection attempt failed: after a whole round of NetworkConfigurationPriority with a renewed certificate,
    /// go back to the previous one and discard the new (errata A02.FR.28/29).
    func renewedCertificateFailed() async {
        guard networkProfiles.activeSecurityProfile == 3, await certificates.read(.previousCertificate) != nil else { return }
        certificateSigning.failuresWithRenewed += 1
        let round = max(1, networkProfiles.priority.count) * max(1, networkProfiles.attemptsPerProfile)
        guard certificateSigning.failuresWithRenewed >= round,
            let previous = await certificates.read(.previousCertificate), let previousKey = await certificates.read(.previousKey)
        else { return }
        do {
            try await certificates.write(.stationCertificate, previous)
            try await certificates.write(.stationKey, previousKey)
            try await certificates.write(.previousCertificate, nil)
            try await certificates.write(.previousKey, nil)
        } catch {
            logger.error("cannot go back to the previous station certificate: \(error)")
            return
        }
        certificateSigning.failuresWithRenewed = 0
        logger.warning("no connection with the renewed station certificate in \(round) attempts: back to the previous one")
        await securityEvent("DiscardedRenewedClientCertificate", techInfo: "no connection with it in \(round) attempts")
    }
}

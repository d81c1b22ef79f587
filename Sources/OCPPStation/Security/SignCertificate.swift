// A02 (by request of the CSMS: TriggerMessage SignChargingStationCertificate, F06) and A03 (the station's own
// certificate about to expire): a new key pair, a CSR for it in a SignCertificateRequest, and the CertSigning*
// back-off while no CertificateSigned comes (A02.FR.17-19). This station has no ISO 15118 stack: it asks for a
// ChargingStationCertificate only, never a V2GCertificate.
internal import OCPPMessages
internal import Logging

/// The renewal in progress: the CSR sent for the pending key and how often it was sent. Owned by the security block.
struct CertificateSigning: Sendable {
    /// The CSR of the pending key (A02.FR.17: re-sent unchanged on back-off).
    var csr: String?
    /// Re-sends done after the first request (A02.FR.18/19).
    var resends = 0
    /// Identifies the current renewal: a back-off timer of an earlier one does nothing.
    var generation = 0
    var retryTask: Task<Void, Never>?
    /// Connection attempts that failed since a renewed certificate was installed (errata A02.FR.28).
    var failuresWithRenewed = 0
    /// The last check of the station certificate's expiry (A03.FR.02), station clock seconds.
    var lastExpiryCheck: Double?

    mutating func start(csr: String) {
        retryTask?.cancel()
        retryTask = nil
        self.csr = csr
        resends = 0
        generation += 1
    }

    /// A02.FR.19/20: no more re-sends until the CSMS triggers again.
    mutating func stop() {
        retryTask?.cancel()
        retryTask = nil
        csr = nil
    }
}

extension ChargingStation {
    static let organizationNameKey = VariableAttributeKey(component: "SecurityCtrlr", variable: "OrganizationName")

    /// A02.FR.02/03, A03.FR.02/03: a new key pair (stored as the pending key, mode 0600, never sent), and its CSR
    /// in a SignCertificateRequest.
    func renewStationCertificate(_ rpc: RPCSession, reason: String) async {
        let organization = deviceModel.string("SecurityCtrlr", "OrganizationName") ?? ""
        let key = X509Material.newPrivateKeyPEM()
        let csr: String
        do {
            csr = try X509Material.signingRequest(keyPEM: key, commonName: provisioning.stationId, organizationName: organization)
            try await certificates.write(.pendingKey, key)
        } catch {
            logger.error("cannot start the certificate renewal: \(error)")
            return
        }
        logger.notice("certificate renewal (\(reason)): new key pair, CSR for CN=\(provisioning.stationId), O=\(organization)")
        certificateSigning.start(csr: csr)
        await sendSignCertificate(rpc)
    }

    /// Sends (or re-sends) the pending CSR; once the CSMS accepted it, waits for CertificateSigned with back-off.
    func sendSignCertificate(_ rpc: RPCSession) async {
        guard let csr = certificateSigning.csr else { return }
        do {
            let response = try await rpc.call(
                SignCertificateRequest(csr: csr, certificateType: .chargingStationCertificate), timeout: messageTimeout)
            guard response.status == .accepted else {
                // A02.FR.12: the CSMS cannot process it; the operator re-runs A02 with a new trigger.
                logger.warning("SignCertificateRequest Rejected\(response.statusInfo.map { ": \($0.reasonCode)" } ?? "")")
                certificateSigning.stop()
                return
            }
        } catch {
            logger.warning("SignCertificateRequest failed: \(error)")
        }
        scheduleSigningResend()
    }

    /// A02.FR.17/18: re-send after CertSigningWaitMinimum, doubling each time; A02.FR.19: after
    /// CertSigningRepeatTimes re-sends, stop until the CSMS triggers again.
    func scheduleSigningResend() {
        let repeatTimes = deviceModel.integer("SecurityCtrlr", "CertSigningRepeatTimes") ?? 3
        guard certificateSigning.resends < repeatTimes else {
            logger.warning("no CertificateSigned after \(certificateSigning.resends) re-sent CSRs: waiting for the CSMS to trigger again")
            certificateSigning.stop()
            return
        }
        let minimum = max(1, deviceModel.integer("SecurityCtrlr", "CertSigningWaitMinimum") ?? 60)
        let wait = Duration.seconds(minimum) * (1 << min(certificateSigning.resends, 20))
        let generation = certificateSigning.generation
        let sink = signalSink
        certificateSigning.retryTask?.cancel()
        certificateSigning.retryTask = Task {
            try? await Task.sleep(for: wait)
            if !Task.isCancelled { sink.yield(.certificateSigningDue(generation: generation)) }
        }
    }

    /// The back-off expired without a CertificateSigned: the same CSR again.
    func certificateSigningDue(generation: Int, _ rpc: RPCSession) async {
        guard generation == certificateSigning.generation, certificateSigning.csr != nil else { return }
        certificateSigning.resends += 1
        logger.info("no CertificateSigned yet: SignCertificateRequest again (\(certificateSigning.resends))")
        await sendSignCertificate(rpc)
    }
}

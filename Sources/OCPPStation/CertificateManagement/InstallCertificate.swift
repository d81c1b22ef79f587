// M05: InstallCertificate for CSMSRootCertificate and ManufacturerRootCertificate. An installed CSMS root is in the
// trust store of the next TLS connection. AdditionalRootCertificateCheck is not implemented (M05.FR.09-16 do not
// apply): several CSMS roots may be installed side by side.
internal import OCPPMessages
internal import Logging
internal import X509

extension ChargingStation {
    func installCertificate(_ request: InstallCertificateRequest) async -> InstallCertificateResponse {
        let item: CertificateItem
        switch request.certificateType {
        case .csmsRootCertificate: item = .csmsRootCertificates
        case .manufacturerRootCertificate: item = .manufacturerRootCertificates
        case .v2GRootCertificate, .moRootCertificate:
            // No ISO 15118 stack: nothing would use them.
            return InstallCertificateResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "UnsupportedCertType"))
        }
        let certificate: Certificate
        do throws(CertificateProblem) {
            let parsed = try X509Material.certificates(pem: request.certificate)
            guard parsed.count == 1 else {
                throw CertificateProblem("InvalidCertificate", "\(parsed.count) certificates where one belongs")
            }
            certificate = parsed[0]
            try X509Material.checkRootCertificate(certificate, now: now().date)
        } catch {
            // M05.FR.07
            logger.warning("InstallCertificate \(request.certificateType.rawValue) Rejected: \(error)")
            return InstallCertificateResponse(
                status: .rejected,
                statusInfo: StatusInfoType(reasonCode: error.reasonCode, additionalInfo: String(error.description.prefix(512))))
        }
        var list = await installedCertificates(item)
        // M05.FR.17: the same certificate again replaces it.
        let replaced = list.contains(certificate)
        list.removeAll { $0 == certificate }
        if !replaced, let limit = certificateEntriesLimit {
            var installed = 0
            for (_, store) in Self.trustStoreTypes { installed += await installedCertificates(store).count }
            if installed >= limit {
                // M05.FR.06
                return InstallCertificateResponse(
                    status: .rejected, statusInfo: StatusInfoType(reasonCode: "TooManyCertificates", additionalInfo: "maxLimit \(limit)"))
            }
        }
        list.append(certificate)
        do {
            try await storeTrustStore(item, list)
        } catch {
            // M05.FR.03
            logger.error("cannot store the \(request.certificateType.rawValue): \(error)")
            return InstallCertificateResponse(status: .failed)
        }
        logger.notice("installed \(request.certificateType.rawValue) \(certificate.subject)")
        await securityEvent("ReconfigurationOfSecurityParameters", techInfo: "\(request.certificateType.rawValue) installed")
        return InstallCertificateResponse(status: .accepted)
    }

    /// CertificateEntries' maxLimit: how many certificates the trust stores may hold (M05.FR.06).
    var certificateEntriesLimit: Int? {
        guard case .found(_, let characteristics) = deviceModel.lookup(Self.certificateEntriesKey),
            let limit = characteristics.maxLimit
        else { return nil }
        return Int(limit)
    }
}

// M04: DeleteCertificate. A root certificate named by its hash data is removed from its trust store. Failed for the
// station's own certificate (M04.FR.06) and for the last CSMS root certificate while a TLS security profile needs one
// (M04.FR.03: the station may refuse to delete the last of its type; without it the station could never connect
// again).
internal import OCPPMessages
internal import Logging
internal import X509

extension ChargingStation {
    func deleteCertificate(_ request: DeleteCertificateRequest) async -> DeleteCertificateResponse {
        let data = request.certificateHashData
        if let text = await certificates.read(.stationCertificate), let chain = try? X509Material.certificates(pem: text) {
            let roots = await installedCertificates(.csmsRootCertificates)
            let issuer = X509Material.issuer(of: chain[0], in: Array(chain.dropFirst()) + roots)
            if X509Material.matches(data, chain[0], issuer: issuer) {
                return DeleteCertificateResponse(
                    status: .failed, statusInfo: StatusInfoType(reasonCode: "StationCertificate", additionalInfo: "M04.FR.06: not deletable"))
            }
        }
        for (type, item) in Self.trustStoreTypes {
            var list = await installedCertificates(item)
            guard let index = list.firstIndex(where: { X509Material.matches(data, $0) }) else { continue }
            if type == .csmsRootCertificate && list.count == 1 && networkProfiles.activeSecurityProfile >= 2 {
                return DeleteCertificateResponse(
                    status: .failed,
                    statusInfo: StatusInfoType(
                        reasonCode: "LastCSMSRoot",
                        additionalInfo: "security profile \(networkProfiles.activeSecurityProfile) needs a CSMS root certificate"))
            }
            let removed = list.remove(at: index)
            do {
                try await storeTrustStore(item, list)
            } catch {
                logger.error("cannot delete the \(type.rawValue): \(error)")
                return DeleteCertificateResponse(status: .failed)
            }
            logger.notice("deleted \(type.rawValue) \(removed.subject)")
            await securityEvent("ReconfigurationOfSecurityParameters", techInfo: "\(type.rawValue) deleted")
            return DeleteCertificateResponse(status: .accepted)
        }
        return DeleteCertificateResponse(status: .notFound)
    }
}

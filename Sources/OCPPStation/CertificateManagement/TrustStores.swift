// The station's trust stores (block M): the CSMS root certificates, which the next TLS connection checks the
// CSMS's server certificate against (A00.FR.308), and the manufacturer root certificates. Each is one PEM item of
// the certificate storage; SecurityCtrlr.CertificateEntries counts what is installed.
internal import OCPPMessages
internal import Logging
internal import X509

extension ChargingStation {
    static let certificateEntriesKey = VariableAttributeKey(component: "SecurityCtrlr", variable: "CertificateEntries")

    /// The storage item of a root certificate type this station keeps; nil for the ISO 15118 types.
    static func trustStore(_ type: GetCertificateIdUseEnumType) -> CertificateItem? {
        switch type {
        case .csmsRootCertificate: .csmsRootCertificates
        case .manufacturerRootCertificate: .manufacturerRootCertificates
        case .v2GRootCertificate, .moRootCertificate, .v2GCertificateChain: nil
        }
    }

    static let trustStoreTypes: [(GetCertificateIdUseEnumType, CertificateItem)] = [
        (.csmsRootCertificate, .csmsRootCertificates), (.manufacturerRootCertificate, .manufacturerRootCertificates),
    ]

    /// The certificates of a trust store; an unreadable store counts as empty (and is logged).
    func installedCertificates(_ item: CertificateItem) async -> [Certificate] {
        guard let text = await certificates.read(item), !text.isEmpty else { return [] }
        do {
            return try X509Material.certificates(pem: text)
        } catch {
            logger.error("the \(item.rawValue) trust store is unreadable: \(error)")
            return []
        }
    }

    /// Replaces a trust store and updates what depends on it (CertificateEntries, whether a CSMS root exists).
    func storeTrustStore(_ item: CertificateItem, _ list: [Certificate]) async throws {
        try await certificates.write(item, list.isEmpty ? nil : X509Material.pem(list))
        await refreshCertificateEntries()
    }

    /// SecurityCtrlr.CertificateEntries: the certificates installed in the trust stores.
    func refreshCertificateEntries() async {
        var count = 0
        for (_, item) in Self.trustStoreTypes {
            let installed = await installedCertificates(item)
            count += installed.count
            if item == .csmsRootCertificates { hasCSMSRootCertificate = !installed.isEmpty }
        }
        setStationValue(String(count), for: Self.certificateEntriesKey)
    }

    /// At start: what the storage holds.
    func loadCertificates() async {
        await refreshCertificateEntries()
        hasStationCertificate = await certificates.read(.stationCertificate) != nil
    }
}

// M03: GetInstalledCertificateIds. The hash data of every installed root certificate of the requested types (all
// types when none is named), SHA-256 (A00.FR.506); NotFound when there is none (M03.FR.02).
internal import OCPPMessages

extension ChargingStation {
    func getInstalledCertificateIds(_ request: GetInstalledCertificateIdsRequest) async -> GetInstalledCertificateIdsResponse {
        let requested = request.certificateType ?? Self.trustStoreTypes.map(\.0)
        var chains: [CertificateHashDataChainType] = []
        for type in requested {
            guard let item = Self.trustStore(type) else { continue }
            for certificate in await installedCertificates(item) {
                chains.append(CertificateHashDataChainType(
                    certificateHashData: X509Material.hashData(of: certificate), certificateType: type))
            }
        }
        if chains.isEmpty { return GetInstalledCertificateIdsResponse(status: .notFound) }
        return GetInstalledCertificateIdsResponse(status: .accepted, certificateHashDataChain: chains)
    }
}

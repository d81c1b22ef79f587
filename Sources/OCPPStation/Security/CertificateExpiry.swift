// A03: the station renews its own certificate when it will expire within a month (A03.FR.02), checked after each
// BootNotification accepted or reconnect, at most once a day. An expired certificate is still presented (errata
// A00.FR.430: the CSMS decides), and raises no security event of its own: the appendix has none for it.
internal import OCPPMessages
internal import Logging
internal import X509
internal import FoundationEssentials

extension ChargingStation {
    static let renewalMargin: Double = 30 * 24 * 3600

    func checkCertificateExpiry(_ rpc: RPCSession) async {
        let now = now()
        if let last = certificateSigning.lastExpiryCheck, now.secondsSince1970 - last < 24 * 3600 { return }
        certificateSigning.lastExpiryCheck = now.secondsSince1970
        guard certificateSigning.csr == nil, let text = await certificates.read(.stationCertificate),
            let leaf = try? X509Material.certificates(pem: text).first
        else { return }
        let remaining = leaf.notValidAfter.timeIntervalSince(now.date)
        guard remaining < Self.renewalMargin else { return }
        await renewStationCertificate(
            rpc, reason: remaining < 0 ? "the station certificate expired" : "the station certificate expires within a month (A03.FR.02)")
    }
}

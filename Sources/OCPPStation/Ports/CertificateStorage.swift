// The certificate storage port: the station's TLS material and trust stores, kept where the transport reads them
// at every connection (the Kit keeps them as PEM files in the data directory; private keys readable by the agent
// only, A02.FR.05). The station decides what goes where; the storage only reads, writes and deletes whole items.

/// One item of the station's certificate storage.
public enum CertificateItem: String, Sendable, Hashable, CaseIterable {
    /// CSMSRootCertificate: the trust store the CSMS's server certificate is checked against (profiles 2 and 3).
    case csmsRootCertificates
    /// ManufacturerRootCertificate: the trust store for firmware signing certificates.
    case manufacturerRootCertificates
    /// The ChargingStationCertificate chain in use (profile 3's client certificate), the leaf first.
    case stationCertificate
    /// The private key of `stationCertificate`.
    case stationKey
    /// The key generated for an outstanding CSR (A02.FR.02), until its certificate arrives.
    case pendingKey
    /// The certificate and key used before a renewal, kept until the new one connected (errata A02.FR.10/28).
    case previousCertificate
    case previousKey

    /// Whether the item is a private key (never readable by anyone but the agent).
    public var isPrivateKey: Bool { self == .stationKey || self == .pendingKey || self == .previousKey }
}

public protocol CertificateStorage: Sendable {
    /// The item's PEM text; nil when it does not exist.
    func read(_ item: CertificateItem) async -> String?
    /// Replaces the item atomically (nil deletes it). Throws a description of what failed.
    func write(_ item: CertificateItem, _ text: String?) async throws
}

/// Certificate storage in memory (tests, or an embedding without a data directory).
public actor InMemoryCertificateStorage: CertificateStorage {
    private var items: [CertificateItem: String] = [:]
    public init(_ items: [CertificateItem: String] = [:]) { self.items = items }
    public func read(_ item: CertificateItem) -> String? { items[item] }
    public func write(_ item: CertificateItem, _ text: String?) { items[item] = text }
}

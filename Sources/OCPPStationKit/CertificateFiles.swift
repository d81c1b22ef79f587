// The certificate storage as PEM files in the data directory, where the transport reads them at every connection.
// Keys are written with mode 0600 (A02.FR.05: never readable by anyone but the agent); every write is atomic.
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
internal import OCPPStation
internal import OCPPStationHardware  // POSIXFiles

struct CertificateFiles: CertificateStorage {
    let directory: String

    static func fileName(_ item: CertificateItem) -> String {
        switch item {
        case .csmsRootCertificates: StationAgent.csmsRootFile
        case .manufacturerRootCertificates: "manufacturer-root.pem"
        case .stationCertificate: StationAgent.stationCertificateFile
        case .stationKey: StationAgent.stationKeyFile
        case .pendingKey: "station-key.pending.pem"
        case .previousCertificate: "station-cert.previous.pem"
        case .previousKey: "station-key.previous.pem"
        }
    }

    func path(_ item: CertificateItem) -> String { directory + "/" + Self.fileName(item) }

    func read(_ item: CertificateItem) async -> String? {
        try? POSIXFiles.readText(path(item))
    }

    func write(_ item: CertificateItem, _ text: String?) async throws {
        let target = path(item)
        guard let text else {
            if unlink(target) != 0 && errno != ENOENT {
                throw CertificateFileError(description: "\(target): \(POSIXFiles.errorText(errno))")
            }
            return
        }
        if let failure = POSIXFiles.writeFile(target, text, mode: item.isPrivateKey ? 0o600 : 0o644) {
            throw CertificateFileError(description: failure)
        }
    }
}

/// Why a certificate file could not be written or deleted.
struct CertificateFileError: Error, CustomStringConvertible {
    var description: String
}

// The station's certificates as values, with swift-certificates and swift-crypto (no I/O): PEM chains, the key pair
// and CSR of a certificate renewal (A02/A03), the checks on a signed certificate (A02.FR.06, errata 2025-01), and the
// hash data that names a certificate in block M (M03-M05). Nothing here reads a file: Ports/CertificateStorage does.
internal import X509
internal import Crypto
internal import SwiftASN1
internal import FoundationEssentials
internal import OCPPMessages

/// Why a certificate, chain or key cannot be used, in words for statusInfo and the security log.
struct CertificateProblem: Error, Sendable, CustomStringConvertible {
    var description: String
    /// reasonCode for statusInfo (a short CamelCase word).
    var reasonCode: String
    init(_ reasonCode: String, _ description: String) {
        self.reasonCode = reasonCode
        self.description = description
    }
}

enum X509Material {
    // MARK: PEM

    /// Every certificate of a PEM text, in order (a chain: the leaf first; a trust store: any order).
    static func certificates(pem text: String) throws(CertificateProblem) -> [Certificate] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw CertificateProblem("InvalidCertificate", "not PEM: \(error)")
        }
        var result: [Certificate] = []
        for document in documents {
            guard document.discriminator == "CERTIFICATE" else {
                throw CertificateProblem("InvalidCertificate", "a PEM block \(document.discriminator) where a certificate belongs")
            }
            do {
                result.append(try Certificate(pemDocument: document))
            } catch {
                throw CertificateProblem("InvalidCertificate", "not an X.509 certificate: \(error)")
            }
        }
        if result.isEmpty { throw CertificateProblem("InvalidCertificate", "no certificate in it") }
        return result
    }

    static func pem(_ certificate: Certificate) -> String {
        (try? certificate.serializeAsPEM().pemString) ?? ""
    }

    /// Concatenated PEM blocks, each ending with a newline (what TLS libraries read as a chain or a trust store).
    static func pem(_ certificates: [Certificate]) -> String {
        certificates.map { pem($0) + "\n" }.joined()
    }

    // MARK: Key pair and CSR (A02.FR.02/03, A03.FR.02/03)

    /// A new P-256 key pair (A00.FR.503: at least 224 bits for elliptic curves), as PKCS#8 PEM.
    static func newPrivateKeyPEM() -> String {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        return (try? key.serializeAsPEM().pemString) ?? ""
    }

    static func privateKey(pem text: String) throws(CertificateProblem) -> Certificate.PrivateKey {
        do {
            return try Certificate.PrivateKey(pemEncoded: text)
        } catch {
            throw CertificateProblem("InvalidKey", "not a PEM private key: \(error)")
        }
    }

    /// The PKCS#10 CSR (RFC 2986), PEM: subject CN = the station's serial number (its identity, A00.FR.511) and
    /// O = SecurityCtrlr.OrganizationName (A00.FR.509), signed with ECDSA SHA-256 by the new key.
    static func signingRequest(keyPEM: String, commonName: String, organizationName: String) throws(CertificateProblem) -> String {
        let key = try privateKey(pem: keyPEM)
        do {
            let subject = try DistinguishedName {
                CommonName(commonName)
                OrganizationName(organizationName)
            }
            let request = try CertificateSigningRequest(
                version: .v1, subject: subject, privateKey: key, attributes: CertificateSigningRequest.Attributes(),
                signatureAlgorithm: .ecdsaWithSHA256)
            return try request.serializeAsPEM().pemString
        } catch {
            throw CertificateProblem("InvalidCSR", "cannot build the CSR: \(error)")
        }
    }

    // MARK: Checking a signed certificate (A02.FR.06, errata 2025-01)

    /// Checks a CertificateSignedRequest's chain for the key the CSR was made with: PEM, the leaf's public key is
    /// ours, the current date within the leaf's validity (no future certificates, errata A02.FR.06), CN = the
    /// station's identity (A00.FR.511), and the chain leads to one of `roots` (the CSO's hierarchy: the installed
    /// CSMS root certificates), each link signed and valid now (RFC 5280 path validation). Returns the chain.
    static func checkSignedChain(
        _ text: String, keyPEM: String, stationId: String, roots: [Certificate], now: Date
    ) async throws(CertificateProblem) -> [Certificate] {
        let chain = try certificates(pem: text)
        let leaf = chain[0]
        let key = try privateKey(pem: keyPEM)
        guard leaf.publicKey == key.publicKey else {
            throw CertificateProblem("KeyMismatch", "the certificate is not for the key of the station's CSR")
        }
        guard leaf.notValidBefore <= now else {
            throw CertificateProblem("NotYetValid", "not valid before \(leaf.notValidBefore)")
        }
        guard now <= leaf.notValidAfter else {
            throw CertificateProblem("Expired", "expired at \(leaf.notValidAfter)")
        }
        let commonNames = leaf.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }.map { String($0.value) ?? "" }
        guard commonNames.contains(stationId) else {
            throw CertificateProblem("InvalidCommonName", "the subject's CN is \(commonNames), not the station's identity \(stationId)")
        }
        if roots.isEmpty {
            throw CertificateProblem("NoRootCertificate", "no CSMS root certificate installed to check the chain against")
        }
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
            RFC5280Policy(validationTime: now)
        }
        switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(Array(chain.dropFirst()))) {
        case .validCertificate:
            return chain
        case .couldNotValidate(let failures):
            let reason = failures.first.map { "\($0.policyFailureReason)" } ?? "no path to an installed CSMS root certificate"
            throw CertificateProblem("InvalidChain", "not part of the CSMS root's hierarchy: \(reason)")
        }
    }

    /// Whether a certificate may go into the trust store (M05.FR.07): a CA certificate valid now.
    static func checkRootCertificate(_ certificate: Certificate, now: Date) throws(CertificateProblem) {
        guard certificate.notValidBefore <= now, now <= certificate.notValidAfter else {
            throw CertificateProblem("InvalidCertificate", "not valid now (\(certificate.notValidBefore) to \(certificate.notValidAfter))")
        }
        let constraints = try? certificate.extensions.basicConstraints
        guard case .isCertificateAuthority = constraints else {
            throw CertificateProblem("InvalidCertificate", "not a CA certificate (basicConstraints cA is not set)")
        }
    }

    // MARK: Hash data (M03-M05, and the OCSP request data of RFC 6960 §4.1.1)

    /// issuerNameHash (the hash of the DER issuer name), issuerKeyHash (the hash of the issuer's public key bits, the
    /// BIT STRING without tag, length and unused-bits count) and serialNumber (hexadecimal, without leading zeroes).
    /// `issuer` is the certificate that signed it; a root certificate is its own issuer.
    static func hashData(
        of certificate: Certificate, issuer: Certificate? = nil, algorithm: HashAlgorithmEnumType = .sha256
    ) -> CertificateHashDataType {
        var serializer = DER.Serializer()
        try? serializer.serialize(certificate.issuer)
        let issuerKey = (issuer ?? certificate).publicKey.subjectPublicKeyInfoBytes
        return CertificateHashDataType(
            hashAlgorithm: algorithm, issuerNameHash: hex(digest(serializer.serializedBytes, algorithm)),
            issuerKeyHash: hex(digest(Array(issuerKey), algorithm)), serialNumber: serialHex(certificate.serialNumber))
    }

    /// Whether `data` names `certificate` (hash texts compared without regard to case, serials without leading zeroes).
    static func matches(_ data: CertificateHashDataType, _ certificate: Certificate, issuer: Certificate? = nil) -> Bool {
        let own = hashData(of: certificate, issuer: issuer, algorithm: data.hashAlgorithm)
        func serial(_ text: String) -> String {
            let lower = text.lowercased()
            let trimmed = lower.drop { $0 == "0" }
            return trimmed.isEmpty ? "0" : String(trimmed)
        }
        return own.issuerNameHash == data.issuerNameHash.lowercased() && own.issuerKeyHash == data.issuerKeyHash.lowercased()
            && serial(own.serialNumber) == serial(data.serialNumber)
    }

    static func digest(_ bytes: [UInt8], _ algorithm: HashAlgorithmEnumType) -> [UInt8] {
        switch algorithm {
        case .sha256: Array(SHA256.hash(data: bytes))
        case .sha384: Array(SHA384.hash(data: bytes))
        case .sha512: Array(SHA512.hash(data: bytes))
        }
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return text
    }

    static func serialHex(_ serial: Certificate.SerialNumber) -> String {
        let text = hex(serial.bytes).drop { $0 == "0" }
        return text.isEmpty ? "0" : String(text)
    }

    /// The certificate in `candidates` whose subject is `certificate`'s issuer and whose key signed it.
    static func issuer(of certificate: Certificate, in candidates: [Certificate]) -> Certificate? {
        candidates.first { $0.subject == certificate.issuer && $0.publicKey.isValidSignature(certificate.signature, for: certificate) }
    }
}

/// Seconds since 1970 as the Date swift-certificates checks validity with.
extension OCPPDateTime {
    var date: Date { Date(timeIntervalSince1970: secondsSince1970) }
}

import Crypto
import FoundationEssentials
import OCPPMessages
import SwiftASN1
import Testing
import X509

@testable import OCPPStation

/// The station's certificate work without I/O: the CSR (A02.FR.03), the checks on a signed certificate (errata
/// A02.FR.06) and the hash data of block M (M03/M04).
struct X509MaterialTests {
    /// A root made by Python's `cryptography` (Tests/integration/pki.py), with the hash data pki.hash_data computed for
    /// it: two implementations of the definition must agree.
    static let fixedRoot = """
        -----BEGIN CERTIFICATE-----
        MIIBijCCAS+gAwIBAgIUPl57hoK5aPm7u8Rw5VB1kTjQhZ8wCgYIKoZIzj0EAwIw
        MjEbMBkGA1UECgwSb2NwcC1zdGF0aW9uIHRlc3RzMRMwEQYDVQQDDApmaXhlZC1y
        b290MB4XDTI2MTIwMjE1MDA1NloXDTM2MTEzMDE1MDA1NlowMjEbMBkGA1UECgwS
        b2NwcC1zdGF0aW9uIHRlc3RzMRMwEQYDVQQDDApmaXhlZC1yb290MFkwEwYHKoZI
        zj0CAQYIKoZIzj0DAQcDQgAE1QPB+C5/+oTWwBF3cIWWKx3GEmraMoxrWO2OIAwK
        khGiqx4s1uBSjh4N+EKHifluyRENzs/2E8/6aXibdKPP3KMjMCEwDwYDVR0TAQH/
        BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAYYwCgYIKoZIzj0EAwIDSQAwRgIhAI5B6Mvk
        ISpRQ6tOsXyzYXT2wljbgqG9I7GZkTCVI6/xAiEA+19gBeNf2+U9QbzusAEIZ/Pi
        CIFdy3VOvgNy6lx9Y/Y=
        -----END CERTIFICATE-----
        """

    struct Authority {
        let key = P256.Signing.PrivateKey()
        let name: DistinguishedName
        let certificate: Certificate

        init(_ commonName: String, now: Date) throws {
            name = try DistinguishedName {
                OrganizationName("tests")
                CommonName(commonName)
            }
            certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: now - 3600, notValidAfter: now + 365 * 86400, issuer: name, subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                },
                issuerPrivateKey: .init(key))
        }

        /// Signs a CSR (PEM) the way the CSMS's CA would.
        func sign(_ csrPEM: String, notBefore: Date, notAfter: Date) throws -> String {
            let csr = try CertificateSigningRequest(pemEncoded: csrPEM)
            let leaf = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: csr.publicKey, notValidBefore: notBefore,
                notValidAfter: notAfter, issuer: name, subject: csr.subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                },
                issuerPrivateKey: .init(key))
            return try leaf.serializeAsPEM().pemString
        }
    }

    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func csrCarriesTheIdentityAndOrganizationAndIsSigned() throws {
        let key = X509Material.newPrivateKeyPEM()
        #expect(key.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let pem = try X509Material.signingRequest(keyPEM: key, commonName: "CS001", organizationName: "Example CSO")
        let csr = try CertificateSigningRequest(pemEncoded: pem)
        let names = csr.subject.flatMap { $0 }
        #expect(names.contains { $0.type == .RDNAttributeType.commonName && String($0.value) == "CS001" })
        #expect(names.contains { $0.type == .RDNAttributeType.organizationName && String($0.value) == "Example CSO" })
        #expect(csr.publicKey == (try Certificate.PrivateKey(pemEncoded: key)).publicKey)
        #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
    }

    @Test func aChainFromTheRootForOurKeyIsValid() async throws {
        let root = try Authority("root", now: now)
        let key = X509Material.newPrivateKeyPEM()
        let csr = try X509Material.signingRequest(keyPEM: key, commonName: "CS001", organizationName: "o")
        let signed = try root.sign(csr, notBefore: now - 60, notAfter: now + 86400)
        let chain = try await X509Material.checkSignedChain(signed, keyPEM: key, stationId: "CS001", roots: [root.certificate], now: now)
        #expect(chain.count == 1)
    }

    @Test(arguments: ["Expired", "NotYetValid", "KeyMismatch", "InvalidChain", "InvalidCommonName", "NoRootCertificate", "InvalidCertificate"])
    func invalidChainsAreRefused(_ reason: String) async throws {
        let root = try Authority("root", now: now)
        let other = try Authority("other", now: now)
        let key = X509Material.newPrivateKeyPEM()
        var csr = try X509Material.signingRequest(keyPEM: key, commonName: "CS001", organizationName: "o")
        var (notBefore, notAfter) = (now - 60, now + 86400)
        var signer = root
        var roots = [root.certificate]
        var keyPEM = key
        switch reason {
        case "Expired": (notBefore, notAfter) = (now - 86400, now - 60)
        case "NotYetValid": notBefore = now + 60  // errata A02.FR.06: no certificate valid only in the future
        case "KeyMismatch": keyPEM = X509Material.newPrivateKeyPEM()
        case "InvalidChain": signer = other
        case "InvalidCommonName": csr = try X509Material.signingRequest(keyPEM: key, commonName: "CS002", organizationName: "o")
        case "NoRootCertificate": roots = []
        default: break
        }
        var signed = try signer.sign(csr, notBefore: notBefore, notAfter: notAfter)
        if reason == "InvalidCertificate" { signed = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }
        do {
            _ = try await X509Material.checkSignedChain(signed, keyPEM: keyPEM, stationId: "CS001", roots: roots, now: now)
            Issue.record("\(reason): accepted")
        } catch {
            #expect(error.reasonCode == reason)
        }
    }

    @Test func hashDataAgreesWithPythonsCryptography() throws {
        let root = try X509Material.certificates(pem: Self.fixedRoot)[0]
        let data = X509Material.hashData(of: root)
        #expect(data.hashAlgorithm == .sha256)
        #expect(data.issuerNameHash == "f3a0e367a6ee5d69286182a40e57b4a836d6b2d60967fc5bb9b86bc51fb469c3")
        #expect(data.issuerKeyHash == "d2d27f7cf7cfe87dcf21c18f46dd2af5d87b11ff5e8e94b033c2e34b6bc19310")
        #expect(data.serialNumber == "3e5e7b8682b968f9bbbbc470e550759138d0859f")
        // M04.FR.07: the CSMS names it with the same algorithm; case and leading zeroes do not matter.
        var named = data
        named.issuerNameHash = named.issuerNameHash.uppercased()
        named.serialNumber = "00" + named.serialNumber
        #expect(X509Material.matches(named, root))
        named.serialNumber = "1"
        #expect(!X509Material.matches(named, root))
        #expect(X509Material.matches(X509Material.hashData(of: root, algorithm: .sha384), root))
    }

    @Test func onlyCurrentCACertificatesAreRoots() throws {
        let root = try Authority("root", now: now)
        try X509Material.checkRootCertificate(root.certificate, now: now)
        #expect(throws: CertificateProblem.self) { try X509Material.checkRootCertificate(root.certificate, now: now + 2 * 365 * 86400) }
        let key = X509Material.newPrivateKeyPEM()
        let leaf = try root.sign(
            try X509Material.signingRequest(keyPEM: key, commonName: "CS001", organizationName: "o"), notBefore: now - 60,
            notAfter: now + 60)
        #expect(throws: CertificateProblem.self) { try X509Material.checkRootCertificate(try Certificate(pemEncoded: leaf), now: now) }
    }
}

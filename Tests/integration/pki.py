"""A throw-away PKI for the security tests (Python `cryptography`): a CSMS root CA, server certificates (valid for
localhost, expired, for another host, from an untrusted root), and a station client certificate; plus server-side
ssl.SSLContexts for the test CSMS."""
import datetime
import hashlib
import pathlib
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
import ipaddress


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ocpp-station tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path, key):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


class Authority:
    def __init__(self, directory, name):
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self.name = _name(name)
        self.cert = (x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=3650))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                  content_commitment=False, key_encipherment=False,
                                                  data_encipherment=False, key_agreement=False, encipher_only=False,
                                                  decipher_only=False), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.path = pathlib.Path(directory) / f"{name}.pem"
        self.path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, directory, name, common_name, hosts=(), client=False, expired=False, valid_days=365):
        """A leaf certificate and key, valid for `valid_days` from yesterday; returns (cert path, key path)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        if expired:
            before, after = now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)
        else:
            before, after = now - datetime.timedelta(days=1), now + datetime.timedelta(days=valid_days)
        builder = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(self.name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(before).not_valid_after(after)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage(
                       [ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False))
        if hosts:
            names = []
            for host in hosts:
                try:
                    names.append(x509.IPAddress(ipaddress.ip_address(host)))
                except ValueError:
                    names.append(x509.DNSName(host))
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        cert_path = pathlib.Path(directory) / f"{name}.pem"
        key_path = pathlib.Path(directory) / f"{name}-key.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key_path, key)
        return cert_path, key_path


    def sign_csr(self, csr_pem, expired=False, not_yet_valid=False):
        """Signs a station's CSR (PEM text) as the CSMS's certificate authority would: the CSR's subject and key, a
        ChargingStationCertificate valid for a year (or expired, or valid only from tomorrow). Returns PEM text."""
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        assert csr.is_signature_valid
        now = datetime.datetime.now(datetime.timezone.utc)
        if expired:
            before, after = now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)
        elif not_yet_valid:
            before, after = now + datetime.timedelta(days=1), now + datetime.timedelta(days=365)
        else:
            before, after = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=365)
        cert = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(self.name)
                .public_key(csr.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(before).not_valid_after(after)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_agreement=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_cert_sign=False,
                                             crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
                .sign(self.key, hashes.SHA256()))
        return cert.public_bytes(serialization.Encoding.PEM).decode()


def hash_data(cert, issuer=None):
    """OCPP's CertificateHashDataType of a certificate (SHA-256): the issuer's DER name, the issuer's public key bits
    (for EC keys the uncompressed point), the serial number in hexadecimal without leading zeroes."""
    issuer = issuer or cert
    digest = lambda data: hashlib.sha256(data).hexdigest()
    key_bits = issuer.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    return {"hashAlgorithm": "SHA256", "issuerNameHash": digest(cert.issuer.public_bytes()),
            "issuerKeyHash": digest(key_bits), "serialNumber": format(cert.serial_number, "x")}


class PKI:
    """root: the CSMS root the station trusts; server / expired / wrong_host / untrusted: (cert, key) of CSMS
    certificates; station: (cert, key) of the station CS001's client certificate."""

    def __init__(self, directory):
        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.root = Authority(directory, "csms-root")
        self.other_root = Authority(directory, "other-root")
        self.server = self.root.issue(directory, "server", "localhost", hosts=("localhost", "127.0.0.1"))
        self.expired = self.root.issue(directory, "expired", "localhost", hosts=("localhost",), expired=True)
        self.wrong_host = self.root.issue(directory, "wrong-host", "csms.example.net", hosts=("csms.example.net",))
        self.untrusted = self.other_root.issue(directory, "untrusted", "localhost", hosts=("localhost",))
        self.station = self.root.issue(directory, "station", "CS001", client=True)
        self.other_station = self.other_root.issue(directory, "other-station", "CS001", client=True)

    def server_context(self, which="server", require_client_cert=False, maximum_version=None):
        cert, key = getattr(self, which)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        if maximum_version is not None:
            # An old server: allow what OpenSSL's default security level would refuse, then cap the version.
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = maximum_version
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.root.path)
        return context

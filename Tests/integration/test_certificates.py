"""The station's certificates over real TLS: renewal by request of the CSMS (A02: TriggerMessage
SignChargingStationCertificate, F06), the CSR and its key, CertificateSigned checked and the reconnect with the new
certificate (errata A02.FR.06/08/10), an invalid chain Rejected with InvalidChargingStationCertificate (A02.FR.07), the
CertSigning* back-off (A02.FR.17-19), and the trust stores (M03-M05): install, list and delete root certificates, the
last CSMS root kept, an installed root trusted by the next connection. The test CA signs the station's CSR (pki.py)."""
import contextlib
import re
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from conftest import boot_accepted, security_log, wait_for
from csms import CSMS
from pki import hash_data

PASSWORD = "s3cret-password-0123"


def profile_3(pki):
    cert, key = pki.station
    return ["--security-profile", "3", "--ca-file", str(pki.root.path), "--client-cert", str(cert),
            "--client-key", str(key)]


def profile_2(pki):
    return ["--security-profile", "2", "--basic-auth-password", PASSWORD, "--ca-file", str(pki.root.path)]


def request_csr(server):
    """TriggerMessage SignChargingStationCertificate; returns the CSR (PEM) of the SignCertificateRequest."""
    mark = server.mark()
    assert server.call("TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"}).payload["status"] == "Accepted"
    frame = server.wait_call("SignCertificate", start=mark)
    # No ISO 15118 stack: always the certificate of the CSMS connection (A02.FR.13).
    assert frame.payload["certificateType"] == "ChargingStationCertificate"
    return frame.payload["csr"]


def peer_serial(connection):
    der = connection.ws.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der).serial_number


@contextlib.contextmanager
def booted_on_profile_3(agent, pki, flags=None):
    """A CSMS that requires a client certificate from the test root and accepts CSRs, and a station booted there on
    security profile 3; yields (csms, station)."""
    with CSMS(ssl_context=pki.server_context(require_client_cert=True)) as server:
        server.sign_certificate_status = "Accepted"
        station = agent(url=server.url, extra=flags or profile_3(pki))
        boot_accepted(server)
        yield server, station


def test_renewal_by_request_reconnects_with_the_new_certificate(agent, pki):
    with booted_on_profile_3(agent, pki) as (server, station):
        old_serial = peer_serial(server.connections[0])
        csr = x509.load_pem_x509_csr(request_csr(server).encode())
        # A02.FR.03, A00.FR.509/511: a signed PKCS#10 request, CN = the station's identity, O = OrganizationName.
        assert csr.is_signature_valid
        assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CS001"
        assert csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "ocpp-station"
        # A02.FR.05: the new key stays in the data directory, readable by the agent only.
        pending = station.data_dir / "station-key.pending.pem"
        assert pending.stat().st_mode & 0o777 == 0o600
        signed = pki.root.sign_csr(csr.public_bytes(serialization.Encoding.PEM).decode())
        mark = server.mark()
        answer = server.call("CertificateSigned", {"certificateChain": signed, "certificateType": "ChargingStationCertificate"})
        assert answer.payload["status"] == "Accepted", answer.payload
        # Errata A02.FR.08: the station reconnects with it, without a new BootNotification.
        server.wait_connected(count=2, timeout=10)
        new_serial = x509.load_pem_x509_certificate(signed.encode()).serial_number
        assert peer_serial(server.connections[1]) == new_serial != old_serial
        assert server.call("TriggerMessage", {"requestedMessage": "Heartbeat"}).payload["status"] == "Accepted"
        server.wait_call("Heartbeat", start=mark)
        assert "BootNotification" not in server.actions_from_station(start=mark)
        # Errata A02.FR.10: the certificate not in use is discarded once the new one connected.
        wait_for(lambda: not (station.data_dir / "station-cert.previous.pem").exists(), 5, "the old certificate discarded")
        assert not (station.data_dir / "station-key.previous.pem").exists()
        assert not pending.exists()
        key = station.data_dir / "station-key.pem"
        assert key.stat().st_mode & 0o777 == 0o600
        assert x509.load_pem_x509_certificate((station.data_dir / "station-cert.pem").read_bytes()).serial_number == new_serial
        # M04.FR.06: the station's own certificate cannot be deleted.
        answer = server.call("DeleteCertificate", {"certificateHashData": hash_data(
            x509.load_pem_x509_certificate(signed.encode()), issuer=pki.root.cert)}).payload
        assert answer["status"] == "Failed" and answer["statusInfo"]["reasonCode"] == "StationCertificate", answer
        handshakes = re.findall(r"connect, TLS handshake, upgrade: (\d+) ms", station.stderr)
        print(f"TLS handshake + upgrade with the new certificate: {handshakes[-1]} ms (all: {handshakes})")
        port = server.port
    # The renewed certificate is what the station presents after a restart too.
    station.terminate()
    with CSMS(ssl_context=pki.server_context(require_client_cert=True), port=port) as again:
        agent(url=again.url, data_dir=station.data_dir, extra=profile_3(pki), name="again")
        boot_accepted(again)
        assert peer_serial(again.connections[0]) == new_serial


def test_invalid_signed_certificates_are_rejected_with_a_security_event(agent, pki):
    with CSMS(ssl_context=pki.server_context(), basic_auth={"CS001": PASSWORD}) as server:
        server.sign_certificate_status = "Accepted"
        station = agent(url=server.url, extra=profile_2(pki))
        boot_accepted(server)
        # No CSR outstanding: nothing to accept.
        answer = server.call("CertificateSigned", {"certificateChain": pki.station[0].read_text()}).payload
        assert answer["status"] == "Rejected"
        cases = [
            ("from another CA", lambda csr: pki.other_root.sign_csr(csr), "InvalidChain"),
            ("expired", lambda csr: pki.root.sign_csr(csr, expired=True), "Expired"),
            ("valid only from tomorrow", lambda csr: pki.root.sign_csr(csr, not_yet_valid=True), "NotYetValid"),
            ("for another key", lambda csr: pki.station[0].read_text(), "KeyMismatch"),
            ("not PEM", lambda csr: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "InvalidCertificate"),
        ]
        for what, sign, reason in cases:
            csr = request_csr(server)
            mark = server.mark()
            answer = server.call("CertificateSigned", {"certificateChain": sign(csr)}).payload
            assert answer["status"] == "Rejected", what
            assert answer["statusInfo"]["reasonCode"] == reason, (what, answer)
            # A02.FR.07: a critical security event, in the log and sent to the CSMS.
            server.wait_call("SecurityEventNotification", lambda p: p["type"] == "InvalidChargingStationCertificate", start=mark)
            # Discarded: no key waits for it any more, the certificate in use is unchanged (none, profile 2).
            assert not (station.data_dir / "station-key.pending.pem").exists(), what
            assert not (station.data_dir / "station-cert.pem").exists(), what
        assert security_log(station).count("InvalidChargingStationCertificate") == len(cases) + 1
        # A02.FR.20: no back-off re-send after a rejection.
        assert len(server.connections) == 1


def test_sign_certificate_is_resent_with_back_off_then_given_up(agent, pki):
    with CSMS(ssl_context=pki.server_context(), basic_auth={"CS001": PASSWORD}) as server:
        server.sign_certificate_status = "Accepted"
        agent(url=server.url, extra=profile_2(pki))
        boot_accepted(server)
        answer = server.call("SetVariables", {"setVariableData": [
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "CertSigningWaitMinimum"}, "attributeValue": "1"},
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "CertSigningRepeatTimes"}, "attributeValue": "2"},
        ]}).payload
        assert [r["attributeStatus"] for r in answer["setVariableResult"]] == ["Accepted", "Accepted"]
        mark = server.mark()
        first = request_csr(server)
        # A02.FR.17/18: the same CSR again after 1 s, then after 2 s more; A02.FR.19: then no more.
        server.wait_until(lambda: server.actions_from_station(start=mark).count("SignCertificate") >= 3, timeout=10,
                          what="two re-sent SignCertificateRequests")
        sent = [f for f in server.calls_from_station(start=mark) if f.action == "SignCertificate"]
        assert all(f.payload["csr"] == first for f in sent)
        time.sleep(5)
        assert server.actions_from_station(start=mark).count("SignCertificate") == 3


def test_root_certificates_install_list_delete(agent, pki):
    root = x509.load_pem_x509_certificate(pki.root.path.read_bytes())
    other = x509.load_pem_x509_certificate(pki.other_root.path.read_bytes())
    with CSMS(ssl_context=pki.server_context(), basic_auth={"CS001": PASSWORD}) as server:
        station = agent(url=server.url, extra=profile_2(pki))
        boot_accepted(server)

        def installed(types=None):
            payload = {"certificateType": types} if types else {}
            return server.call("GetInstalledCertificateIds", payload).payload

        def entries():
            return server.call("GetVariables", {"getVariableData": [{"component": {"name": "SecurityCtrlr"},
                               "variable": {"name": "CertificateEntries"}}]}).payload["getVariableResult"][0]["attributeValue"]

        # M03.FR.03/04: the root given with --ca-file, named by its hash data.
        answer = installed(["CSMSRootCertificate"])
        assert answer["status"] == "Accepted"
        assert [c["certificateHashData"] for c in answer["certificateHashDataChain"]] == [hash_data(root)]
        assert installed(["ManufacturerRootCertificate"])["status"] == "NotFound"  # M03.FR.02
        assert entries() == "1"
        # M05.FR.02, M05.FR.17 (the same one again replaces it), M05.FR.07 (a leaf is no root).
        install = lambda kind, pem: server.call("InstallCertificate", {"certificateType": kind, "certificate": pem}).payload
        assert install("CSMSRootCertificate", pki.other_root.path.read_text())["status"] == "Accepted"
        assert install("CSMSRootCertificate", pki.other_root.path.read_text())["status"] == "Accepted"
        assert install("ManufacturerRootCertificate", pki.other_root.path.read_text())["status"] == "Accepted"
        assert install("CSMSRootCertificate", pki.server[0].read_text())["status"] == "Rejected"
        assert install("CSMSRootCertificate", "not a certificate")["status"] == "Rejected"
        assert install("V2GRootCertificate", pki.other_root.path.read_text())["status"] == "Rejected"
        assert entries() == "3"
        answer = installed()
        listed = {(c["certificateType"], c["certificateHashData"]["serialNumber"]) for c in answer["certificateHashDataChain"]}
        assert listed == {("CSMSRootCertificate", format(root.serial_number, "x")),
                          ("CSMSRootCertificate", format(other.serial_number, "x")),
                          ("ManufacturerRootCertificate", format(other.serial_number, "x"))}
        assert (station.data_dir / "csms-root.pem").read_text().count("BEGIN CERTIFICATE") == 2
        # M04: delete by hash data; the same certificate in two stores: the CSMS store's copy first.
        delete = lambda data: server.call("DeleteCertificate", {"certificateHashData": data}).payload
        assert delete(hash_data(other))["status"] == "Accepted"
        assert delete(hash_data(other))["status"] == "Accepted"  # now the manufacturer root's
        assert delete(hash_data(other))["status"] == "NotFound"  # M04.FR.04
        # M04.FR.03: the last CSMS root while security profile 2 needs it: Failed, and it stays.
        answer = delete(hash_data(root))
        assert answer["status"] == "Failed" and answer["statusInfo"]["reasonCode"] == "LastCSMSRoot"
        assert installed(["CSMSRootCertificate"])["status"] == "Accepted"
        assert entries() == "1"
        assert "ReconfigurationOfSecurityParameters" in security_log(station)


def test_an_installed_csms_root_is_trusted_by_the_next_connection(agent, pki):
    with CSMS(ssl_context=pki.server_context(), basic_auth={"CS001": PASSWORD}) as server:
        station = agent(url=server.url, extra=profile_2(pki))
        boot_accepted(server)
        answer = server.call("InstallCertificate", {"certificateType": "CSMSRootCertificate",
                                                    "certificate": pki.other_root.path.read_text()}).payload
        assert answer["status"] == "Accepted"
        port = server.port
    # The CSMS now presents a certificate from the newly installed root: the station accepts it.
    with CSMS(ssl_context=pki.server_context("untrusted"), basic_auth={"CS001": PASSWORD}, port=port) as moved:
        moved.wait_connected(timeout=30)
        assert "InvalidCsmsCertificate" not in security_log(station)


def test_a_renewed_certificate_the_csms_refuses_falls_back_to_the_previous_one(agent, pki):
    with booted_on_profile_3(agent, pki) as (server, station):
        old_serial = peer_serial(server.connections[0])
        # A CA the station trusts (installed as a CSMS root) but the CSMS does not accept client certificates from.
        assert server.call("InstallCertificate", {"certificateType": "CSMSRootCertificate",
                                                  "certificate": pki.other_root.path.read_text()}).payload["status"] == "Accepted"
        # One attempt per profile and no back-off: a whole round of NetworkConfigurationPriority is one attempt.
        answer = server.call("SetVariables", {"setVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": name}, "attributeValue": value}
            for name, value in (("NetworkProfileConnectionAttempts", "1"), ("RetryBackOffWaitMinimum", "0"),
                                ("RetryBackOffRandomRange", "0"))]}).payload
        assert {r["attributeStatus"] for r in answer["setVariableResult"]} == {"Accepted"}
        signed = pki.other_root.sign_csr(request_csr(server))
        mark = server.mark()
        assert server.call("CertificateSigned", {"certificateChain": signed}).payload["status"] == "Accepted"
        # Errata A02.FR.28: refused with the new one, the station goes back to the previous certificate ...
        server.wait_connected(count=2, timeout=20)
        assert peer_serial(server.connections[-1]) == old_serial
        # ... discards the new one, and tells the CSMS (errata A02.FR.29).
        server.wait_call("SecurityEventNotification", lambda p: p["type"] == "DiscardedRenewedClientCertificate", start=mark, timeout=15)
        assert not (station.data_dir / "station-cert.previous.pem").exists()
        assert x509.load_pem_x509_certificate((station.data_dir / "station-cert.pem").read_bytes()).serial_number == old_serial
        assert "BootNotification" not in server.actions_from_station(start=mark)


def test_a_certificate_expiring_within_a_month_is_renewed_by_the_station(agent, pki, tmp_path):
    cert, key = pki.root.issue(tmp_path, "expiring", "CS001", client=True, valid_days=10)
    flags = ["--security-profile", "3", "--ca-file", str(pki.root.path), "--client-cert", str(cert), "--client-key", str(key)]
    with booted_on_profile_3(agent, pki, flags) as (server, _):
        # A03.FR.02/03: unasked, a new key pair and its CSR.
        frame = server.wait_call("SignCertificate", timeout=10)
        assert frame.payload["certificateType"] == "ChargingStationCertificate"
        signed = pki.root.sign_csr(frame.payload["csr"])
        assert server.call("CertificateSigned", {"certificateChain": signed}).payload["status"] == "Accepted"
        server.wait_connected(count=2, timeout=10)
        assert peer_serial(server.connections[-1]) == x509.load_pem_x509_certificate(signed.encode()).serial_number
        # Renewed: no second renewal for the new, year-long certificate.
        time.sleep(1)
        assert server.actions_from_station().count("SignCertificate") == 1

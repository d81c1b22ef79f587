"""Security profiles 1-3 over real TLS (A00), the password update (A01), never downgrading (B09.FR.04), and the
connection failures that are security events (A00.FR.310/316, FailedToAuthenticationAtCsms). The PKI is generated per
test module (pki.py); the CSMS serves wss:// with Python's ssl module."""
import os
import socket
import ssl
import subprocess
import time

import pytest

from conftest import boot_accepted, security_log, wait_for
from csms import CSMS

PASSWORD = "s3cret-password-0123"  # 20 characters: A00.FR.304 wants 16 to 40
NEW_PASSWORD = "an0ther-password-4567xyz"


def profile_flags(pki, profile, password=PASSWORD, client=None):
    flags = ["--security-profile", str(profile)]
    if profile in (1, 2):
        flags += ["--basic-auth-password", password]
    if profile >= 2:
        flags += ["--ca-file", str(pki.root.path)]
    if profile == 3:
        cert, key = client or pki.station
        flags += ["--client-cert", str(cert), "--client-key", str(key)]
    return flags


def test_profile_1_basic_auth_over_ws(agent):
    with CSMS(basic_auth={"CS001": PASSWORD}) as server:
        station = agent(url=server.url, extra=profile_flags(None, 1))
        boot_accepted(server)
        # A00.FR.302/303: the station id as user name, the password as it is.
        assert server.auth_attempts[0] == ("CS001", PASSWORD)
        # The password is WriteOnly: GetVariables cannot read it (and it never reaches the log).
        answer = server.call("GetVariables", {"getVariableData": [
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}]})
        assert answer.payload["getVariableResult"][0]["attributeStatus"] == "Rejected"
        answer = server.call("GetVariables", {"getVariableData": [
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "SecurityProfile"}}]})
        assert answer.payload["getVariableResult"][0]["attributeValue"] == "1"
        assert PASSWORD not in station.stderr


def test_wrong_password_is_refused_and_logged(agent):
    with CSMS(basic_auth={"CS001": "the-csms-expects-this-one"}) as server:
        station = agent(url=server.url, extra=profile_flags(None, 1))
        server.wait_until(lambda: len(server.auth_attempts) >= 2, timeout=10, what="two refused attempts")
        assert not server.calls_from_station()
        wait_for(lambda: "FailedToAuthenticationAtCsms" in security_log(station), 5, "FailedToAuthenticationAtCsms")
        # Raised once for a run of the same failure, not per attempt.
        assert security_log(station).count("FailedToAuthenticationAtCsms") == 1
        assert station.proc.poll() is None
        assert PASSWORD not in station.stderr and PASSWORD not in security_log(station)


def test_profile_2_tls_with_basic_auth(agent, pki):
    with CSMS(ssl_context=pki.server_context(), basic_auth={"CS001": PASSWORD}) as server:
        station = agent(url=server.url, extra=profile_flags(pki, 2))
        boot_accepted(server)
        tls = server.connections[0].ws.transport.get_extra_info("ssl_object")
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        assert server.auth_attempts[0] == ("CS001", PASSWORD)
        # The CA is now part of the station's state, in its data directory.
        assert (station.data_dir / "csms-root.pem").read_bytes() == pki.root.path.read_bytes()


def test_profile_2_prefers_ecdhe_under_tls_1_2(agent, pki):
    context = pki.server_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with CSMS(ssl_context=context, basic_auth={"CS001": PASSWORD}) as server:
        agent(url=server.url, extra=profile_flags(pki, 2))
        boot_accepted(server)
        tls = server.connections[0].ws.transport.get_extra_info("ssl_object")
        assert tls.version() == "TLSv1.2"
        # A00.FR.319: an ECDHE suite with AES-GCM.
        assert tls.cipher()[0] in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"), tls.cipher()


def test_profile_3_presents_the_client_certificate(agent, pki):
    with CSMS(ssl_context=pki.server_context(require_client_cert=True)) as server:
        station = agent(url=server.url, extra=profile_flags(pki, 3))
        boot_accepted(server)
        peer = server.connections[0].ws.transport.get_extra_info("peercert")
        subject = dict(item[0] for item in peer["subject"])
        assert subject["commonName"] == "CS001"
        # Profile 3: no Basic auth header.
        assert "Authorization" not in server.upgrade_requests[0]
        key = station.data_dir / "station-key.pem"
        assert key.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("which", ["wrong_host", "expired", "untrusted"])
def test_bad_server_certificate_is_refused(agent, pki, which):
    with CSMS(ssl_context=pki.server_context(which), basic_auth={"CS001": PASSWORD}) as server:
        station = agent(url=server.url, extra=profile_flags(pki, 2))
        wait_for(lambda: "InvalidCsmsCertificate" in security_log(station), 10, "InvalidCsmsCertificate")
        # A00.FR.311: the connection was terminated before any HTTP: no upgrade request reached the CSMS.
        assert not server.upgrade_requests and not server.connections
        port = server.port
    # A00.FR.310: a critical event, sent once a connection succeeds.
    with CSMS(ssl_context=pki.server_context(), basic_auth={"CS001": PASSWORD}, port=port) as good:
        good.wait_call("SecurityEventNotification", lambda p: p["type"] == "InvalidCsmsCertificate", timeout=15)
    assert station.proc.poll() is None


def test_tls_1_1_only_csms_is_refused(agent, pki):
    # A real TLS 1.1-only server: OpenSSL's s_server, with the system's TLS 1.2 floor lifted (OPENSSL_CONF).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cert, key = pki.server
    server = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert), "-key", str(key), "-tls1_1",
         "-cipher", "DEFAULT:@SECLEVEL=0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "OPENSSL_CONF": "/dev/null"})
    try:
        time.sleep(0.5)
        station = agent(url=f"wss://localhost:{port}/ocpp", extra=profile_flags(pki, 2))
        wait_for(lambda: "InvalidTLSVersion" in security_log(station), 10, "InvalidTLSVersion")
        assert security_log(station).count("InvalidTLSVersion") == 1
    finally:
        server.kill()
        server.wait()


def test_profile_3_station_certificate_from_another_ca_is_refused_by_the_csms(agent, pki):
    with CSMS(ssl_context=pki.server_context(require_client_cert=True)) as server:
        station = agent(url=server.url, extra=profile_flags(pki, 3, client=pki.other_station))
        wait_for(lambda: "FailedToAuthenticationAtCsms" in security_log(station), 10, "FailedToAuthenticationAtCsms")
        assert not server.calls_from_station()


def test_downgrade_and_invalid_profiles_are_rejected(agent, pki):
    with CSMS(ssl_context=pki.server_context(), basic_auth={"CS001": PASSWORD}) as server:
        agent(url=server.url, extra=profile_flags(pki, 2))
        boot_accepted(server)

        def set_profile(slot, profile, url):
            return server.call("SetNetworkProfile", {"configurationSlot": slot, "connectionData": {
                "ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": url, "messageTimeout": 10,
                "securityProfile": profile, "ocppInterface": "Wired0"}}).payload

        # B09.FR.04: below the active security profile 2.
        answer = set_profile(2, 1, "ws://127.0.0.1:9/ocpp")
        assert answer["status"] == "Rejected" and answer["statusInfo"]["reasonCode"] == "NoSecurityDowngrade"
        # B09.FR.05: a slot NetworkConfigurationPriority cannot name.
        answer = set_profile(9, 2, server.url)
        assert answer["status"] == "Rejected" and answer["statusInfo"]["reasonCode"] == "InvalidConfSlot"
        # B09.FR.02: invalid content (profile 2 over ws://).
        answer = set_profile(2, 2, "ws://127.0.0.1:9/ocpp")
        assert answer["status"] == "Rejected" and answer["statusInfo"]["reasonCode"] == "InvalidNetworkConf"
        # B09.FR.01
        assert set_profile(2, 3, server.url)["status"] == "Accepted"
        # A05.FR.02 does not apply (a station certificate is missing only for profile 3, which slot 2 is): rejected.
        answer = server.call("SetVariables", {"setVariableData": [{
            "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"},
            "attributeValue": "2,1"}]}).payload
        assert answer["setVariableResult"][0]["attributeStatus"] == "Rejected"


def test_password_update_reconnects_with_the_new_password(agent):
    with CSMS(basic_auth={"CS001": PASSWORD}) as server:
        station = agent(url=server.url, extra=profile_flags(None, 1))
        boot_accepted(server)
        # A00.FR.205: too short.
        answer = server.call("SetVariables", {"setVariableData": [{
            "component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
            "attributeValue": "short"}]}).payload
        assert answer["setVariableResult"][0]["attributeStatus"] == "Rejected"
        server.basic_auth = {"CS001": NEW_PASSWORD}
        mark = server.mark()
        answer = server.call("SetVariables", {"setVariableData": [{
            "component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
            "attributeValue": NEW_PASSWORD}]}).payload
        assert answer["setVariableResult"][0]["attributeStatus"] == "Accepted"
        # A01: the station reconnects with the new password, at once.
        server.wait_connected(count=2, timeout=5)
        assert server.auth_attempts[-1] == ("CS001", NEW_PASSWORD)
        # No new BootNotification for a mere reconnect; the station goes on working.
        answer = server.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
        assert answer.payload["status"] == "Accepted"
        server.wait_call("Heartbeat", start=mark)
        assert "BootNotification" not in server.actions_from_station(start=mark)
        # A01.FR.11: the change is in the security log, the password nowhere.
        assert "ReconfigurationOfSecurityParameters" in security_log(station)
        assert NEW_PASSWORD not in station.stderr and NEW_PASSWORD not in security_log(station)
        port = server.port
    # After a restart the stored password (and profile) win over the flags'.
    station.terminate()
    with CSMS(basic_auth={"CS001": NEW_PASSWORD}, port=port) as again:
        restarted = agent(url=again.url, data_dir=station.data_dir, extra=profile_flags(None, 1), name="again")
        boot_accepted(again)
        assert again.auth_attempts[0] == ("CS001", NEW_PASSWORD)
        assert "differs from the stored BasicAuthPassword" in restarted.stderr

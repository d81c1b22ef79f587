"""A connection that heals (Part 4 section 5, B02/B03, B10): pings and a missing pong, a CSMS that never answers the
upgrade, the boot interval kept across reconnects, compression, and falling back to another network profile."""
import socket
import threading
import time

from conftest import boot_accepted
from csms import CSMS

PASSWORD = "s3cret-password-0123"


class SilentServer:
    """Accepts TCP connections and never answers (a CSMS that hangs before the WebSocket upgrade)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append((time.monotonic(), conn))

    def close(self):
        self.sock.close()
        for _, conn in self.accepted:
            conn.close()


class Proxy:
    """A TCP proxy to `port`; freeze() silences the connections open now (nothing passes either way, nothing
    closes), as a path that died without TCP noticing. New connections pass normally."""

    def __init__(self, port):
        self.target = port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            state = {"frozen": False}
            self.connections.append(state)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink, state), daemon=True).start()

    @staticmethod
    def _pump(source, sink, state):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if not state["frozen"]:
                    sink.sendall(data)
        except OSError:
            pass
        if not state["frozen"]:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def freeze(self):
        for state in self.connections:
            state["frozen"] = True

    def close(self):
        self.sock.close()


def test_missing_pong_leads_to_a_reconnect(csms, agent):
    proxy = Proxy(csms.port)
    try:
        agent(url=f"ws://127.0.0.1:{proxy.port}/ocpp", model={("OCPPCommCtrlr", "WebSocketPingInterval", None): "1"})
        boot_accepted(csms)
        proxy.freeze()
        frozen_at = time.monotonic()
        # No pong within the ping interval: the station closes and connects again (through the proxy, anew).
        conn = csms.wait_connected(count=2, timeout=15)
        assert conn.opened_at - frozen_at < 10
        mark = csms.mark()
        assert csms.call("TriggerMessage", {"requestedMessage": "Heartbeat"}).payload["status"] == "Accepted"
        csms.wait_call("Heartbeat", start=mark)
    finally:
        proxy.close()


def test_ping_interval_change_applies_to_the_open_connection(csms, agent):
    proxy = Proxy(csms.port)
    try:
        agent(url=f"ws://127.0.0.1:{proxy.port}/ocpp", model={("OCPPCommCtrlr", "WebSocketPingInterval", None): "0"})
        boot_accepted(csms)
        answer = csms.call("SetVariables", {"setVariableData": [{
            "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "WebSocketPingInterval"},
            "attributeValue": "1"}]}).payload
        assert answer["setVariableResult"][0]["attributeStatus"] == "Accepted"
        proxy.freeze()
        # Pings started on the open connection: the dead path is noticed without waiting for TCP.
        csms.wait_connected(count=2, timeout=15)
    finally:
        proxy.close()


def test_never_answered_upgrade_times_out_and_retries(agent):
    silent = SilentServer()
    try:
        # The profile's messageTimeout (MessageTimeout, 5 s in the test model) limits the upgrade.
        agent(url=f"ws://127.0.0.1:{silent.port}/ocpp")
        deadline = time.monotonic() + 20
        while len(silent.accepted) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(silent.accepted) >= 2, "the station did not try again after a silent upgrade"
        gap = silent.accepted[1][0] - silent.accepted[0][0]
        assert 4.0 <= gap <= 10.0, gap
    finally:
        silent.close()


def test_rejected_then_dropped_retries_only_after_the_interval(agent):
    with CSMS(boot_status="Rejected", boot_interval=8) as server:
        agent(url=server.url)
        first = server.wait_call("BootNotification")
        server.wait_until(lambda: server._boot_state.get("CS001") == "Rejected", timeout=5, what="Rejected answered")
        time.sleep(0.5)  # the station reads the answer before the CSMS drops it
        server.close_connection()
        server.wait_connected(count=2, timeout=5)
        # B03.FR.02: the reconnect does not shorten the interval the CSMS gave.
        second = server.wait_call("BootNotification", start=server.index(first) + 1, timeout=15)
        assert second.at - first.at >= 7.5, second.at - first.at


def test_unknown_action_while_rejected_is_a_security_error(agent):
    with CSMS(boot_status="Rejected", boot_interval=30) as server:
        agent(url=server.url)
        server.wait_call("BootNotification")
        server.wait_until(lambda: server._boot_state.get("CS001") == "Rejected", timeout=5, what="Rejected answered")
        server.send_raw('[2,"x1","NoSuchAction",{}]')
        reply = server.reply_to("x1")
        assert reply.type == 4 and reply.error_code == "SecurityError"


def test_compression_is_negotiated(csms, agent):
    agent()
    boot_accepted(csms)
    offered = csms.upgrade_requests[0].get("Sec-WebSocket-Extensions", "")
    assert "permessage-deflate" in offered
    extensions = csms.connections[0].ws.protocol.extensions
    assert [e.name for e in extensions] == ["permessage-deflate"]


def test_network_profile_fallback_sends_a_new_boot_notification(agent):
    primary = CSMS().start()
    backup = CSMS(basic_auth={"CS001": PASSWORD}).start()
    try:
        station = agent(url=primary.url, model={("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", None): "2"})
        boot_accepted(primary)
        answer = primary.call("SetNetworkProfile", {"configurationSlot": 2, "connectionData": {
            "ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": backup.url, "messageTimeout": 5,
            "securityProfile": 1, "ocppInterface": "Wired0"}}).payload
        assert answer["status"] == "Accepted"
        answer = primary.call("SetVariables", {"setVariableData": [
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
             "attributeValue": PASSWORD},
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"},
             "attributeValue": "1,2"}]}).payload
        assert [r["attributeStatus"] for r in answer["setVariableResult"]] == ["Accepted", "Accepted"]
        primary.refuse_connections()
        # Two failed attempts on slot 1 (NetworkProfileConnectionAttempts), then slot 2.
        # Errata B10.FR.10: connected through another profile -> BootNotification, though it did not reboot.
        boot = backup.wait_call("BootNotification", timeout=30)
        assert boot.payload["reason"] in ("PowerUp", "Unknown")
        answer = backup.call("GetVariables", {"getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "ActiveNetworkProfile"}},
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "SecurityProfile"}}]}).payload
        assert [r.get("attributeValue") for r in answer["getVariableResult"]] == ["2", "1"]
        assert station.proc.poll() is None
    finally:
        primary.stop()
        backup.stop()

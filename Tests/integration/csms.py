"""A real CSMS for the integration tests and for `make run`: the PyPI `ocpp` package (its own OCA schemas, independent
of the station's code) over `websockets`, on 127.0.0.1, in a background thread with its own asyncio loop.

* Every frame in both directions is recorded with its arrival/sending time (`Frame.at`, monotonic; `Frame.wall`).
  Frames are read off the socket by a reader task as they arrive, so timestamps are real arrival times even while the
  `ocpp` handler machinery is still busy with an earlier frame.
* Every frame the station sends is checked (`CSMS.violations`):
  - OCPP-J framing (Part 4 section 4.2): CALL = [2, id(str<=36), action, {payload}], CALLRESULT = [3, id, {payload}],
    CALLERROR = [4, id, code (one of the 12 codes of section 4.3), description (str<=255), {details}]; text frames only;
  - payloads against the vendored official OCA schemas (draft-06), CALL payloads against <Action>Request.json,
    CALLRESULT payloads against the <Action>Response.json of the CSMS's CALL with that id, with `date-time` checked as
    RFC 3339 (our own checker, not depending on optional jsonschema extras);
  - CALLRESULT/CALLERROR ids answer a CALL of the CSMS, each at most once; CALL ids are never reused (section 4.1.4);
  - one outstanding CALL at a time (section 4.1.1): a CALL while an earlier CALL of the station is unanswered and has
    not timed out (`message_timeout`) is a violation;
  - boot state: after each (re)boot of the station (a new process: `expect_boot`, which the `agent` fixture calls; or
    an accepted Reset of the whole station) nothing but BootNotification until the first BootNotification answer
    (B01.FR.08); after Rejected nothing but BootNotification (B03.FR.02); after Pending nothing but BootNotification
    and the messages a TriggerMessage, GetBaseReport or GetReport of the CSMS asked for (B02.FR.02): TriggerMessage
    (StatusNotification, evse 2) allows StatusNotification of EVSE 2, GetBaseReport allows NotifyReport; a request
    the station answered with anything but Accepted allows nothing. Such CALLs are also answered with CALLERROR
    SecurityError (B01.FR.10, B02.FR.09, B03.FR.07).
* Every TransactionEventRequest goes into `CSMS.ledger` (ledger.py): per transaction, the invariants of a billing
  CSMS (one Started, one Ended, gap-free seqNo, no duplicate except identical retransmissions, energy never
  decreasing). Tests call `csms.ledger.problems()`.
* Fault modes, settable at any time (`answer_normally()` resets them): `error_actions` (answer CALLs of an action
  with CALLERROR, E13), `drop_actions` and `drop_next` (receive, never answer), `close_after_actions` (close the connection right after
  receiving such a CALL, unanswered), `refuse_connections()` / `accept_connections()` (stop listening, and drop the
  open connection; listen again on the same port), `transaction_status` (idTokenInfo.status in
  TransactionEventResponse).
* Station CALLs are answered through the `ocpp` package's ChargePoint with `@on` handlers; CSMS CALLs made with
  `CSMS.call` also go through `ChargePoint.call`. `send_raw` sends any text (for malformed-frame tests).
"""
import asyncio
import datetime
import json
import pathlib
import re
import threading
import time
import uuid

import jsonschema
import websockets
from ocpp import exceptions as ocpp_exceptions
from ocpp.charge_point import camel_to_snake_case
from ocpp.messages import unpack
from ocpp.routing import on
from ocpp.v201 import ChargePoint
from ocpp.v201 import call as ocpp_call
from ocpp.v201 import call_result

from ledger import Ledger

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "Sources" / "OCPPMessages" / "Schemas"
SUBPROTOCOL = "ocpp2.0.1"
ERROR_CODES = frozenset({
    "FormatViolation", "GenericError", "InternalError", "MessageTypeNotSupported", "NotImplemented", "NotSupported",
    "OccurrenceConstraintViolation", "PropertyConstraintViolation", "ProtocolError", "RpcFrameworkError",
    "SecurityError", "TypeConstraintViolation",
})
TRIGGERING_ACTIONS = frozenset({"TriggerMessage", "GetBaseReport", "GetReport"})
# TriggerMessageRequest.requestedMessage (MessageTriggerEnumType) -> the action of the CALL it asks for.
TRIGGERED_ACTION = {
    "BootNotification": "BootNotification", "LogStatusNotification": "LogStatusNotification",
    "FirmwareStatusNotification": "FirmwareStatusNotification", "Heartbeat": "Heartbeat", "MeterValues": "MeterValues",
    "SignChargingStationCertificate": "SignCertificate", "SignV2GCertificate": "SignCertificate",
    "SignCombinedCertificate": "SignCertificate", "StatusNotification": "StatusNotification",
    "TransactionEvent": "TransactionEvent", "PublishFirmwareStatusNotification": "PublishFirmwareStatusNotification",
}

# --- schema validation --------------------------------------------------------------------------------------------

# RFC 3339 section 5.6 date-time (the `date-time` format of JSON Schema), with a real calendar check.
_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$")


def is_rfc3339_date_time(value):
    if not isinstance(value, str):
        return True  # formats only constrain strings
    m = _DATE_TIME.match(value)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    if m.group(9) is not None and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return False
    return True


FORMAT_CHECKER = jsonschema.FormatChecker(formats=())
FORMAT_CHECKER.checks("date-time")(is_rfc3339_date_time)
_validators = {}
_validators_lock = threading.Lock()


def validator(name):
    """Draft6Validator for Schemas/<name>.json (e.g. "BootNotificationRequest"), None if there is no such schema."""
    with _validators_lock:
        if name not in _validators:
            path = SCHEMAS / f"{name}.json"
            if path.exists():
                schema = json.loads(path.read_text())
                _validators[name] = jsonschema.Draft6Validator(schema, format_checker=FORMAT_CHECKER)
            else:
                _validators[name] = None
        return _validators[name]


def schema_errors(name, payload):
    v = validator(name)
    if v is None:
        return [f"no schema {name}.json"]
    return [f"{'/'.join(map(str, e.absolute_path)) or '<payload>'}: {e.message}"
            for e in sorted(v.iter_errors(payload), key=str)]


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- frames -------------------------------------------------------------------------------------------------------

class Frame:
    """One WebSocket text frame. direction: "in" = station -> CSMS, "out" = CSMS -> station."""

    KINDS = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}

    def __init__(self, direction, text, station_id, connection=None):
        self.direction = direction
        self.text = text
        self.station_id = station_id
        self.connection = connection  # the number of the connection (1, 2, ...)
        self.at = time.monotonic()
        self.wall = time.time()
        self.action_of_call = None  # for answers: the action of the CALL they answer, filled in by the CSMS
        try:
            self.message = json.loads(text)
        except (ValueError, TypeError):
            self.message = None

    @property
    def type(self):
        m = self.message
        return m[0] if isinstance(m, list) and m and isinstance(m[0], int) else None

    @property
    def id(self):
        return self.message[1] if isinstance(self.message, list) and len(self.message) > 1 else None

    @property
    def action(self):
        return self.message[2] if self.type == 2 and len(self.message) > 2 else None

    @property
    def payload(self):
        m = self.message
        if self.type == 2 and len(m) > 3:
            return m[3]
        if self.type == 3 and len(m) > 2:
            return m[2]
        if self.type == 4 and len(m) > 4:
            return m[4]
        return None

    @property
    def error_code(self):
        return self.message[2] if self.type == 4 and len(self.message) > 2 else None

    @property
    def kind(self):
        return self.KINDS.get(self.type, "?")

    def line(self):
        """One human-readable line: `<- station CALL BootNotification {...}`."""
        arrow = "<- station" if self.direction == "in" else "-> station"
        body = json.dumps(self.payload, separators=(",", ":")) if self.message is not None else repr(self.text)
        if self.type == 2:
            return f"{arrow} CALL {self.action} {body}"
        if self.type == 3:
            return f"{arrow} CALLRESULT {self.action_of_call + ' ' if self.action_of_call else ''}{body}"
        if self.type == 4:
            desc = self.message[3] if len(self.message) > 3 else ""
            return f"{arrow} CALLERROR {self.error_code} {json.dumps(desc)} {body} (id {self.id})"
        return f"{arrow} ? {self.text[:500]!r}"

    def __repr__(self):
        return f"<{self.direction}#{self.connection} {self.text[:300]}>"


class _Closed(Exception):
    pass


class RecordingConnection:
    """What the ChargePoint reads from and writes to. A reader task records each frame when it arrives."""

    _END = object()

    def __init__(self, ws, csms, station_id, number):
        self.ws = ws
        self.csms = csms
        self.station_id = station_id
        self.number = number
        self.queue = asyncio.Queue()
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self):
        try:
            async for text in self.ws:
                if isinstance(text, bytes):
                    self.csms.violation(f"binary WebSocket frame (OCPP-J uses text frames): {text[:200]!r}")
                    text = text.decode("utf-8", "replace")
                self.csms.record(Frame("in", text, self.station_id, self.number))
                self.queue.put_nowait(text)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.queue.put_nowait(self._END)

    async def recv(self):
        text = await self.queue.get()
        if text is self._END:
            self.queue.put_nowait(self._END)
            raise _Closed()
        return text

    async def send(self, text):
        if self.csms.answer_delay and text.startswith(("[3", "[4")):
            await asyncio.sleep(self.csms.answer_delay)  # a slow CSMS: CALLs queue up behind an unanswered one
        self.csms.record(Frame("out", text, self.station_id, self.number))
        await self.ws.send(text)


class StationHandler(ChargePoint):
    """The CSMS side of one connection: the `ocpp` package's ChargePoint with handlers for every station CALL."""

    def __init__(self, station_id, connection, csms):
        super().__init__(station_id, connection, response_timeout=csms.response_timeout)
        self.csms = csms

    async def route_message(self, raw_msg):
        try:
            msg = unpack(raw_msg)
        except Exception:
            return await super().route_message(raw_msg)
        if getattr(msg, "message_type_id", None) == 2:
            # B01.FR.10 / B02.FR.09 / B03.FR.07: a CALL not allowed in the boot state gets CALLERROR SecurityError.
            if not self.csms.call_allowed(self.id, msg.action, msg.payload):
                error = ocpp_exceptions.SecurityError(f"{msg.action} not allowed before the boot was accepted")
                await self._send(msg.create_call_error(error).to_json())
                return
            fault = self.csms.fault_for(msg.action)
            if fault == "close":
                await self._connection.ws.close(1000, "")
                return
            if fault == "drop":
                return
            if fault is not None:
                await self._send(json.dumps([4, msg.unique_id, fault, "test CSMS fault mode", {}]))
                return
        return await super().route_message(raw_msg)

    @on("BootNotification")
    def on_boot_notification(self, charging_station, reason, **kwargs):
        return call_result.BootNotification(
            current_time=now_iso(), interval=self.csms.boot_interval, status=self.csms.boot_status)

    @on("Heartbeat")
    def on_heartbeat(self, **kwargs):
        return call_result.Heartbeat(current_time=now_iso())

    @on("StatusNotification")
    def on_status_notification(self, **kwargs):
        return call_result.StatusNotification()

    @on("SecurityEventNotification")
    def on_security_event_notification(self, **kwargs):
        return call_result.SecurityEventNotification()

    @on("NotifyReport")
    def on_notify_report(self, **kwargs):
        return call_result.NotifyReport()

    @on("NotifyEvent")
    def on_notify_event(self, **kwargs):
        return call_result.NotifyEvent()

    @on("NotifyMonitoringReport")
    def on_notify_monitoring_report(self, **kwargs):
        return call_result.NotifyMonitoringReport()

    @on("Authorize")
    def on_authorize(self, id_token, **kwargs):
        # authorize_info: per idToken value, the whole idTokenInfo (groupIdToken, cacheExpiryDateTime, evseId ...).
        info = self.csms.authorize_info.get(id_token["id_token"], {"status": self.csms.authorize_status})
        return call_result.Authorize(id_token_info=info)

    @on("TransactionEvent")
    def on_transaction_event(self, event_type, id_token=None, **kwargs):
        # E01.FR.11: idTokenInfo answers an event that carries an idToken.
        if id_token is not None:
            status = self.csms.transaction_status or self.csms.authorize_status
            return call_result.TransactionEvent(id_token_info={"status": status})
        return call_result.TransactionEvent()

    @on("MeterValues")
    def on_meter_values(self, **kwargs):
        return call_result.MeterValues()

    @on("FirmwareStatusNotification")
    def on_firmware_status_notification(self, **kwargs):
        return call_result.FirmwareStatusNotification()

    @on("LogStatusNotification")
    def on_log_status_notification(self, **kwargs):
        return call_result.LogStatusNotification()

    @on("ReservationStatusUpdate")
    def on_reservation_status_update(self, **kwargs):
        return call_result.ReservationStatusUpdate()

    @on("NotifyChargingLimit")
    def on_notify_charging_limit(self, **kwargs):
        return call_result.NotifyChargingLimit()

    @on("ClearedChargingLimit")
    def on_cleared_charging_limit(self, **kwargs):
        return call_result.ClearedChargingLimit()

    @on("NotifyEVChargingNeeds")
    def on_notify_ev_charging_needs(self, **kwargs):
        return call_result.NotifyEVChargingNeeds(status="Accepted")

    @on("NotifyEVChargingSchedule")
    def on_notify_ev_charging_schedule(self, **kwargs):
        return call_result.NotifyEVChargingSchedule(status="Accepted")

    @on("ReportChargingProfiles")
    def on_report_charging_profiles(self, **kwargs):
        return call_result.ReportChargingProfiles()

    @on("NotifyCustomerInformation")
    def on_notify_customer_information(self, **kwargs):
        return call_result.NotifyCustomerInformation()

    @on("NotifyDisplayMessages")
    def on_notify_display_messages(self, **kwargs):
        return call_result.NotifyDisplayMessages()

    @on("PublishFirmwareStatusNotification")
    def on_publish_firmware_status_notification(self, **kwargs):
        return call_result.PublishFirmwareStatusNotification()

    @on("SignCertificate")
    def on_sign_certificate(self, **kwargs):
        return call_result.SignCertificate(status=self.csms.sign_certificate_status)

    @on("Get15118EVCertificate")
    def on_get_15118_ev_certificate(self, **kwargs):
        return call_result.Get15118EVCertificate(status="Failed", exi_response="")

    @on("GetCertificateStatus")
    def on_get_certificate_status(self, **kwargs):
        return call_result.GetCertificateStatus(status="Failed")

    @on("DataTransfer")
    def on_data_transfer(self, **kwargs):
        return call_result.DataTransfer(status="UnknownVendorId")


class Connection:
    def __init__(self, number, ws, station_id, path):
        self.number = number
        self.ws = ws
        self.station_id = station_id
        self.path = path
        self.subprotocol = ws.subprotocol
        self.handler = None
        self.opened_at = time.monotonic()
        self.closed_at = None
        self.close_code = None  # the code of the close frame the station sent, None if it sent none
        self.close_reason = None


# --- the CSMS -----------------------------------------------------------------------------------------------------

class CSMS:
    """A CSMS on 127.0.0.1 with an OS-assigned port (or `port`). All public methods are thread-safe and synchronous,
    for use from ordinary test functions; `start()` runs the server in a background thread.

    boot_status / boot_interval: what BootNotificationResponse says; change them at any time (e.g. Pending, then
    `csms.boot_status = "Accepted"`: the next BootNotification is accepted).
    subprotocols: the subprotocols the CSMS agrees to (selected only if the station offers one); none agreed: the
    handshake completes without Sec-WebSocket-Protocol and the CSMS closes at once (Part 4 section 3.2).
    force_subprotocol: answer the handshake with this subprotocol whatever the station offered (a broken CSMS).
    answer_delay: seconds the CSMS waits before each CALLRESULT/CALLERROR it sends (0: none).
    authorize_status: idTokenInfo.status in AuthorizeResponse (authorize_info {idToken: idTokenInfo} overrides it per
    token); transaction_status: the same in TransactionEventResponse
    (None: authorize_status).
    Fault modes (any time): error_actions {action: CALLERROR code}, drop_actions {action or "*"}, drop_next {action:
    how many of its next CALLs to drop}, close_after_actions {action or "*"}, refuse_connections() /
    accept_connections(); answer_normally() clears them all.
    """

    def __init__(self, boot_status="Accepted", boot_interval=300, subprotocols=(SUBPROTOCOL,), port=0,
                 host="127.0.0.1", force_subprotocol=None, keep_frames=True, on_frame=None, message_timeout=5.0,
                 response_timeout=10, ssl_context=None, basic_auth=None, url_host=None):
        # ssl_context: serve wss:// with this ssl.SSLContext (the URL names url_host, default "localhost", so the
        # station can check the host name). basic_auth: {station id: password}; a connection without the right
        # Authorization header gets HTTP 401 (A00.FR.324). auth_attempts: (user, password or None) per upgrade.
        self.ssl_context = ssl_context
        self.basic_auth = basic_auth
        self.url_host = url_host or ("localhost" if ssl_context is not None else host)
        self.auth_attempts = []
        self.upgrade_requests = []  # the headers of every upgrade request, in order
        self.boot_status = boot_status
        self.boot_interval = boot_interval
        self.authorize_status = "Accepted"
        self.authorize_info = {}  # idToken value -> idTokenInfo (snake_case keys) in AuthorizeResponse
        self.transaction_status = None
        self.sign_certificate_status = "Rejected"  # SignCertificateResponse.status (A02.FR.11/12)
        self.answer_delay = 0.0
        self.error_actions = {}
        self.drop_actions = set()
        self.drop_next = {}  # action -> how many of its next CALLs to drop (then answered normally again)
        self.close_after_actions = set()
        self.listening = False
        self.ledger = Ledger()
        self.subprotocols = list(subprotocols)
        self.force_subprotocol = force_subprotocol
        self.host = host
        self.port = port
        self.keep_frames = keep_frames
        self.on_frame = on_frame  # called (in the server thread) with each Frame and with each violation string
        self.message_timeout = message_timeout  # the station's MessageTimeout: for the one-CALL-at-a-time check
        self.response_timeout = response_timeout
        self.frames = []
        self.violations = []
        # Callables returning a message when waiting is pointless (e.g. the agent process died): waits end early.
        self.watchers = []
        self.events = []  # connection events and violations, "<monotonic time> text"
        self.connections = []  # every Connection, in order
        self.refused = []  # Connections the CSMS closed because no subprotocol was agreed
        self._condition = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="csms")
        self._server = None
        self._current = None  # the newest open Connection
        # protocol state, per station id
        self._csms_calls = {}  # message id -> [action, times sent, times answered] of CALLs the CSMS sent
        self._station_call_ids = {}  # station id -> set of ids of its CALLs
        self._station_calls = {}  # message id -> action, CALLs of the station (to name the CALLRESULTs)
        self._outstanding = {}  # connection number -> {id: (action, monotonic time)} of unanswered station CALLs
        self._boot_state = {}  # station id -> "Accepted"/"Pending"/"Rejected" as last answered
        # station id -> {CSMS message id: (action, evse id or None, connector id or None)}: what a TriggerMessage,
        # GetBaseReport or GetReport sent while the boot is not Accepted allows the station to send (B02.FR.02)
        self._allowed = {}
        self._csms_call_payloads = {}  # message id -> payload of CALLs the CSMS sent
        self._reboot_expected = set()  # station ids whose next connection follows a reboot (expect_boot, Reset)
        ALL.append(self)

    # lifecycle

    def start(self):
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    async def _serve(self):
        def select(connection, offered):
            if self.force_subprotocol is not None:
                return self.force_subprotocol
            for protocol in self.subprotocols:
                if protocol in offered:
                    return protocol
            return None  # handshake completes without the header; _on_connect closes at once
        self._server = await websockets.serve(
            self._on_connect, self.host, self.port, select_subprotocol=select, ping_interval=None,
            ssl=self.ssl_context, process_request=self._check_request)
        self.port = self._server.sockets[0].getsockname()[1]
        self.listening = True

    def _check_request(self, connection, request):
        """HTTP Basic authentication (security profiles 1 and 2), when basic_auth is set."""
        self.upgrade_requests.append(dict(request.headers.raw_items()))
        if self.basic_auth is None:
            return None
        import base64
        header = request.headers.get("Authorization", "")
        user = password = None
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        self.auth_attempts.append((user, password))
        station_id = request.path.rsplit("/", 1)[-1]
        if user != station_id or self.basic_auth.get(station_id) != password:
            self._emit(f"== refused upgrade from {user!r}: wrong credentials")
            return connection.respond(401, "wrong credentials\n")
        return None

    def refuse_connections(self):
        """Stops listening (new connections are refused) and closes the open connection, as a CSMS that went down."""
        async def down():
            if self._server is not None:
                self._server.close()
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self.listening = False
        self._run(down(), 10)
        self._emit("== CSMS refuses connections")

    def accept_connections(self):
        """Listens again on the same port after refuse_connections()."""
        if not self.listening:
            self._run(self._serve(), 10)
            self._emit("== CSMS accepts connections")

    def answer_normally(self):
        """Ends every fault mode: answers every CALL, listens."""
        self.error_actions, self.drop_actions, self.close_after_actions, self.drop_next = {}, set(), set(), {}
        self.transaction_status = None
        self.accept_connections()

    def fault_for(self, action):
        """"close", "drop", a CALLERROR code, or None (answer normally) for a station CALL of `action`."""
        if action in self.close_after_actions or "*" in self.close_after_actions:
            return "close"
        if action in self.drop_actions or "*" in self.drop_actions:
            return "drop"
        with self._condition:
            if self.drop_next.get(action, 0) > 0:
                self.drop_next[action] -= 1
                return "drop"
        return self.error_actions.get(action)

    def expect_boot(self, station_id):
        """The station with this id (re)boots now (a new process): on its next connection, nothing but
        BootNotification until the first BootNotification answer (B01.FR.08). The next connection, not at once: frames
        the previous process sent just before it died may still be on their way through the old connection."""
        with self._condition:
            self._reboot_expected.add(station_id)

    def stop(self):
        if not self._thread.is_alive():
            return

        async def shutdown():
            if self.listening:
                self._server.close()
                await asyncio.wait_for(self._server.wait_closed(), 5)
        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        except Exception:
            pass
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    @property
    def running(self):
        return self._thread.is_alive()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        """The OCPP-J endpoint URL; the station appends /<station id>."""
        scheme = "wss" if self.ssl_context is not None else "ws"
        return f"{scheme}://{self.url_host}:{self.port}/ocpp"

    async def _on_connect(self, ws):
        path = ws.request.path
        station_id = path.rsplit("/", 1)[-1]
        with self._condition:
            conn = Connection(len(self.connections) + 1, ws, station_id, path)
            self.connections.append(conn)
            if station_id in self._reboot_expected:
                # A new process (expect_boot) or an accepted Reset of the whole station: this connection follows a
                # (re)boot (B01.FR.08).
                self._reboot_expected.discard(station_id)
                self._boot_state[station_id] = "Booting"
                self._allowed.pop(station_id, None)
            self._outstanding[conn.number] = {}
            self._condition.notify_all()
        self._emit(f"== connection {conn.number} from {ws.remote_address[0]}:{ws.remote_address[1]} path {path} "
                   f"subprotocol {conn.subprotocol}")
        if conn.subprotocol is None:
            # Part 4 section 3.2: no agreed subprotocol -> complete the handshake, then close at once.
            with self._condition:
                self.refused.append(conn)
            await ws.close(1002, "no agreed subprotocol")
            self._closed(conn)
            return
        with self._condition:
            self._current = conn
        recording = RecordingConnection(ws, self, station_id, conn.number)
        conn.handler = StationHandler(station_id, recording, self)
        try:
            await conn.handler.start()
        except (_Closed, websockets.ConnectionClosed):
            pass
        finally:
            recording.reader.cancel()
            self._closed(conn)

    def _closed(self, conn):
        ws = conn.ws
        with self._condition:
            conn.closed_at = time.monotonic()
            close = ws.protocol.close_rcvd
            if close is not None:
                conn.close_code, conn.close_reason = close.code, close.reason
            if self._current is conn:
                self._current = None
            self._condition.notify_all()
        self._emit(f"== connection {conn.number} closed (station's close frame: "
                   f"{conn.close_code if conn.close_code is not None else 'none'}; CSMS sent close: "
                   f"{ws.protocol.close_sent.code if ws.protocol.close_sent else 'none'})")

    def _emit(self, item):
        if not isinstance(item, Frame):
            with self._condition:
                self.events.append(f"{time.monotonic():.3f} {item}")
                del self.events[:-200]
        if self.on_frame is not None:
            try:
                self.on_frame(item)
            except Exception:
                pass

    # recording and validation

    def violation(self, text):
        with self._condition:
            self.violations.append(text)
            self._condition.notify_all()
        self._emit(f"!! VIOLATION {text}")

    def record(self, frame):
        problems = []
        with self._condition:
            if frame.direction == "in":
                problems = self._check_in(frame)
            else:
                self._track_out(frame)
            if self.keep_frames:
                self.frames.append(frame)
            self._condition.notify_all()
        self._emit(frame)
        for problem in problems:
            self.violation(f"{problem}: {frame.text[:600]}")

    def _track_out(self, frame):
        if frame.type not in (3, 4) and isinstance(frame.id, str):
            # A CALL (or a malformed frame with a readable id that may be answered): [action, sent, answered].
            call = self._csms_calls.setdefault(frame.id, [frame.action, 0, 0])
            call[0] = frame.action
            call[1] += 1
        if frame.type == 2:
            self._csms_call_payloads[frame.id] = frame.payload
            if frame.action in TRIGGERING_ACTIONS and self._boot_state.get(frame.station_id) not in (None, "Accepted"):
                allowance = self._allowance(frame.action, frame.payload)
                if allowance is not None:
                    self._allowed.setdefault(frame.station_id, {})[frame.id] = allowance
        elif frame.type in (3, 4):
            outstanding = self._outstanding.get(frame.connection, {})
            outstanding.pop(frame.id, None)
            action = self._station_calls.get(frame.id)
            frame.action_of_call = action
            if action == "BootNotification" and frame.type == 3 and isinstance(frame.payload, dict):
                status = frame.payload.get("status")
                self._boot_state[frame.station_id] = status
                if status == "Accepted":
                    self._allowed.pop(frame.station_id, None)
            if action == "TransactionEvent":
                self.ledger.answered(frame.station_id, frame.id, "CALLRESULT" if frame.type == 3 else frame.error_code,
                                     frame.payload)

    @staticmethod
    def _allowance(action, payload):
        """What a triggering CALL of the CSMS allows the station to send: (action, evse id, connector id)."""
        payload = payload if isinstance(payload, dict) else {}
        if action == "TriggerMessage":
            allowed = TRIGGERED_ACTION.get(payload.get("requestedMessage"))
            if allowed is None:
                return None
            evse = payload.get("evse") or {}
            return allowed, evse.get("id"), evse.get("connectorId")
        return "NotifyReport", None, None  # GetBaseReport, GetReport (B07, B08)

    def _station_answered(self, frame, call):
        """The station answered a CALL of the CSMS: a triggering request it did not accept allows nothing."""
        if call[0] not in TRIGGERING_ACTIONS:
            if (call[0] == "Reset" and frame.type == 3 and isinstance(frame.payload, dict)
                    and frame.payload.get("status") in ("Accepted", "Scheduled")
                    and "evseId" not in (self._csms_call_payloads.get(frame.id) or {})):
                self._reboot_expected.add(frame.station_id)  # B11/B12: the station reboots; then B01.FR.08 applies
            return
        accepted = frame.type == 3 and isinstance(frame.payload, dict) and frame.payload.get("status") == "Accepted"
        if not accepted:
            self._allowed.get(frame.station_id, {}).pop(frame.id, None)

    def call_allowed(self, station_id, action, payload=None):
        """Whether the station may send a CALL of `action` with `payload` now (B01.FR.08, B02.FR.02, B03.FR.02)."""
        with self._condition:
            return self.call_allowed_locked(station_id, action, payload)

    def _check_in(self, frame):
        m = frame.message
        if m is None:
            return ["not JSON"]
        if not isinstance(m, list) or not m:
            return ["not a non-empty JSON array"]
        kind = m[0]
        if kind not in (2, 3, 4) or isinstance(kind, bool):
            return [f"unknown MessageTypeId {kind!r}"]
        if len(m) < 2 or not isinstance(m[1], str) or not (1 <= len(m[1]) <= 36):
            return ["messageId must be a string of 1 to 36 characters"]
        message_id = m[1]
        problems = []
        if kind == 2:
            if len(m) != 4 or not isinstance(m[2], str) or not isinstance(m[3], dict):
                return ["CALL must be [2, messageId, action, {payload}]"]
            action = m[2]
            ids = self._station_call_ids.setdefault(frame.station_id, set())
            if message_id in ids:
                problems.append(f"CALL messageId {message_id!r} reused (Part 4 4.1.4)")
            ids.add(message_id)
            self._station_calls[message_id] = action
            outstanding = self._outstanding.setdefault(frame.connection, {})
            for other_id, (other_action, sent) in outstanding.items():
                # Arrival times, not sending times: a reader delayed on a loaded machine can stamp the earlier CALL
                # late, so a station that did wait its MessageTimeout may seem a little early. 10 % slack keeps the
                # check (a CALL sent without waiting is still caught) without that false alarm.
                if frame.at - sent < self.message_timeout * 0.9:
                    problems.append(f"CALL {action} sent while CALL {other_action} ({other_id}) of "
                                    f"{frame.at - sent:.2f} s ago is unanswered (Part 4 4.1.1)")
            outstanding[message_id] = (action, frame.at)
            if not self.call_allowed_locked(frame.station_id, action, m[3]):
                state = self._boot_state.get(frame.station_id)
                rule = {"Booting": "B01.FR.08: nothing but BootNotification between (re)boot and its first answer",
                        "Pending": "B02.FR.02: only BootNotification and what the CSMS triggered",
                        "Rejected": "B03.FR.02: only BootNotification"}.get(state, "")
                problems.append(f"CALL {action} while the boot is {state} ({rule})")
            schema = schema_errors(f"{action}Request", m[3])
            problems += [f"{action}Request: {e}" for e in schema]
            if action == "TransactionEvent" and not schema:
                self.ledger.record(frame)
        elif kind == 3:
            if len(m) != 3 or not isinstance(m[2], dict):
                return ["CALLRESULT must be [3, messageId, {payload}]"]
            problems += self._answer_problems(frame, message_id)
            call = self._csms_calls.get(message_id)
            if call is not None:
                frame.action_of_call = call[0]
                problems += [f"{call[0]}Response: {e}" for e in schema_errors(f"{call[0]}Response", m[2])]
                self._station_answered(frame, call)
        else:
            if len(m) != 5:
                return ["CALLERROR must have 5 elements [4, messageId, errorCode, errorDescription, {errorDetails}]"]
            if m[2] not in ERROR_CODES:
                problems.append(f"errorCode {m[2]!r} is not one of the codes of Part 4 section 4.3")
            if not isinstance(m[3], str) or len(m[3]) > 255:
                problems.append("errorDescription must be a string of at most 255 characters")
            if not isinstance(m[4], dict):
                problems.append("errorDetails must be an object")
            if message_id != "-1":
                problems += self._answer_problems(frame, message_id)
                call = self._csms_calls.get(message_id)
                if call is not None:
                    frame.action_of_call = call[0]
                    self._station_answered(frame, call)
        return problems

    def call_allowed_locked(self, station_id, action, payload=None):
        state = self._boot_state.get(station_id)
        if action == "BootNotification" or state in (None, "Accepted"):
            return True
        if state != "Pending":
            return False  # Booting (B01.FR.08), Rejected (B03.FR.02)
        payload = payload if isinstance(payload, dict) else {}
        for allowed, evse, connector in self._allowed.get(station_id, {}).values():
            if allowed != action:
                continue
            # A trigger for one EVSE (connector) allows the message about that EVSE (connector) only.
            if action in ("StatusNotification", "MeterValues") and evse is not None \
                    and payload.get("evseId") != evse:
                continue
            if action == "StatusNotification" and connector is not None and payload.get("connectorId") != connector:
                continue
            return True
        return False

    def _answer_problems(self, frame, message_id):
        call = self._csms_calls.get(message_id)
        if call is None:
            return [f"answer to {message_id!r}, which is no CALL of the CSMS"]
        call[2] += 1
        if call[2] > call[1]:
            return [f"more answers than CALLs of the CSMS with id {message_id!r}"]
        return []

    # waiting

    def wait_until(self, condition, timeout=10, what="condition"):
        """Waits until condition() (evaluated under the lock) is true; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                result = condition()
                if result:
                    return result
                for watcher in self.watchers:
                    problem = watcher()
                    if problem:
                        raise AssertionError(f"{what}: {problem}; last frames:\n" + self._tail())
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{what}: not within {timeout} s; last frames:\n" + self._tail())
                self._condition.wait(min(remaining, 0.25) if self.watchers else remaining)

    def _tail(self, n=15):
        return "\n".join(f"  {f.line()[:300]}" for f in self.frames[-n:]) or "  (no frames)"

    def wait_for(self, predicate=None, timeout=10, start=0, what=None, *, action=None, where=None,
                 direction="in", kind=None):
        """The first recorded frame at index >= start matching all of: direction ("in": from the station; None: any),
        action (CALLs of that action), kind (2/3/4), where(payload), predicate(frame). AssertionError on timeout.

        csms.wait_for(action="StatusNotification", where=lambda p: p["evseId"] == 1, timeout=10)
        """
        def matches(f):
            if direction is not None and f.direction != direction:
                return False
            if action is not None and (f.type != 2 or f.action != action):
                return False
            if kind is not None and f.type != kind:
                return False
            if where is not None:
                try:
                    if not where(f.payload):
                        return False
                except (KeyError, TypeError, IndexError):
                    return False
            return predicate is None or predicate(f)

        def find():
            for frame in self.frames[start:]:
                if matches(frame):
                    return frame
            return None
        label = what or f"{action or 'frame'} from the station" if direction == "in" else (what or "frame")
        return self.wait_until(find, timeout, what=label)

    def wait_call(self, action, where=None, timeout=10, start=0):
        """The first CALL of `action` from the station at index >= start whose payload satisfies `where`."""
        return self.wait_for(action=action, where=where, timeout=timeout, start=start)

    def wait_connected(self, count=1, timeout=10):
        """Waits until the station has opened `count` connections in total and one is open (subprotocol agreed)."""
        self.wait_until(lambda: len(self.connections) >= count and self._current is not None, timeout,
                        what=f"connection number {count} of the station")
        return self._current

    def wait_disconnected(self, timeout=10):
        """Waits until no connection is open; returns the last Connection (close_code: the station's close frame)."""
        self.wait_until(lambda: self._current is None and all(c.closed_at for c in self.connections), timeout,
                        what="the station closing the connection")
        return self.connections[-1] if self.connections else None

    def calls_from_station(self, start=0):
        with self._condition:
            return [f for f in self.frames[start:] if f.direction == "in" and f.type == 2]

    def actions_from_station(self, start=0):
        return [f.action for f in self.calls_from_station(start)]

    def mark(self):
        """The index of the next frame: pass as start= to wait only for frames after this point."""
        with self._condition:
            return len(self.frames)

    def index(self, frame):
        with self._condition:
            return self.frames.index(frame)

    def answer_to(self, frame):
        """The CSMS's recorded CALLRESULT/CALLERROR to a CALL of the station (waits for it)."""
        return self.wait_for(lambda f: f.type in (3, 4) and f.id == frame.id, direction="out",
                             what=f"the CSMS's answer to {frame.action}")

    # acting as the CSMS

    def _run(self, coroutine, timeout):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _connection(self):
        conn = self._current
        if conn is None:
            raise AssertionError("no station connected; last frames:\n" + self._tail())
        return conn

    def send_raw(self, text):
        """Sends `text` as one WebSocket text frame to the connected station (recorded like any frame)."""
        conn = self._connection()

        async def send():
            await conn.handler._connection.send(text)
        self._run(send(), 10)

    def reply_to(self, message_id, timeout=10, start=0):
        """The station's CALLRESULT or CALLERROR with message_id."""
        return self.wait_for(lambda f: f.type in (3, 4) and f.id == message_id, timeout, start,
                             what=f"the station's answer to {message_id}")

    def call(self, action, payload, timeout=10):
        """Sends a CALL through the ocpp package's ChargePoint.call (it validates the request) and returns the
        station's answer Frame (CALLRESULT or CALLERROR; `.payload`, `.error_code`). Invalid requests: send_raw."""
        conn = self._connection()
        request = getattr(ocpp_call, action)(**camel_to_snake_case(payload))
        message_id = str(uuid.uuid4())
        start = self.mark()

        async def send():
            try:
                await conn.handler.call(request, suppress=True, unique_id=message_id)
            except (ocpp_exceptions.OCPPError, ocpp_exceptions.ValidationError, asyncio.TimeoutError, _Closed,
                    websockets.ConnectionClosed):
                pass  # the frame is recorded (and checked) either way
        future = asyncio.run_coroutine_threadsafe(send(), self._loop)
        try:
            return self.reply_to(message_id, timeout, start)
        finally:
            try:
                future.result(timeout)
            except Exception:
                pass

    def close_connection(self, code=1000, reason=""):
        """Closes the station's connection from the CSMS side (a normal WebSocket close)."""
        conn = self._connection()
        self._run(conn.ws.close(code, reason), 10)


ALL = []  # every CSMS created (the test fixtures check all of them for violations)

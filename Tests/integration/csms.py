"""A real CSMS for the integration tests: the PyPI `ocpp` package (OCA schemas, independent of the station's code)
over `websockets`, in a background thread.

Every frame is recorded. Every frame the station sends is checked: OCPP-J framing (Part 4 section 4.2) and the
payload against the official OCA JSON schema (CALL payloads against <Action>Request.json, CALLRESULT payloads
against the Response schema of the CSMS's CALL with that id), with `date-time` really checked. Violations are kept in
`csms.violations`; the test fixtures fail a test that leaves any.
"""
import asyncio
import datetime
import json
import pathlib
import threading
import time
import uuid

import jsonschema
import websockets
from ocpp.routing import on
from ocpp.v201 import ChargePoint
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "Sources" / "OCPPMessages" / "Schemas"
ERROR_CODES = {
    "FormatViolation", "GenericError", "InternalError", "MessageTypeNotSupported", "NotImplemented", "NotSupported",
    "OccurrenceConstraintViolation", "PropertyConstraintViolation", "ProtocolError", "RpcFrameworkError",
    "SecurityError", "TypeConstraintViolation",
}
FORMAT_CHECKER = jsonschema.Draft6Validator.FORMAT_CHECKER  # rfc3339-validator installed: date-time is checked
_validators = {}


def validator(name):
    if name not in _validators:
        path = SCHEMAS / f"{name}.json"
        if not path.exists():
            return None
        schema = json.loads(path.read_text())
        _validators[name] = jsonschema.Draft6Validator(schema, format_checker=FORMAT_CHECKER)
    return _validators[name]


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Frame:
    def __init__(self, direction, text, station_id):
        self.direction = direction  # "in": station -> CSMS, "out": CSMS -> station
        self.text = text
        self.station_id = station_id
        self.at = time.monotonic()
        try:
            self.message = json.loads(text)
        except ValueError:
            self.message = None

    @property
    def type(self):
        return self.message[0] if isinstance(self.message, list) and self.message else None

    @property
    def id(self):
        return self.message[1] if isinstance(self.message, list) and len(self.message) > 1 else None

    @property
    def action(self):
        return self.message[2] if self.type == 2 and len(self.message) > 2 else None

    @property
    def payload(self):
        if self.type == 2:
            return self.message[3]
        if self.type == 3:
            return self.message[2]
        return None

    def __repr__(self):
        return f"<{self.direction} {self.text[:300]}>"


class RecordingConnection:
    """What ChargePoint reads from and writes to: the websocket, with every frame recorded."""

    def __init__(self, ws, csms, station_id):
        self.ws = ws
        self.csms = csms
        self.station_id = station_id

    async def recv(self):
        text = await self.ws.recv()
        self.csms.record(Frame("in", text, self.station_id))
        return text

    async def send(self, text):
        self.csms.record(Frame("out", text, self.station_id))
        await self.ws.send(text)


class StationHandler(ChargePoint):
    def __init__(self, station_id, connection, csms):
        super().__init__(station_id, connection, response_timeout=10)
        self.csms = csms

    @on(Action.boot_notification)
    def on_boot_notification(self, charging_station, reason, **kwargs):
        return call_result.BootNotification(
            current_time=now_iso(), interval=self.csms.boot_interval, status=self.csms.boot_status)

    @on(Action.heartbeat)
    def on_heartbeat(self, **kwargs):
        return call_result.Heartbeat(current_time=now_iso())

    @on(Action.status_notification)
    def on_status_notification(self, **kwargs):
        return call_result.StatusNotification()

    @on(Action.security_event_notification)
    def on_security_event_notification(self, **kwargs):
        return call_result.SecurityEventNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, **kwargs):
        return call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification)
    def on_log_status_notification(self, **kwargs):
        return call_result.LogStatusNotification()

    @on(Action.notify_report)
    def on_notify_report(self, **kwargs):
        return call_result.NotifyReport()

    @on(Action.notify_event)
    def on_notify_event(self, **kwargs):
        return call_result.NotifyEvent()


class CSMS:
    """A CSMS on 127.0.0.1 with an OS-assigned port. Thread-safe helpers for synchronous tests."""

    def __init__(self, boot_status="Accepted", boot_interval=300, subprotocols=("ocpp2.0.1",), port=0):
        self.boot_status = boot_status
        self.boot_interval = boot_interval
        self.subprotocols = list(subprotocols)
        self.frames = []
        self.violations = []
        self.connections = 0
        self.station_paths = []
        self._condition = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._ws = None
        self._server = None
        self.port = port

    # lifecycle

    def start(self):
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    async def _serve(self):
        def select(connection, offered):
            # Select ocpp2.0.1 when offered and configured; a test configures none to see the station refuse.
            for protocol in self.subprotocols:
                if protocol in offered:
                    return protocol
            return None
        self._server = await websockets.serve(self._on_connect, "127.0.0.1", self.port, select_subprotocol=select)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self):
        async def shutdown():
            self._server.close()
            await self._server.wait_closed()
        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ocpp"

    async def _on_connect(self, ws):
        path = ws.request.path
        station_id = path.rsplit("/", 1)[-1]
        with self._condition:
            self.connections += 1
            self.station_paths.append(path)
            self._ws = ws
            self._condition.notify_all()
        handler = StationHandler(station_id, RecordingConnection(ws, self, station_id), self)
        try:
            await handler.start()
        except websockets.ConnectionClosed:
            pass
        finally:
            with self._condition:
                if self._ws is ws:
                    self._ws = None
                self._condition.notify_all()

    # recording and validation

    def record(self, frame):
        with self._condition:
            self.frames.append(frame)
            if frame.direction == "in":
                problem = self._check(frame)
                if problem:
                    self.violations.append(f"{problem}: {frame.text[:500]}")
            self._condition.notify_all()

    def _check(self, frame):
        m = frame.message
        if not isinstance(m, list) or not m:
            return "not a JSON array"
        kind = m[0]
        if kind not in (2, 3, 4):
            return "unknown message type"
        if len(m) < 2 or not isinstance(m[1], str) or not (1 <= len(m[1]) <= 36):
            return "messageId must be a string of at most 36 characters"
        if kind == 2:
            if len(m) != 4 or not isinstance(m[2], str) or not isinstance(m[3], dict):
                return "CALL must be [2, id, action, {payload}]"
            v = validator(f"{m[2]}Request")
            if v is None:
                return f"unknown action {m[2]}"
            errors = sorted(v.iter_errors(m[3]), key=str)
            if errors:
                return f"{m[2]}Request invalid: {errors[0].message}"
        elif kind == 3:
            if len(m) != 3 or not isinstance(m[2], dict):
                return "CALLRESULT must be [3, id, {payload}]"
            action = self._action_of_csms_call(m[1])
            if action is None:
                return "CALLRESULT for no CALL of the CSMS"
            errors = sorted(validator(f"{action}Response").iter_errors(m[2]), key=str)
            if errors:
                return f"{action}Response invalid: {errors[0].message}"
        else:
            if len(m) != 5 or m[2] not in ERROR_CODES or not isinstance(m[3], str) or len(m[3]) > 255 \
                    or not isinstance(m[4], dict):
                return "CALLERROR must be [4, id, code, description(<=255), {details}]"
        return None

    def _action_of_csms_call(self, message_id):
        for f in self.frames:
            if f.direction == "out" and f.type == 2 and f.id == message_id:
                return f.action
        return None

    # waiting

    def wait_for(self, predicate, timeout=10, start=0, what="frame"):
        """The first recorded frame at index >= start matching predicate; raises AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for frame in self.frames[start:]:
                    if predicate(frame):
                        return frame
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {what} within {timeout} s; frames: {self.frames[-12:]}")
                self._condition.wait(remaining)

    def wait_call(self, action, where=lambda p: True, timeout=10, start=0):
        return self.wait_for(
            lambda f: f.direction == "in" and f.type == 2 and f.action == action and where(f.payload),
            timeout, start, what=f"{action} from the station")

    def wait_connected(self, count=1, timeout=10):
        deadline = time.monotonic() + timeout
        with self._condition:
            while self.connections < count or self._ws is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"station did not connect (connections: {self.connections})")
                self._condition.wait(remaining)

    def wait_disconnected(self, timeout=10):
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._ws is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("station did not disconnect")
                self._condition.wait(remaining)

    def calls_from_station(self, start=0):
        with self._condition:
            return [f for f in self.frames[start:] if f.direction == "in" and f.type == 2]

    def mark(self):
        with self._condition:
            return len(self.frames)

    # acting as the CSMS

    def send_raw(self, text):
        async def send():
            ws = self._ws
            if ws is None:
                raise AssertionError("no station connected")
            self.record(Frame("out", text, None))
            await ws.send(text)
        asyncio.run_coroutine_threadsafe(send(), self._loop).result(10)

    def reply_to(self, message_id, timeout=10, start=0):
        """The station's CALLRESULT or CALLERROR for message_id."""
        return self.wait_for(
            lambda f: f.direction == "in" and f.type in (3, 4) and f.id == message_id, timeout, start,
            what=f"answer to {message_id}")

    def call(self, action, payload, timeout=10):
        """Sends a CALL to the station and returns its answer frame."""
        message_id = str(uuid.uuid4())
        start = self.mark()
        self.send_raw(json.dumps([2, message_id, action, payload]))
        return self.reply_to(message_id, timeout, start)

    def close_connection(self):
        async def close():
            if self._ws is not None:
                await self._ws.close()
        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)

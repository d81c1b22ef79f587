"""The CSMS's ledger of TransactionEvents, per station, and the invariants a billing CSMS relies on.

Every TransactionEventRequest the station sends is recorded as it arrives (`TxEvent`), retransmissions included, with
the CSMS's answer once it is sent. `problems()` checks, per transaction (Part 2 E "Sequence number generation",
E01.FR.07, E12, E13, and the project's rule that nothing is lost or duplicated):

* exactly one Started and one Ended; Started has the lowest seqNo and Ended the highest (Started first, Ended last);
* seqNo gap-free from 0 (the spec's SHOULD the project follows: seqNo 0 in Started, +1 per event);
* no duplicate except identical retransmissions of the same payload (at-least-once delivery): two different
  payloads with one (transactionId, seqNo) are a problem;
* delivered in order: the first arrival of each seqNo comes after the first arrival of every lower seqNo;
* the energy register (Energy.Active.Import.Register, the default measurand) never decreases within a transaction
  nor from one transaction to the next on the same EVSE (J02.FR.16), readings in the order of their meterValue
  timestamps (an Ended event may repeat the Transaction.Begin reading, E06.FR.11, so event order is not time order).

Events thinned (E12.FR.05) or discarded after the last attempt (E13.FR.04) would show up as gaps: tests that provoke
them say so with `allow_gaps`.
"""
import datetime
import json
import threading

ENERGY_REGISTER = "Energy.Active.Import.Register"
_UNIT_TO_WH = {"Wh": 1.0, "kWh": 1000.0}


def canonical(payload):
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def timestamp_key(text):
    """A sortable key for an RFC 3339 timestamp (None sorts first)."""
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")).timestamp()
    except (AttributeError, ValueError):
        return float("-inf")


def energy_readings(payload):
    """The Energy.Active.Import.Register readings of a TransactionEventRequest payload as (meterValue timestamp key,
    Wh), in the order listed. Only the total (no phase) counts; sampledValue.measurand absent means
    Energy.Active.Import.Register."""
    readings = []
    for meter_value in payload.get("meterValue") or []:
        at = timestamp_key(meter_value.get("timestamp"))
        for sampled in meter_value.get("sampledValue") or []:
            if sampled.get("measurand", ENERGY_REGISTER) != ENERGY_REGISTER or sampled.get("phase"):
                continue
            unit = sampled.get("unitOfMeasure") or {}
            factor = _UNIT_TO_WH.get(unit.get("unit", "Wh"))
            if factor is None:
                continue  # a unit we cannot compare (not a register in Wh/kWh): not ours to judge here
            readings.append((at, float(sampled["value"]) * factor * 10 ** unit.get("multiplier", 0)))
    return readings


class TxEvent:
    """One TransactionEventRequest as received (a retransmission is a TxEvent of its own)."""

    def __init__(self, frame, order):
        p = frame.payload
        info = p.get("transactionInfo") or {}
        self.frame = frame
        self.order = order  # arrival order among all TransactionEvents of the CSMS
        self.station_id = frame.station_id
        self.message_id = frame.id
        self.connection = frame.connection
        self.payload = p
        self.canonical = canonical(p)
        self.transaction_id = info.get("transactionId")
        self.event_type = p.get("eventType")
        self.seq_no = p.get("seqNo")
        self.offline = p.get("offline", False)
        self.trigger_reason = p.get("triggerReason")
        self.stopped_reason = info.get("stoppedReason")
        self.charging_state = info.get("chargingState")
        self.remote_start_id = info.get("remoteStartId")
        self.id_token = p.get("idToken")
        self.evse = p.get("evse")
        self.timestamp = p.get("timestamp")
        self.meter_values = p.get("meterValue") or []
        self.energy = energy_readings(p)
        self.answer = None  # "CALLRESULT", a CALLERROR code, or None (not answered)
        self.answer_payload = None

    def __repr__(self):
        return (f"<{self.event_type} {self.transaction_id} seqNo {self.seq_no} {self.trigger_reason}"
                f"{' ' + self.stopped_reason if self.stopped_reason else ''}{' offline' if self.offline else ''}"
                f" #{self.connection} answer {self.answer}>")


class Transaction:
    """The distinct events of one transaction (first arrival of each payload), by seqNo."""

    def __init__(self, transaction_id):
        self.transaction_id = transaction_id
        self.received = []  # every TxEvent, arrival order, retransmissions included

    @property
    def distinct(self):
        """First arrival of each distinct (seqNo, payload), in arrival order."""
        seen, out = set(), []
        for e in self.received:
            key = (e.seq_no, e.canonical)
            if key not in seen:
                seen.add(key)
                out.append(e)
        return out

    @property
    def events(self):
        """The distinct events, by seqNo."""
        return sorted(self.distinct, key=lambda e: (e.seq_no if isinstance(e.seq_no, int) else -1, e.order))

    def of_type(self, event_type):
        return [e for e in self.distinct if e.event_type == event_type]

    @property
    def started(self):
        found = self.of_type("Started")
        return found[0] if found else None

    @property
    def ended(self):
        found = self.of_type("Ended")
        return found[0] if found else None

    @property
    def evse_id(self):
        for e in self.events:
            if e.evse and "id" in e.evse:
                return e.evse["id"]
        return None

    @property
    def id_token(self):
        for e in self.events:
            if e.id_token:
                return e.id_token
        return None

    def energy(self):
        """Energy register readings (Wh) in the order of their timestamps (seqNo order among equal timestamps)."""
        readings = [(at, e.seq_no if isinstance(e.seq_no, int) else -1, i, wh)
                    for e in self.events for i, (at, wh) in enumerate(e.energy)]
        return [wh for *_, wh in sorted(readings)]

    @property
    def complete(self):
        """Started and Ended received and every seqNo in between."""
        seqs = sorted({e.seq_no for e in self.distinct})
        return (self.started is not None and self.ended is not None and seqs == list(range(len(seqs))))

    def problems(self, allow_gaps=False):
        t = self.transaction_id
        found = []
        by_seq = {}
        for e in self.received:
            by_seq.setdefault(e.seq_no, set()).add(e.canonical)
        for seq, payloads in sorted(by_seq.items(), key=lambda kv: kv[0] if isinstance(kv[0], int) else -1):
            if len(payloads) > 1:
                found.append(f"{t}: seqNo {seq} received with {len(payloads)} different payloads (a duplicate "
                             f"that is not a retransmission): {sorted(payloads)}")
        started, ended = self.of_type("Started"), self.of_type("Ended")
        if len(started) != 1:
            found.append(f"{t}: {len(started)} Started events (exactly one expected): {started}")
        if len(ended) != 1:
            found.append(f"{t}: {len(ended)} Ended events (exactly one expected): {ended}")
        seqs = sorted(s for s in by_seq if isinstance(s, int))
        if seqs:
            if len(started) == 1 and started[0].seq_no != seqs[0]:
                found.append(f"{t}: Started has seqNo {started[0].seq_no}, not the lowest ({seqs[0]})")
            if len(ended) == 1 and ended[0].seq_no != seqs[-1]:
                found.append(f"{t}: Ended has seqNo {ended[0].seq_no}, not the highest ({seqs[-1]})")
            if not allow_gaps:
                missing = sorted(set(range(seqs[-1] + 1)) - set(seqs))
                if missing or seqs[0] != 0:
                    found.append(f"{t}: seqNo not gap-free from 0: missing {missing[:20]}")
        firsts = []
        for e in self.received:
            if e.seq_no not in [f.seq_no for f in firsts]:
                firsts.append(e)
        arrival = [e.seq_no for e in firsts]
        if arrival != sorted(arrival, key=lambda s: s if isinstance(s, int) else -1):
            found.append(f"{t}: events first arrived out of seqNo order: {arrival}")
        readings = self.energy()
        for a, b in zip(readings, readings[1:]):
            if b < a:
                found.append(f"{t}: energy register decreased from {a} Wh to {b} Wh (time order): {readings}")
                break
        return found


class Ledger:
    """TransactionEvents per station. Thread-safe; the CSMS records into it from its server thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._events = []  # every TxEvent, arrival order
        self._by_message = {}  # (station id, message id) -> TxEvent

    def record(self, frame):
        with self._lock:
            event = TxEvent(frame, len(self._events))
            self._events.append(event)
            self._by_message[(frame.station_id, frame.id)] = event
            return event

    def answered(self, station_id, message_id, answer, payload=None):
        with self._lock:
            event = self._by_message.get((station_id, message_id))
            if event is not None:
                event.answer, event.answer_payload = answer, payload

    def events(self, station_id=None, transaction_id=None):
        """Every TransactionEvent received (retransmissions included), in arrival order."""
        with self._lock:
            return [e for e in self._events if (station_id is None or e.station_id == station_id)
                    and (transaction_id is None or e.transaction_id == transaction_id)]

    def transactions(self, station_id=None):
        """transactionId -> Transaction, in the order their first event arrived."""
        found = {}
        for e in self.events(station_id):
            found.setdefault(e.transaction_id, Transaction(e.transaction_id)).received.append(e)
        return found

    def complete(self, station_id=None):
        """Every transaction seen has its Started, its Ended and every seqNo in between."""
        return all(t.complete for t in self.transactions(station_id).values())

    def problems(self, station_id=None, allow_gaps=False):
        """Every broken invariant (see the module docstring), one line each; [] when all hold."""
        if station_id is None:
            stations = sorted({e.station_id for e in self.events()})
            return [p for s in stations for p in self.problems(s, allow_gaps)]
        found = []
        transactions = self.transactions(station_id)
        last_reading = {}  # evse id -> (transaction id, last energy reading)
        for t in transactions.values():
            found += [f"{station_id}: {p}" for p in t.problems(allow_gaps)]
            readings = t.energy()
            evse = t.evse_id
            if readings and evse is not None:
                previous = last_reading.get(evse)
                if previous is not None and readings[0] < previous[1]:
                    found.append(f"{station_id}: energy register of EVSE {evse} went back from {previous[1]} Wh "
                                 f"(end of {previous[0]}) to {readings[0]} Wh (start of {t.transaction_id})")
                last_reading[evse] = (t.transaction_id, readings[-1])
        return found

    def summary(self, station_id=None):
        """One line per transaction: its events as `seqNo:eventType/triggerReason`."""
        lines = []
        for t in self.transactions(station_id).values():
            parts = [f"{e.seq_no}:{e.event_type[0]}/{e.trigger_reason}{'(off)' if e.offline else ''}"
                     f"{'=' + e.stopped_reason if e.stopped_reason else ''}" for e in t.events]
            lines.append(f"{t.transaction_id} evse {t.evse_id}: " + " ".join(parts))
        return "\n".join(lines)

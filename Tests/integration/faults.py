"""Fault injection: the agent runs charging sessions and is killed with SIGKILL at random instants, while the CSMS is
up, down, dropping replies or closing the connection, for many cycles, always restarted on the same data directory.
At the end (CSMS up, everything drained) the TransactionEvent ledger must show that nothing was lost:

* every transaction exactly one Started and one Ended, seqNo gap-free from 0, delivered in order, no duplicate except
  identical retransmissions, energy register never decreasing (ledger.py);
* a transaction ends with stoppedReason PowerLoss (cut by a kill: the project's power-loss rule) or EVDisconnected
  (TxStopPoint EVConnected, our unplug); no more PowerLoss endings than kills;
* every session the station had time to see (the cable in for at least `SEEN_AFTER` s before the kill) has its
  transaction: Started on that EVSE within `SEEN_AFTER` s of the plug, in the station's own timestamp;
* the station never broke the CSMS's checks (B01.FR.08 after each restart, schemas, one CALL at a time).

The seed is printed first: `run(..., seed=S)` (or `make soak SOAK_SEED=S`) replays the same choices (timings on a
loaded machine still differ). `python Tests/integration/faults.py --cycles N` is `make soak`.
"""
import argparse
import datetime
import logging
import os
import pathlib
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from csms import CSMS  # noqa: E402

STATION_ID = "CS-FAULTS"
EVSES = (1, 2)
# The device model for the harness (on top of conftest.FAST): transactions from plug to unplug, E13 retries that do
# not give up during the run (a discarded event would be a gap), reconnect back-off that does not grow.
MODEL = {
    ("TxCtrlr", "TxStartPoint", None): "EVConnected",
    ("TxCtrlr", "TxStopPoint", None): "EVConnected",
    ("OCPPCommCtrlr", "MessageTimeout", "Default"): "2",
    ("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent"): "1000",
    ("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent"): "1",
    ("OCPPCommCtrlr", "RetryBackOffRepeatTimes", None): "0",
    ("SampledDataCtrlr", "TxUpdatedInterval", None): "1",
}
MESSAGE_TIMEOUT = 2.0
# CSMS behaviour per cycle: up; down (refusing connections); replies to TransactionEvent dropped; every reply dropped;
# the connection closed right after each TransactionEvent arrives.
MODES = ("up", "up", "down", "drop-tx", "drop-all", "close-tx")
SEEN_AFTER = 1.0  # s: a session whose plug came this long before the kill must have its transaction
NORMAL_ENDINGS = frozenset({"EVDisconnected", "PowerLoss"})


def apply_mode(csms, mode):
    csms.error_actions, csms.drop_actions, csms.close_after_actions = {}, set(), set()
    if mode == "down":
        if csms.listening:
            csms.refuse_connections()
        return
    csms.accept_connections()
    if mode == "drop-tx":
        csms.drop_actions = {"TransactionEvent"}
    elif mode == "drop-all":
        csms.drop_actions = {"*"}
    elif mode == "close-tx":
        csms.close_after_actions = {"TransactionEvent"}


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")).timestamp()


class Result:
    def __init__(self, seed, cycles):
        self.seed = seed
        self.cycles = cycles
        self.kills = 0
        self.transactions = 0
        self.events = 0
        self.retransmissions = 0
        self.power_loss = 0
        self.duration = 0.0
        self.drain = 0.0
        self.failures = []

    def line(self):
        return (f"fault injection: seed {self.seed}, cycles {self.cycles}, transactions {self.transactions}, "
                f"events {self.events} (+{self.retransmissions} retransmissions), kills {self.kills}, "
                f"PowerLoss endings {self.power_loss}, duration {self.duration:.1f} s (drain {self.drain:.1f} s), "
                f"failures {len(self.failures)}")


class Harness:
    """Runs `cycles` cycles against `csms` with `agent` (a conftest.Agent prepared with its args, started or not)."""

    def __init__(self, csms, agent, seed, log=print, cycle_seconds=2.2):
        self.csms = csms
        self.agent = agent
        self.seed = seed
        self.rng = random.Random(seed)
        self.log = log
        self.cycle_seconds = cycle_seconds
        self.sessions = []  # (evse, plug wall time, kill wall time or None)
        self.last_status = None  # the last answer to GetTransactionStatus while draining

    # the agent

    def _running(self):
        return self.agent.proc is not None and self.agent.proc.poll() is None

    def _ensure_started(self):
        if not self._running():
            self.agent.start()

    def _sim(self, request):
        """A sim request; None when the agent is gone (killed meanwhile)."""
        try:
            reply = self.agent.sim(request, timeout=5)
        except (AssertionError, OSError, ValueError):
            return None
        if not reply.get("ok"):
            raise AssertionError(f"sim {request}: {reply}")
        return reply

    def _plugged(self):
        reply = self._sim({"cmd": "status"})
        return [] if reply is None else [e["evse"] for e in reply["evses"] if e["plugged"]]

    # one cycle

    def _session(self, stop):
        """plug, tap, ev-charge, maybe ev-suspend, unplug, with random pauses; returns early once `stop` is set."""
        rng = self.rng
        for evse in self._plugged():
            if stop.is_set() or self._sim({"cmd": "unplug", "evse": evse}) is None:
                return
        evse = rng.choice(EVSES)
        plug_at = time.time()
        if stop.is_set() or self._sim({"cmd": "plug", "evse": evse}) is None:
            return
        session = [evse, plug_at, None]
        self.sessions.append(session)
        steps = [({"cmd": "tap", "idToken": f"TAG{rng.randrange(1000)}", "evse": evse}, rng.uniform(0, 0.3)),
                 ({"cmd": "ev-charge", "evse": evse, "watts": 7400}, rng.uniform(0, 0.3))]
        if rng.random() < 0.3:
            steps.append(({"cmd": "ev-suspend", "evse": evse}, rng.uniform(0.1, 0.5)))
        steps.append(({"cmd": "unplug", "evse": evse}, rng.uniform(0.2, 1.0)))
        for request, pause in steps:
            if stop.wait(pause) or self._sim(request) is None:
                return

    def cycle(self, number):
        mode = self.rng.choice(MODES)
        kill_after = self.rng.uniform(0.05, self.cycle_seconds)
        apply_mode(self.csms, mode)
        self._ensure_started()
        stop = threading.Event()
        killed = []

        def kill():
            stop.set()
            if self._running():
                self.agent.kill()
                killed.append(time.time())
        timer = threading.Timer(kill_after, kill)
        timer.start()
        try:
            self._session(stop)
            stop.wait(self.cycle_seconds + 1)
        finally:
            timer.join()
        if killed:
            for session in self.sessions:
                if session[2] is None:
                    session[2] = killed[0]
        self.log(f"cycle {number}: CSMS {mode}, SIGKILL after {kill_after:.2f} s"
                 f"{'' if killed else ' (agent not running)'}")
        return bool(killed)

    # the end

    def drain(self, timeout=90):
        """CSMS up and answering, agent running, cables out; waits until every transaction is complete and the
        station says nothing is queued (E14: GetTransactionStatus without transactionId, messagesInQueue false)."""
        self.csms.answer_normally()
        self._ensure_started()
        for evse in self._plugged():
            self._sim({"cmd": "unplug", "evse": evse})
        deadline = time.monotonic() + timeout
        self.csms.wait_until(lambda: self.csms._current is not None, timeout, what="the station reconnecting")
        while True:
            if self.csms.ledger.complete(STATION_ID) and self._queue_empty():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not drained within {timeout} s; last GetTransactionStatus answer: "
                                     f"{self.last_status}; transactions:\n" + self.csms.ledger.summary(STATION_ID))
            time.sleep(0.5)

    def _queue_empty(self):
        try:
            answer = self.csms.call("GetTransactionStatus", {}, timeout=MESSAGE_TIMEOUT + 1)
        except AssertionError as error:
            self.last_status = str(error).splitlines()[0]
            return False  # not connected yet, or no answer in time
        self.last_status = answer.line()
        return answer.type == 3 and answer.payload.get("messagesInQueue") is False

    def check(self, kills):
        failures = list(self.csms.ledger.problems(STATION_ID))
        transactions = self.csms.ledger.transactions(STATION_ID)
        endings = [t.ended.stopped_reason for t in transactions.values() if t.ended is not None]
        unexpected = [r for r in endings if r not in NORMAL_ENDINGS]
        if unexpected:
            failures.append(f"stoppedReason other than {sorted(NORMAL_ENDINGS)}: {unexpected}")
        power_loss = endings.count("PowerLoss")
        if power_loss > kills:
            failures.append(f"{power_loss} transactions ended with PowerLoss, but only {kills} kills")
        started = [(t.evse_id, parse_time(t.started.timestamp)) for t in transactions.values() if t.started]
        for evse, plug_at, killed_at in self.sessions:
            if killed_at is not None and killed_at - plug_at < SEEN_AFTER:
                continue  # killed before the station surely saw the cable: nothing to demand
            if not any(e == evse and abs(at - plug_at) <= SEEN_AFTER for e, at in started):
                failures.append(f"lost: the session plugged on EVSE {evse} at "
                                f"{datetime.datetime.fromtimestamp(plug_at, datetime.timezone.utc).isoformat()} "
                                f"(kill {'none' if killed_at is None else f'{killed_at - plug_at:.2f} s later'}) "
                                f"has no transaction started within {SEEN_AFTER} s")
        failures += [f"CSMS check: {v}" for v in self.csms.violations]
        return failures


def run(csms, agent, cycles, seed=None, log=print, drain_timeout=90):
    """Runs the harness; returns a Result (failures listed, not raised)."""
    seed = seed if seed is not None else random.SystemRandom().randrange(2 ** 32)
    log(f"fault injection: seed {seed} (replay: seed={seed}), {cycles} cycles")
    result = Result(seed, cycles)
    harness = Harness(csms, agent, seed, log)
    started = time.monotonic()
    try:
        for number in range(1, cycles + 1):
            result.kills += harness.cycle(number)
        drain_started = time.monotonic()
        harness.drain(drain_timeout)
        result.drain = time.monotonic() - drain_started
        result.failures = harness.check(result.kills)
    except AssertionError as error:
        result.failures.append(str(error))
    result.duration = time.monotonic() - started
    events = csms.ledger.events(STATION_ID)
    transactions = csms.ledger.transactions(STATION_ID)
    result.transactions = len(transactions)
    result.events = sum(len(t.distinct) for t in transactions.values())
    result.retransmissions = len(events) - result.events
    result.power_loss = sum(1 for t in transactions.values() if t.ended and t.ended.stopped_reason == "PowerLoss")
    log(result.line())
    return result


def main():
    """`make soak`: SOAK_CYCLES (1000) cycles against a fresh data directory; exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=int(os.environ.get("SOAK_CYCLES", "1000")))
    seed = os.environ.get("SOAK_SEED")
    parser.add_argument("--seed", type=int, default=int(seed) if seed else None)
    parser.add_argument("--quiet", action="store_true", help="print only the seed, failures and the summary")
    options = parser.parse_args()
    logging.getLogger("ocpp").setLevel(logging.ERROR)  # the CSMS's own log of CALLERRORs it receives: noise here
    import conftest
    work = pathlib.Path(tempfile.mkdtemp(prefix="soak-"))
    csms = CSMS(keep_frames=True, message_timeout=MESSAGE_TIMEOUT).start()
    changes = dict(conftest.FAST)
    changes.update(MODEL)
    agent = conftest.Agent(work, "soak", station_id=STATION_ID)
    agent.args = ["run", "--csms-url", csms.url, "--station-id", STATION_ID, "--board", str(conftest.BOARD),
                  "--device-model", str(conftest.device_model_with(work, changes)), "--data-dir", str(agent.data_dir),
                  "--log-level", "info"]
    log = (lambda line: print(line, flush=True) if line.startswith("fault injection") else None) \
        if options.quiet else (lambda line: print(line, flush=True))
    try:
        result = run(csms, agent, options.cycles, options.seed, log=log)
    finally:
        agent.stop()
        csms.stop()
    for failure in result.failures:
        print(f"FAILURE: {failure}")
    if result.failures:
        print(f"work directory kept: {work}")
        print("last frames:\n" + csms._tail(40))
    print(f"soak: cycles={result.cycles} transactions={result.transactions} events={result.events} "
          f"kills={result.kills} duration={result.duration:.0f}s failures={len(result.failures)} seed={result.seed}")
    sys.exit(1 if result.failures else 0)


if __name__ == "__main__":
    main()

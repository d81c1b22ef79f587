"""A real Modbus RTU meter under the agent (issue #14): a mixed board (the sim EV on EVSE 1, an SDM630 served by
pymodbus on one end of a socat pty pair as its meter). The meter's register reaches the TransactionEvents; a meter that
stops answering mid-charge is a fault (meter lost: contactor open, Faulted, NotifyEvent FiscalMetering Problem), cleared
when it answers again."""
import json
import subprocess
import time

import pytest

from conftest import boot_accepted
from test_safety import charging, notify_event
from transactions import assert_ledger_ok, wait_evse, wait_tx

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.fixture
def meter(tmp_path):
    """socat's pty pair and modbus_peer.py serving an SDM630 on its far end; yields (device, send-command)."""
    socat = subprocess.Popen(["socat", f"pty,raw,echo=0,link={tmp_path}/station", f"pty,raw,echo=0,link={tmp_path}/meter"])
    for _ in range(200):
        if (tmp_path / "meter").exists():
            break
        time.sleep(0.01)
    peer = subprocess.Popen([str(ROOT / ".venv/bin/python"), str(ROOT / "Tests/integration/modbus_peer.py"),
                             "--port", str(tmp_path / "meter"), "--map", "sdm630"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert peer.stdout.readline().strip() == "ready"

    def command(line):
        peer.stdin.write(line + "\n")
        peer.stdin.flush()
        assert peer.stdout.readline().strip() == "ok"

    yield str(tmp_path / "station"), command
    peer.terminate()
    socat.terminate()
    peer.wait(5)
    socat.wait(5)


def test_meter_lost_mid_charge_and_found_again(csms, agent, meter, tmp_path):
    device, command = meter
    board = json.loads((ROOT / "boards/sim.json").read_text())
    board["evses"][0]["meter"] = {"type": "modbus-rtu", "device": device, "map": "sdm630", "pollIntervalMs": 300,
                                  "timeoutMs": 500, "retries": 2}
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(board))
    station = agent(board=path)
    boot_accepted(csms)
    started = charging(csms, station)
    # The register is the meter's: 1234567 Wh in the SDM630's float32 kWh register.
    begin = started.payload["meterValue"][0]["sampledValue"][0]
    assert begin["measurand"] == "Energy.Active.Import.Register" and abs(begin["value"] - 1234567) < 1, begin

    mark = csms.mark()
    command("silent")
    wait_evse(station, 1, lambda e: not e["contactorClosed"], "meter lost: contactor open", timeout=10)
    csms.wait_call("StatusNotification", lambda p: p["evseId"] == 1 and p["connectorStatus"] == "Faulted", start=mark)
    notify_event(csms, "FiscalMetering", "Problem", "true", mark)
    wait_tx(csms, "Updated", start=mark, where=lambda p: p["transactionInfo"].get("chargingState") == "SuspendedEVSE")

    mark = csms.mark()
    command("energy 1240000")
    command("answer")
    notify_event(csms, "FiscalMetering", "Problem", "false", mark)
    wait_evse(station, 1, lambda e: e["contactorClosed"], "meter back: contactor closed")
    mark = csms.mark()
    station.sim({"cmd": "unplug", "evse": 1})
    ended = wait_tx(csms, "Ended", start=mark)
    end = ended.payload["meterValue"][-1]["sampledValue"][0]
    assert abs(end["value"] - 1240000) < 1, end
    assert_ledger_ok(csms)

"""Issue #14: the current limit reaches the control pilot's PWM. A board file with a sysfs PWM channel per EVSE
(`sysfsRoot` pointed at a directory laid out like /sys), run by the agent against the `ocpp` CSMS: at start the PWM
offers the hardware's maximum; a TxProfile (F01.FR.08/10) changes the duty cycle as its schedule says; a fault forces
state F (0 %)."""
import json
import time

from conftest import BOARD, boot_accepted
from transactions import wait_evse, wait_tx

DRIVER = {"idToken": "DRIVER-1", "type": "ISO14443"}
PERIOD_NS = 1_000_000


def duty_ns(amps):
    """IEC 61851-1: duty % = A / 0.6 (6-51 A), in nanoseconds of the 1 kHz period."""
    return round(PERIOD_NS * amps / 0.6 / 100)


def pwm_board(tmp_path):
    sysfs = tmp_path / "sys"
    board = json.loads(BOARD.read_text())
    board["sysfsRoot"] = str(sysfs)
    for index, evse in enumerate(board["evses"]):
        evse["controlPilot"] = {"pwmChip": 0, "pwmChannel": index}
        channel = sysfs / "class" / "pwm" / "pwmchip0" / f"pwm{index}"
        channel.mkdir(parents=True)
        for name in ("period", "duty_cycle", "enable", "polarity"):
            (channel / name).write_text("0\n")
    (sysfs / "class" / "pwm" / "pwmchip0" / "export").write_text("")
    path = tmp_path / "pwm-board.json"
    path.write_text(json.dumps(board))
    return path, sysfs / "class" / "pwm" / "pwmchip0"


def wait_duty(chip, channel, expected, what, timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        value = (chip / f"pwm{channel}" / "duty_cycle").read_text().strip()
        if value == str(expected):
            return
        assert time.monotonic() < deadline, f"{what}: duty_cycle {value}, expected {expected}"
        time.sleep(0.02)


def test_F01_a_tx_profile_changes_the_pwm_duty_cycle_and_a_fault_forces_state_f(csms, agent, tmp_path):
    board, chip = pwm_board(tmp_path)
    station = agent(board=board)
    boot_accepted(csms)
    wait_duty(chip, 0, duty_ns(32), "the hardware's maximum at start")
    assert (chip / "pwm0" / "period").read_text() == str(PERIOD_NS)
    assert (chip / "pwm0" / "enable").read_text() == "1"

    schedule = {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0},
                                                                            {"startPeriod": 2, "limit": 8.0}]}
    profile = {"id": 7, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative",
               "chargingSchedule": [schedule]}
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 2})
    answer = csms.call("RequestStartTransaction",
                       {"idToken": DRIVER, "evseId": 2, "remoteStartId": 4, "chargingProfile": profile})
    assert answer.payload["status"] == "Accepted"
    wait_tx(csms, "Started", start=mark)
    wait_duty(chip, 1, duty_ns(16), "the TxProfile's first period")
    wait_duty(chip, 1, duty_ns(8), "the TxProfile's second period")
    wait_duty(chip, 0, duty_ns(32), "EVSE 1 keeps its limit")

    station.sim({"cmd": "fault", "evse": 2, "kind": "ground-fault"})
    wait_duty(chip, 1, 0, "state F on a ground fault")
    wait_evse(station, 2, lambda e: not e["contactorClosed"], "the contactor open")
    station.sim({"cmd": "unplug", "evse": 2})
    wait_tx(csms, "Ended", start=mark)

"""Issue #14: the current limit reaches the control pilot's PWM; a card on the evdev reader reaches the station. A board file with a sysfs PWM channel per EVSE
(`sysfsRoot` pointed at a directory laid out like /sys), run by the agent against the `ocpp` CSMS: at start the PWM
offers the hardware's maximum; a TxProfile (F01.FR.08/10) changes the duty cycle as its schedule says; a fault forces
state F (0 %)."""
import errno
import json
import os
import struct
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


def input_events(digits):
    """struct input_event records (64-bit Linux) for a keyboard-wedge reader typing `digits`, then Enter."""
    codes = {"1": 2, "2": 3, "3": 4, "4": 5, "5": 6, "6": 7, "7": 8, "8": 9, "9": 10, "0": 11}
    records = b""
    for code in [codes[d] for d in digits] + [28]:
        for value in (1, 0):
            records += struct.pack("<qqHHi", 0, 0, 1, code, value) + struct.pack("<qqHHi", 0, 0, 0, 0, 0)
    return records


def write_fifo(path, data, timeout=10):
    """Writes to the FIFO once the agent's reader has it open."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as error:
            assert error.errno == errno.ENXIO and time.monotonic() < deadline, f"the reader did not open {path}: {error}"
            time.sleep(0.05)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def test_a_card_on_the_evdev_reader_starts_a_transaction(csms, agent, tmp_path):
    """The board file's keyboard-wedge reader (evdev records through a FIFO standing for /dev/input/eventN): the
    decimal number it types is the card's UID in hex, an ISO14443 idToken, which authorizes a session on EVSE 1."""
    fifo = tmp_path / "event0"
    os.mkfifo(fifo)
    board = json.loads(BOARD.read_text())
    board["rfid"] = {"type": "evdev", "device": str(fifo), "digits": "decimal", "evse": 1}
    path = tmp_path / "evdev-board.json"
    path.write_text(json.dumps(board))
    station = agent(board=path)
    boot_accepted(csms)
    mark = csms.mark()
    station.sim({"cmd": "plug", "evse": 1})
    write_fifo(fifo, input_events("1234567890"))
    token = {"idToken": "499602D2", "type": "ISO14443"}
    wait_tx(csms, None, start=mark, where=lambda p: p.get("idToken") == token)
    wait_evse(station, 1, lambda e: e["locked"], "the cable locked for the authorized session")

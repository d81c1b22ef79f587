#!/usr/bin/env python3
"""The development CSMS for `make run`: the PyPI `ocpp` package on 127.0.0.1, accepting any station, printing
every frame in both directions. Ctrl-C or SIGTERM stops it."""
import argparse
import asyncio
import pathlib
import signal
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "Tests" / "integration"))
from csms import CSMS  # noqa: E402  (the same CSMS the integration tests use, with schema validation)

import csms as csms_module  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--interval", type=int, default=30, help="heartbeat interval given in BootNotificationResponse")
    parser.add_argument("--boot-status", default="Accepted", choices=["Accepted", "Pending", "Rejected"])
    options = parser.parse_args()

    server = CSMS(boot_status=options.boot_status, boot_interval=options.interval, port=options.port)
    record = server.record

    def show(frame):
        record(frame)
        arrow = "<- station" if frame.direction == "in" else "-> station"
        kind = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}.get(frame.type, "?")
        print(f"{arrow} {kind} {frame.text}", flush=True)
        if server.violations:
            print(f"!! schema violation: {server.violations.pop()}", flush=True)

    server.record = show
    server.start()
    print(f"dev CSMS listening on ws://127.0.0.1:{server.port}/<path>/<station-id> (ocpp2.0.1)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    server.stop()


if __name__ == "__main__":
    main()

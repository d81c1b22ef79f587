#!/usr/bin/env python3
"""The development CSMS for `make run`: the PyPI `ocpp` package (OCPP 2.0.1) on 127.0.0.1:9000, accepting any
station id at ws://127.0.0.1:PORT/<any path>/<station id> with subprotocol ocpp2.0.1.

It answers BootNotification (Accepted, interval 30 unless told otherwise), Heartbeat, StatusNotification,
SecurityEventNotification, NotifyReport, NotifyEvent, TransactionEvent, Authorize (Accepted), MeterValues and the
other station-initiated messages, checks every frame the station sends against the official OCA schemas, and prints
every frame in both directions on one line:

    <- station CALL BootNotification {"reason":"PowerUp",...}
    -> station CALLRESULT BootNotification {"currentTime":"...","interval":30,"status":"Accepted"}

Problems with a station frame are printed as `!! VIOLATION ...`. Ctrl-C or SIGTERM stops it.
It is the same CSMS the integration tests use (Tests/integration/csms.py).
"""
import argparse
import asyncio
import logging
import pathlib
import signal
import sys
import threading

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "Tests" / "integration"))
from csms import CSMS, Frame  # noqa: E402


def main():
    parser = argparse.ArgumentParser(
        description="Development OCPP 2.0.1 CSMS: prints every frame; Ctrl-C stops it.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9000, help="port to listen on (default 9000)")
    parser.add_argument("--interval", type=int, default=30,
                        help="`interval` of BootNotificationResponse: heartbeat interval, or retry interval when "
                             "not Accepted (default 30)")
    parser.add_argument("--boot-status", default="Accepted", choices=["Accepted", "Pending", "Rejected"],
                        help="status of BootNotificationResponse (default Accepted)")
    parser.add_argument("--accept-after", type=float, metavar="SECONDS",
                        help="with --boot-status Pending/Rejected: answer Accepted from SECONDS after start on")
    parser.add_argument("--authorize", default="Accepted",
                        choices=["Accepted", "Blocked", "ConcurrentTx", "Expired", "Invalid", "NoCredit",
                                 "NotAllowedTypeEVSE", "NotAtThisLocation", "NotAtThisTime", "Unknown"],
                        help="idTokenInfo.status for Authorize and TransactionEvent (default Accepted)")
    options = parser.parse_args()

    logging.getLogger("ocpp").setLevel(logging.CRITICAL)  # the frames are printed below; no library tracebacks
    output = threading.Lock()

    def show(item):
        line = item.line() if isinstance(item, Frame) else str(item)
        with output:
            print(line, flush=True)

    server = CSMS(boot_status=options.boot_status, boot_interval=options.interval, port=options.port,
                  host=options.host, keep_frames=False, on_frame=show, response_timeout=30)
    server.authorize_status = options.authorize
    try:
        server.start()
    except OSError as error:
        print(f"dev-csms: cannot listen on {options.host}:{options.port}: {error.strerror or error}", file=sys.stderr)
        sys.exit(1)
    show(f"dev CSMS listening on ws://{options.host}:{server.port}/<path>/<station-id> (subprotocol ocpp2.0.1), "
         f"BootNotification {options.boot_status}, interval {options.interval}")

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async def run():
        if options.accept_after is not None and options.boot_status != "Accepted":
            try:
                await asyncio.wait_for(stop.wait(), options.accept_after)
                return
            except asyncio.TimeoutError:
                server.boot_status = "Accepted"
                show("== BootNotification answered Accepted from now on")
        await stop.wait()

    try:
        loop.run_until_complete(run())
    finally:
        show("== stopping")
        server.stop()
        loop.close()


if __name__ == "__main__":
    main()

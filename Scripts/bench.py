#!/usr/bin/env python3
"""`make bench`: start-up latency, idle memory and idle CPU of the release station agent.

Measured against a minimal CSMS on loopback (websockets, answering every CALL the station makes):
  * start -> BootNotification: from just before the process is spawned to the BootNotification frame arriving at
    the CSMS, over several runs with a fresh data directory each time (factory fresh) and with a reused one;
  * idle memory: once booted and idle with the sim board's 2 EVSEs, `Anonymous:` and `Rss:` from
    /proc/PID/smaps_rollup;
  * idle CPU: user+system CPU time the agent uses over an idle window (event driven: should be ~0).
Figures are printed as min / median / max; nothing here is an assertion.
"""
import argparse
import asyncio
import datetime
import json
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import websockets

ROOT = pathlib.Path(__file__).resolve().parent.parent


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


RESULTS = {
    "BootNotification": lambda: {"currentTime": now_iso(), "interval": 300, "status": "Accepted"},
    "Heartbeat": lambda: {"currentTime": now_iso()},
}


class BenchCSMS:
    def __init__(self):
        self.boot_at = None
        self.frames = 0
        self.idle = asyncio.Event()
        self.boot = asyncio.Event()

    async def handler(self, ws):
        try:
            await self.serve(ws)
        except websockets.ConnectionClosed:
            pass

    async def serve(self, ws):
        async for text in ws:
            received = time.monotonic_ns()
            message = json.loads(text)
            self.frames += 1
            if message[0] == 2:
                action = message[2]
                if action == "BootNotification" and self.boot_at is None:
                    self.boot_at = received
                    self.boot.set()
                await ws.send(json.dumps([3, message[1], RESULTS.get(action, dict)()]))
                if action == "StatusNotification" and message[3].get("evseId") == 2:
                    self.idle.set()


async def one_run(agent, data_dir, port, measure_idle, idle_seconds):
    csms = BenchCSMS()
    server = await websockets.serve(csms.handler, "127.0.0.1", port, subprotocols=["ocpp2.0.1"])
    args = [
        agent, "run", "--csms-url", f"ws://127.0.0.1:{port}/ocpp", "--station-id", "BENCH",
        "--board", str(ROOT / "boards/sim.json"), "--device-model", str(ROOT / "device-model.json"),
        "--data-dir", str(data_dir), "--log-level", "warning",
    ]
    started = time.monotonic_ns()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = {}
    try:
        await asyncio.wait_for(csms.boot.wait(), 10)
        result["boot_ms"] = (csms.boot_at - started) / 1e6
        if measure_idle:
            await asyncio.wait_for(csms.idle.wait(), 10)
            await asyncio.sleep(1.0)
            rollup = pathlib.Path(f"/proc/{process.pid}/smaps_rollup").read_text()
            fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:] if line.split()[1].isdigit()}
            result["anonymous_kib"] = fields.get("Anonymous")
            result["rss_kib"] = fields.get("Rss")
            ticks = os.sysconf("SC_CLK_TCK")

            def cpu_seconds():
                stat = pathlib.Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
                return (int(stat[11]) + int(stat[12])) / ticks

            frames_before = csms.frames
            cpu_before = cpu_seconds()
            await asyncio.sleep(idle_seconds)
            result["idle_cpu_percent"] = 100 * (cpu_seconds() - cpu_before) / idle_seconds
            result["idle_frames"] = csms.frames - frames_before
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        server.close()
        await server.wait_closed()
    return result


def summary(values, unit):
    values = sorted(values)
    return f"min {values[0]:.2f} {unit}, median {statistics.median(values):.2f} {unit}, max {values[-1]:.2f} {unit} ({len(values)} runs)"


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent", default=str(ROOT / ".build/release/station-agent"))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=9911)
    options = parser.parse_args()
    agent = str(pathlib.Path(options.agent).resolve())
    work = pathlib.Path(tempfile.mkdtemp(prefix="ocpp-bench-"))
    try:
        fresh, reused = [], []
        reused_dir = work / "reused"
        for run in range(options.runs):
            fresh_dir = work / f"fresh-{run}"
            fresh.append((await one_run(agent, fresh_dir, options.port, False, 0))["boot_ms"])
            reused.append((await one_run(agent, reused_dir, options.port, False, 0))["boot_ms"])
        idle = await one_run(agent, work / "idle", options.port, True, options.idle_seconds)
        size = os.path.getsize(agent)
        print(f"agent binary: {agent} ({size / 1e6:.1f} MB)")
        print(f"start -> BootNotification on the wire, fresh data dir: {summary(fresh, 'ms')}")
        print(f"start -> BootNotification on the wire, reused data dir: {summary(reused, 'ms')}")
        print(f"idle, connected, 2 EVSEs: Anonymous {idle['anonymous_kib'] / 1024:.2f} MiB, Rss {idle['rss_kib'] / 1024:.2f} MiB")
        print(f"idle CPU over {options.idle_seconds:.0f} s: {idle['idle_cpu_percent']:.3f} % ({idle['idle_frames']} frames sent)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())

#!/usr/bin/env python3
"""`make bench-codec` (and the codec lines of `make bench`): the message layer against the Python `ocpp` package on
the same TransactionEvent CALL, side by side: `station-bench codec` (parse + validate + typed decode + encode, release
build, the byte path; the per-stage line compares it with the tree path) and Scripts/py_codec.py (unpack + validate_payload + to_json) alternate for --rounds rounds of --seconds each,
so both see the same machine; prints each side's median frames/s and the ratio of the medians."""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(command):
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bench-tool", default=str(ROOT / ".build/release/station-bench"))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    options = parser.parse_args()
    swift, python = [], []
    for _ in range(options.rounds):
        swift.append(run([options.bench_tool, "codec", "--seconds", str(options.seconds)]))
        python.append(run([options.python, str(ROOT / "Scripts/py_codec.py")]))
    print(f"codec, one TransactionEvent CALL (parse + validate + decode + encode), median of {options.rounds} "
          f"alternating runs:")
    for label, s_key, p_key in (("wall clock", "swift_frames_per_s", "python_ocpp_frames_per_s"),
                                ("CPU time", "swift_frames_per_cpu_s", "python_ocpp_frames_per_cpu_s")):
        s = statistics.median(r[s_key] for r in swift)
        p = statistics.median(r[p_key] for r in python)
        print(f"  {label}: OCPPMessages (station-bench codec) {s:,.0f} frames/s = {1e6 / s:.2f} us/frame; "
              f"Python ocpp {version()} (py_codec.py) {p:,.0f} frames/s = {1e6 / p:.1f} us/frame; ratio {s / p:.1f}x")
    stages = [k for k in swift[0] if k.endswith("_cpu_us")]
    if stages:
        print("  per stage, us of CPU time a frame (median): " + ", ".join(
            f"{k[:-len('_cpu_us')]} {statistics.median(r[k] for r in swift):.2f}" for k in stages))


def version():
    try:
        from importlib.metadata import version as v
        return v("ocpp")
    except Exception:
        return "?"


main()

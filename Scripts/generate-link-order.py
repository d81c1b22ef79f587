#!/usr/bin/env python3
"""Regenerates Scripts/link-order.txt: the functions the release agent runs from start-up to idle, for the linker.

`make build` compiles every function into its own section and asks the linker (lld, --symbol-ordering-file) to
place the functions listed in Scripts/link-order.txt side by side. The code the agent runs to boot and sit idle then
fills about 330 contiguous pages instead of being scattered over a 25 MB text segment, where every touched page
pulls its neighbours in (the kernel maps file pages around a fault, 64 KiB at a time). Measured with
`make bench`: idle RSS 22.0 MiB -> 18.6 MiB.

How the list is made: the release agent (debug info stripped: valgrind 3.19 cannot read DWARF 5) runs under
valgrind's callgrind against the same minimal CSMS `make bench` uses, boots, reports its connectors, idles for two
seconds and is stopped with SIGTERM. Every function callgrind saw run inside the agent binary is listed by
its symbol name, in the order callgrind first met it.

The list is a hint, not a contract: names that no longer exist are ignored by the linker and new functions are
placed as usual, so a stale list only costs memory. Regenerate it (`make link-order`) after large changes.
"""
import argparse
import asyncio
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench  # noqa: E402  (the minimal CSMS)
import websockets  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent


async def profile(agent, output, port):
    csms = bench.BenchCSMS()
    server = await websockets.serve(csms.handler, "127.0.0.1", port, subprotocols=["ocpp2.0.1"])
    data_dir = tempfile.mkdtemp(prefix="ocpp-link-order-")
    args = [
        "valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={output}",
        agent, "run", "--csms-url", f"ws://127.0.0.1:{port}/ocpp", "--station-id", "LINKORDER",
        "--board", str(ROOT / "boards/sim.json"), "--device-model", str(ROOT / "device-model.json"),
        "--data-dir", data_dir, "--log-level", "warning",
    ]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await asyncio.wait_for(csms.idle.wait(), 120)
        await asyncio.sleep(2)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        server.close()
        await server.wait_closed()
        shutil.rmtree(data_dir, ignore_errors=True)


def executed_functions(callgrind_file, binary_name):
    """Function names in the binary, in the order callgrind first records them (its files compress names to ids)."""
    objects, functions, order = {}, {}, {}
    current_object = None

    def resolve(table, text):
        match = re.match(r"\((\d+)\)(?: (.*))?", text)
        if not match:
            return text
        if match.group(2) is not None:
            table[match.group(1)] = match.group(2)
        return table.get(match.group(1))

    with open(callgrind_file) as lines:
        for line in lines:
            if line.startswith("ob="):
                current_object = resolve(objects, line[3:].strip())
            elif line.startswith("cob="):
                resolve(objects, line[4:].strip())
            elif line.startswith("cfn="):
                resolve(functions, line[4:].strip())
            elif line.startswith("fn="):
                name = resolve(functions, line[3:].strip())
                if current_object and current_object.endswith("/" + binary_name) and name:
                    order.setdefault(name.split("'")[0], len(order))  # 'N marks recursion depth, not a symbol
    return sorted(order, key=order.get)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent", default=str(ROOT / ".build/release/station-agent"))
    parser.add_argument("--output", default=str(ROOT / "Scripts/link-order.txt"))
    parser.add_argument("--port", type=int, default=9921)
    options = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("generate-link-order: valgrind is not installed (apt-get install valgrind)")
    work = pathlib.Path(tempfile.mkdtemp(prefix="ocpp-link-order-"))
    try:
        stripped = work / "station-agent"
        subprocess.run(["strip", "-g", "-o", str(stripped), str(pathlib.Path(options.agent).resolve())], check=True)
        callgrind_file = work / "callgrind.out"
        asyncio.run(profile(str(stripped), str(callgrind_file), options.port))
        names = executed_functions(callgrind_file, stripped.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if len(names) < 1000:
        sys.exit(f"generate-link-order: only {len(names)} functions recorded; is the agent a release build that booted?")
    with open(options.output, "w") as out:
        for name in names:
            out.write(f"{name}\n")
    print(f"{options.output}: {len(names)} functions")


if __name__ == "__main__":
    main()

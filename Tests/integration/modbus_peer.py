"""A Modbus RTU energy meter for the tests: pymodbus serving one register map (sdm630, sdm120, abb-b23 or the generic
map of Tests/integration/boards) on a serial port, normally one end of a `socat` pseudo-terminal pair whose other end
the station's libmodbus backend opens.

    modbus_peer.py --port PTY --map sdm630 [--address 1] [--baud 9600] [--parity N] [--stopbits 1]
    modbus_peer.py --socat DIR --map sdm630 ...   # makes the pair itself: DIR/station (the station's end), DIR/meter

With --socat the peer owns socat and ends it when it ends, which it does when its stdin closes: a test that dies
leaves no process behind.

Prints `ready` once it serves. Commands on stdin, one a line: `answer` (default), `silent` (the meter stops answering:
meter lost), `crc` (every answer's CRC corrupted), `exception` (illegal data address for every request),
`energy WH` (set the import register), `quit`."""
import argparse
import asyncio
import os
import signal
import subprocess
import struct
import sys

from pymodbus import FramerType
from pymodbus.datastore import ModbusDeviceContext, ModbusServerContext, ModbusSparseDataBlock
from pymodbus.server import ModbusSerialServer

# The values every map serves (units: V, A, W, Wh); the Swift tests expect exactly these.
VALUES = {"voltageL1": 230.1, "voltageL2": 231.2, "voltageL3": 229.3, "currentL1": 10.5, "currentL2": 11.25,
          "currentL3": 12.0, "powerL1": 2416.0, "powerL2": 2601.0, "powerL3": 2751.5, "powerW": 7768.5,
          "energyImportWh": 1234567.0}

# quantity -> (register, type, word order, scale): raw = value / scale
MAPS = {
    "sdm630": ("ir", {"voltageL1": (0x00, "float32", "big", 1), "voltageL2": (0x02, "float32", "big", 1),
                      "voltageL3": (0x04, "float32", "big", 1), "currentL1": (0x06, "float32", "big", 1),
                      "currentL2": (0x08, "float32", "big", 1), "currentL3": (0x0A, "float32", "big", 1),
                      "powerL1": (0x0C, "float32", "big", 1), "powerL2": (0x0E, "float32", "big", 1),
                      "powerL3": (0x10, "float32", "big", 1), "powerW": (0x34, "float32", "big", 1),
                      "energyImportWh": (0x48, "float32", "big", 1000)}),
    "sdm120": ("ir", {"voltageL1": (0x00, "float32", "big", 1), "currentL1": (0x06, "float32", "big", 1),
                      "powerW": (0x0C, "float32", "big", 1), "energyImportWh": (0x48, "float32", "big", 1000)}),
    "abb-b23": ("hr", {"energyImportWh": (0x5000, "uint64", "big", 10), "voltageL1": (0x5B00, "uint32", "big", 0.1),
                       "voltageL2": (0x5B02, "uint32", "big", 0.1), "voltageL3": (0x5B04, "uint32", "big", 0.1),
                       "currentL1": (0x5B0C, "uint32", "big", 0.01), "currentL2": (0x5B0E, "uint32", "big", 0.01),
                       "currentL3": (0x5B10, "uint32", "big", 0.01), "powerW": (0x5B14, "int32", "big", 0.01),
                       "powerL1": (0x5B16, "int32", "big", 0.01), "powerL2": (0x5B18, "int32", "big", 0.01),
                       "powerL3": (0x5B1A, "int32", "big", 0.01)}),
    # The generic map the tests put in a board file: holding registers, mixed types, little word order.
    "generic": ("hr", {"energyImportWh": (100, "uint32", "little", 1), "powerW": (102, "int16", "big", 10),
                       "voltageL1": (103, "uint16", "big", 0.1), "currentL1": (104, "float32", "little", 1)}),
}

FORMATS = {"float32": ">f", "int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "uint64": ">Q"}


def words(kind, value, order):
    raw = round(value) if kind != "float32" else value
    data = struct.pack(FORMATS[kind], raw)
    result = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
    return result if order == "big" else list(reversed(result))


def fill(block, layout, quantity, value):
    register, kind, order, scale = layout[quantity]
    for offset, word in enumerate(words(kind, value / scale, order)):
        block.setValues(register + offset + 1, [word])  # pymodbus stores register N at N + 1


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port")
    parser.add_argument("--socat")
    parser.add_argument("--map", required=True, choices=list(MAPS))
    parser.add_argument("--address", type=int, default=1)
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--parity", default="N")
    parser.add_argument("--stopbits", type=int, default=1)
    args = parser.parse_args()
    if args.socat:
        SOCAT.append(subprocess.Popen(["socat", f"pty,raw,echo=0,link={args.socat}/station",
                                  f"pty,raw,echo=0,link={args.socat}/meter"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(500):
            if os.path.exists(f"{args.socat}/meter") and os.path.exists(f"{args.socat}/station"):
                break
            await asyncio.sleep(0.01)
        args.port = f"{args.socat}/meter"
    # The test that started us may die without a word (and other children may hold our stdin open): when our parent
    # changes, we end, and socat with us.
    parent = os.getppid()

    async def watch_parent():
        while os.getppid() == parent:
            await asyncio.sleep(0.5)
        _end()

    watcher = asyncio.create_task(watch_parent())
    try:
        await serve(args)
    finally:
        watcher.cancel()
        _end()


async def serve(args):

    table, layout = MAPS[args.map]
    block = ModbusSparseDataBlock({})
    for quantity in layout:
        fill(block, layout, quantity, VALUES[quantity])
    device = ModbusDeviceContext(**{table: block})
    mode = {"value": "answer"}

    def trace_packet(sending, data):
        if not sending:
            return data
        if mode["value"] == "crc" and data:
            return data[:-1] + bytes([data[-1] ^ 0xFF])
        if mode["value"] == "silent":
            return b""
        if mode["value"] == "exception" and len(data) >= 2:
            body = bytes([data[0], data[1] | 0x80, 0x02])
            return body + crc16(body)
        return data

    server = ModbusSerialServer(
        ModbusServerContext(devices={args.address: device}, single=False), framer=FramerType.RTU, port=args.port,
        baudrate=args.baud, parity=args.parity, stopbits=args.stopbits, bytesize=8, trace_packet=trace_packet)
    task = asyncio.create_task(server.serve_forever())
    await asyncio.sleep(0.3)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() == "quit":
            break
        command, *rest = line.split()
        if command == "energy":
            fill(block, layout, "energyImportWh", float(rest[0]))
        else:
            mode["value"] = command
        print("ok", flush=True)
    await server.shutdown()
    task.cancel()


def crc16(data):
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc.to_bytes(2, "little")


SOCAT = []


def _end(*_):
    """Ends socat and this process at once. Only async-signal-safe calls: this runs in a signal handler too, where a
    lock the interrupted code holds (stdout's, subprocess's) would deadlock."""
    for process in SOCAT:
        try:
            os.kill(process.pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(0)


if __name__ == "__main__":
    # A parent that blocks signals in the spawning thread (Swift's test runner does) passes its mask on: undo it, so
    # that SIGTERM reaches us and socat.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGTERM, _end)
    asyncio.run(main())

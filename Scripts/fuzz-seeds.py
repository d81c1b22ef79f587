#!/usr/bin/env python3
"""Writes the seed corpora and token dictionaries of the fuzz targets (Tests/Fuzz/corpus/<name>, Tests/Fuzz/<name>.dict).

frame: from the vendored OCA schemas: for every message, a CALL (request) or CALLRESULT (response, its messageId naming
the action so the target picks that response type) with only the required members and one with every member, and a
few CALLERRORs; the dictionary holds every property name, enum value and action name, and JSON/OCPP-J tokens.
board, device-model, sim-command: the repository's files (boards/*.json, device-model.json, cut into one document per
component as well) and the inputs of the unit tests; the dictionaries hold the string literals of the parsing code
(keys, enum values, names) and the OCPP enums it accepts."""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tests" / "integration"))
from schema_instances import SCHEMAS, full, inlined  # noqa: E402


def required_only(node, value):
    if node.get("type") == "object" and isinstance(value, dict):
        return {k: required_only(node["properties"][k], v) for k, v in value.items() if k in node.get("required", [])}
    if node.get("type") == "array" and isinstance(value, list):
        return [required_only(node["items"], v) for v in value]
    return value


def words(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "properties":
                out.update(v.keys())
            if k == "enum":
                out.update(v)
            words(v, out)
    elif isinstance(node, list):
        for v in node:
            words(v, out)


def dictionary_entry(token):
    r"""A libFuzzer dictionary line: the token's UTF-8 bytes in quotes, with \\, \" and \xNN escapes."""
    out = []
    for b in token.encode():
        c = chr(b)
        out.append("\\" + c if c in '\\"' else c if 0x20 <= b < 0x7F else f"\\x{b:02X}")
    return '"' + "".join(out) + '"'


FUZZ = ROOT / "Tests" / "Fuzz"
JSON_TOKENS = {"{", "}", "[", "]", ":", ",", '"', "true", "false", "null", "-0", "1e308", "1.5", "-1", "0",
               "2147483648", "9223372036854775808", "\\u0000", "\\n", "\\ud83d\\ude00", "\ufeff"}


def schema_enum(name):
    """The values of one OCPP enum type, from any vendored schema that defines it."""
    for path in sorted(SCHEMAS.glob("*.json")):
        definition = json.loads(path.read_text()).get("definitions", {}).get(name)
        if definition:
            return set(definition["enum"])
    raise SystemExit(f"no schema defines {name}")


def literals(*paths):
    """The word-like string literals of Swift sources: keys, enum raw values, names the parsers compare against."""
    found = set()
    for path in paths:
        for file in sorted((ROOT / path).rglob("*.swift")) if (ROOT / path).is_dir() else [ROOT / path]:
            found.update(re.findall(r'"([A-Za-z][A-Za-z0-9_./-]{0,40})"', file.read_text()))
    return found


def write_target(name, seeds, tokens):
    corpus = FUZZ / "corpus" / name
    corpus.mkdir(parents=True, exist_ok=True)
    for old in corpus.iterdir():
        old.unlink()
    for label, text in seeds.items():
        (corpus / label).write_text(text)
    lines = sorted({dictionary_entry(t) for t in tokens if t})
    (FUZZ / f"{name}.dict").write_text(f"# tokens for the {name} fuzzer (Scripts/fuzz-seeds.py)\n" + "\n".join(lines) + "\n")
    print(f"{name}: {len(seeds)} seeds, {len(lines)} dictionary tokens")


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def board_target():
    seeds = {f"{p.stem}.json": p.read_text() for p in sorted((ROOT / "boards").glob("*.json"))}
    two = {"name": "two", "hal": "sim", "evses": [
        {"id": 1, "maxCurrentA": 16, "connectors": [{"id": 1, "type": "cType2"}], "meter": {"type": "sim"}},
        {"id": 2, "maxCurrentA": 32, "connectors": [{"id": 1, "type": "cCCS2"}, {"id": 2, "type": "sType2", "lock": False}],
         "meter": {"type": "sim"}}], "rebootCommand": ["/sbin/reboot", "-f"], "rfid": None}
    seeds["two.json"] = compact(two)
    generic = json.loads(compact(two))
    generic["evses"][0]["meter"] = {
        "type": "modbus-rtu", "device": "/dev/ttyAMA0", "baud": 19200, "parity": "even", "address": 3, "map": {
            "registers": [{"quantity": "energyImportWh", "register": 100, "function": 3, "type": "uint32", "wordOrder": "little"},
                          {"quantity": "powerW", "register": 102, "function": 4, "type": "int16", "scale": 10}]}}
    generic["evses"][1]["gpio"] = {"contactor": {"chip": "gpiochip0", "line": 17},
                                   "rcd": {"chip": "gpiochip0", "line": 5, "activeLow": True}}
    seeds["generic-map-gpio.json"] = compact(generic)
    tokens = literals("Sources/OCPPStationHardware/BoardFile.swift", "Sources/OCPPStationHardware/BoardFileHAL.swift",
                      "Sources/OCPPStationHardware/BoardFileHardware.swift", "Sources/OCPPStationHardware/GPIO",
                      "Sources/OCPPStationHardware/Modbus/ModbusRegisterMap.swift", "Sources/OCPPStationHardware/Sysfs",
                      "Sources/OCPPStationHardware/Evdev")
    tokens |= schema_enum("ConnectorEnumType") | JSON_TOKENS | {"big", "little", "none", "even", "odd", "GPIO17", "1023"}
    write_target("board", seeds, tokens)


def device_model_target():
    text = (ROOT / "device-model.json").read_text()
    components = json.loads(text)
    seeds = {"device-model.json": text, "empty.json": "[]"}
    for i, component in enumerate(components):
        seeds[f"component-{i:02}-{component['name']}.json"] = compact([component])
    tokens = literals("Sources/OCPPStation/DeviceModel/DeviceModelFile.swift")
    tokens |= {c["name"] for c in components} | {v["name"] for c in components for v in c.get("variables", [])}
    for enum in ("DataEnumType", "AttributeEnumType", "MutabilityEnumType"):
        tokens |= schema_enum(enum)
    write_target("device-model", seeds, tokens | JSON_TOKENS)


def sim_command_target():
    lines = ['{"cmd":"status"}', '{"cmd":"plug","evse":1}', '{"cmd":"plug","evse":1,"connector":1}',
             '{"cmd":"unplug","evse":2}', '{"cmd":"ev-charge","evse":1,"watts":7400}', '{"cmd":"ev-charge","evse":1}',
             '{"cmd":"ev-suspend","evse":1}', '{"cmd":"tap","idToken":"AB\\"C","type":"ISO15693","evse":2}',
             '{"cmd":"tap","idToken":"04A2B3C4"}', '{"cmd":"power","evse":1,"watts":3680.5}',
             '{"cmd":"fault","evse":1,"kind":"meter-lost"}', '{"cmd":"clear-fault","evse":1}',
             '{"cmd":"plug","evse":0}', '{"cmd":"jump"}']
    seeds = {f"line-{i:02}.json": line for i, line in enumerate(lines)}
    seeds["several-lines.txt"] = "\r\n".join(lines[:4]) + "\n\n \t\n" + lines[4]
    tokens = literals("Sources/OCPPStationHardware/Sim/SimCommand.swift", "Sources/OCPPStation/Ports/BoardHardware.swift")
    tokens |= schema_enum("IdTokenEnumType") | JSON_TOKENS | {"\r\n", "\n"}
    write_target("sim-command", seeds, tokens)


def main():
    board_target()
    device_model_target()
    sim_command_target()
    corpus = ROOT / "Tests" / "Fuzz" / "corpus" / "frame"
    corpus.mkdir(parents=True, exist_ok=True)
    tokens = set()
    for path in sorted(SCHEMAS.glob("*.json")):
        schema = inlined(json.loads(path.read_text()))
        words(schema, tokens)
        name = path.stem
        action, kind = (name[: -len("Request")], 2) if name.endswith("Request") else (name[: -len("Response")], 3)
        tokens.add(action)
        whole = full(schema)
        for label, payload in (("min", required_only(schema, whole)), ("full", whole)):
            frame = [2, f"{label}-1", action, payload] if kind == 2 else [3, action, payload]
            (corpus / f"{name}-{label}.json").write_text(json.dumps(frame, separators=(",", ":"), ensure_ascii=False))
    errors = [[4, "e-1", "FormatViolation", "bad", {}], [4, "e-2", "NotImplemented", "", {"x": [1, None]}],
              [4, "-1", "RpcFrameworkError", "Frame is not valid JSON", {}], [5, "x"], [2, "a", "Heartbeat"]]
    for i, frame in enumerate(errors):
        (corpus / f"other-{i}.json").write_text(json.dumps(frame, separators=(",", ":")))
    tokens |= {"[2,", "[3,", "[4,", "true", "false", "null", "\\u0000", "\\ud83d\\ude00", "\\\"", "1e308", "-0",
               "2147483648", "9223372036854775808", "2024-02-29T23:59:60.123+02:00", "Z", ".123456Z"}
    lines = sorted({dictionary_entry(t) for t in tokens if t})
    (ROOT / "Tests" / "Fuzz" / "frame.dict").write_text("# OCPP 2.0.1 tokens for the frame fuzzer (Scripts/fuzz-seeds.py)\n"
                                               + "\n".join(lines) + "\n")
    print(f"{len(list(corpus.iterdir()))} seeds, {len(lines)} dictionary tokens")


main()

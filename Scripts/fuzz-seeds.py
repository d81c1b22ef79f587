#!/usr/bin/env python3
"""Writes the seed corpus and the token dictionary of the OCPP-J frame fuzzer (Fuzz/corpus/frame, Fuzz/frame.dict)
from the vendored OCA schemas: for every message, a CALL (request) or CALLRESULT (response, its messageId naming the
action so the target picks that response type) with only the required members and one with every member, and a few
CALLERRORs; the dictionary holds every property name, enum value and action name, and JSON/OCPP-J tokens."""
import json
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


def main():
    corpus = ROOT / "Fuzz" / "corpus" / "frame"
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
    (ROOT / "Fuzz" / "frame.dict").write_text("# OCPP 2.0.1 tokens for the frame fuzzer (Scripts/fuzz-seeds.py)\n"
                                               + "\n".join(lines) + "\n")
    print(f"{len(list(corpus.iterdir()))} seeds, {len(lines)} dictionary tokens")


main()

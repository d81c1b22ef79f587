"""The validator of OCPPMessages checked against an independent one: the `jsonschema` package (issue #17).

For every one of the 128 official OCA schemas vendored in Sources/OCPPMessages/Schemas, payloads generated from the
schema JSON by `hypothesis-jsonschema` (valid ones), the same payloads mutated (mostly invalid ones) and hand-made
edge cases go through `station-bench check-payloads`, which frames each one (CALL for a request, CALLRESULT for a
response), parses, validates, decodes and re-encodes it with OCPPMessages. For each payload:

- the verdict (accepted or refused) must equal `jsonschema`'s (Draft 6, with its date-time format check);
- a refused payload must carry the CALLERROR code Part 4 §4.3 (Table 8) names for the kind of violation jsonschema
  reports (see CODE_OF_KEYWORD);
- an accepted payload must re-encode to JSON that decodes to the same value.

Expected differences (EXPECTED_DIFFERENCES) are the limits the station applies that the schemas do not carry; any
other disagreement fails the test and is a bug in one of the two validators.
"""
import json
import os
import random
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis_jsonschema import from_schema
from jsonschema import Draft6Validator

from schema_instances import SCHEMAS, full, inlined, schema_of

ROOT = Path(__file__).resolve().parents[2]
AGENT = os.environ.get("STATION_AGENT") or str(ROOT / ".build" / "debug" / "station-agent")
BENCH = os.environ.get("STATION_BENCH") or str(Path(AGENT).parent / "station-bench")
# Valid instances drawn per schema (hypothesis-jsonschema is slow: about 0.2 s of CPU per instance of a large
# schema); each also gives mutants. DIFFERENTIAL_EXAMPLES=200 for a longer run.
EXAMPLES = int(os.environ.get("DIFFERENTIAL_EXAMPLES", "6"))
NAMES = sorted(p.stem for p in SCHEMAS.glob("*.json"))

# Part 4 §4.3, Table 8: the code for each kind of schema violation. The reasons are in SchemaValidator's comment:
# members the message does not define make the payload "syntactically incorrect" (FormatViolation); `required` and
# the array cardinalities are the data model's occurrence constraints; a value of the wrong JSON type is Table 8's
# own TypeConstraintViolation example; a value of the right type that the field does not allow is
# PropertyConstraintViolation.
CODE_OF_KEYWORD = {
    "additionalProperties": "FormatViolation",
    "required": "OccurrenceConstraintViolation",
    "minItems": "OccurrenceConstraintViolation",
    "maxItems": "OccurrenceConstraintViolation",
    "type": "TypeConstraintViolation",
    "enum": "PropertyConstraintViolation",
    "maxLength": "PropertyConstraintViolation",
    "format": "PropertyConstraintViolation",
    "minimum": "PropertyConstraintViolation",
    "maximum": "PropertyConstraintViolation",
}

INT64 = (-(2**63), 2**63 - 1)


def integers_outside_int64(value):
    """Part 2 §2.1.4 makes OCPP integers 32-bit; the station accepts anything that fits in Int64 (lenient toward a
    CSMS that sends 2^31) and refuses larger ones with TypeConstraintViolation, since no field can hold them. The
    schemas carry no bound, so jsonschema accepts them."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not INT64[0] <= value <= INT64[1]
    if isinstance(value, float):
        return value.is_integer() and not -9.223372036854775808e18 <= value < 9.223372036854775808e18
    if isinstance(value, list):
        return any(integers_outside_int64(v) for v in value)
    if isinstance(value, dict):
        return any(integers_outside_int64(v) for v in value.values())
    return False


def rfc3339_allows_what_jsonschema_refuses(errors):
    """jsonschema checks `format: date-time` with rfc3339-validator, which refuses second 60 and year 0000. RFC 3339
    §5.6's grammar allows both (time-second 00-60 for leap seconds, date-fullyear 4DIGIT), and so does
    OCPPDateTime: a bug on jsonschema's side, harmless to a station (it accepts a little more than jsonschema)."""
    return errors and all(e.validator == "format" and isinstance(e.instance, str)
                          and (e.instance[17:19] == "60" or e.instance.startswith("0000-")) for e in errors)


def expected_difference(payload, ours, errors):
    """Why a disagreement is expected, or None."""
    if ours[:2] == ("reject", "TypeConstraintViolation") and integers_outside_int64(payload):
        return "integer outside Int64"
    if ours == ("ok",) and rfc3339_allows_what_jsonschema_refuses(errors):
        return "leap second or year 0000"
    return None


# --- payloads ------------------------------------------------------------------------------------------------------

def small_arrays(node):
    """The schema with every array capped at max(minItems, 2) elements: still only valid instances, but
    hypothesis-jsonschema spends minutes on the nested arrays of charging profiles otherwise."""
    if isinstance(node, dict):
        node = {k: small_arrays(v) for k, v in node.items()}
        if node.get("type") == "array":
            node["maxItems"] = min(node.get("maxItems", 2), max(node.get("minItems", 0), 2))
        return node
    if isinstance(node, list):
        return [small_arrays(v) for v in node]
    return node


def generated(schema, count):
    """`count` valid instances drawn by hypothesis-jsonschema, reproducibly."""
    found = []
    schema = small_arrays(inlined(schema))

    @settings(max_examples=count, database=None, deadline=None, derandomize=True, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(from_schema(schema))
    def draw(instance):
        found.append(instance)

    draw()
    return found


def leaves(value, path=()):
    """Every (path, value) position of an instance, containers included, the root excluded."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,), v
            yield from leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield path + (i,), v
            yield from leaves(v, path + (i,))


def replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


def removed(value, path):
    copy = dict(value) if isinstance(value, dict) else list(value)
    if len(path) == 1:
        del copy[path[0]]
    else:
        copy[path[0]] = removed(value[path[0]], path[1:])
    return copy


WRONG_VALUES = [None, True, 0, -1, 2**31, -(2**31) - 1, 2**63, 1.5, -0.25, 1e300, "", "x", "2023-02-29T00:00:00Z",
                "Accepted", [], [1], {}, {"vendorId": "v"}]


def mutations(instance, rng, count):
    """Mutants of a valid instance: a member dropped or added, a value replaced by one of another type or value, a
    string grown, an array emptied or repeated. Many are invalid; jsonschema decides which."""
    out = []
    positions = list(leaves(instance))
    for _ in range(count):
        kind = rng.randrange(6)
        if kind == 0 or not positions:
            target = instance
            container_paths = [()] + [p for p, v in positions if isinstance(v, dict)]
            path = rng.choice(container_paths)
            sub = instance
            for k in path:
                sub = sub[k]
            out.append(replaced(instance, path, {**sub, rng.choice(["extra", "customData", "vendorId", "id"]):
                                                 rng.choice(WRONG_VALUES)}))
            continue
        path, value = rng.choice(positions)
        if kind == 1 and isinstance(path[-1], str):
            out.append(removed(instance, path))
        elif kind == 2 and isinstance(value, str):
            out.append(replaced(instance, path, value + rng.choice(["é", "😀", "a"]) * rng.choice([1, 7, 300, 3000])))
        elif kind == 3 and isinstance(value, list):
            out.append(replaced(instance, path, rng.choice([[], value * 3, value + value[:1] * 10])))
        else:
            out.append(replaced(instance, path, rng.choice(WRONG_VALUES)))
    return out


def schema_positions(node, path=()):
    """(path, leaf schema) of every position in `full(node)`, containers included."""
    if node.get("type") == "object":
        for k, v in node.get("properties", {}).items():
            yield path + (k,), v
            yield from schema_positions(v, path + (k,))
    elif node.get("type") == "array":
        yield from schema_positions(node["items"], path + (0,))


DATE_TIMES = ["2026-11-23T19:44:20Z", "2026-11-23T19:44:20.1Z", "2026-11-23T19:44:20.123456Z",
              "2026-11-23T19:44:20.123456789Z", "2026-11-23t19:44:20z", "2026-11-23T19:44:20+01:00",
              "2026-11-23T19:44:20-00:00", "2024-02-29T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-23T24:00:00Z",
              "2016-12-31T23:59:60Z", "2026-11-23T19:44:20", "2026-11-23T19:44:20.Z", "2026-11-23 19:44:20Z",
              "2026-11-23T19:44Z", "2026-11-23", "", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z",
              "2026-13-01T00:00:00Z", "2026-11-23T19:44:20+24:00", "２026-11-23T19:44:20Z"]
INTEGERS = [0, -1, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1,
            5.0, 1e2, -0.0, 1.5, 1e300, "5", True, None]
NUMBERS = [0, -0.0, 1e-7, 0.1234567, 123456.123456, 2**63, -(2**63) - 1, 1e300, -1e-300, "1.0", False]


def edge_values(node):
    kind = node.get("type")
    if kind == "string" and node.get("format") == "date-time":
        return DATE_TIMES + [0]
    if kind == "string" and "enum" in node:
        first = node["enum"][0]
        return [first, first.lower(), first.upper(), first + " ", "", ["x"]]
    if kind == "string":
        n = node.get("maxLength", 16)
        # maxLength counts characters (code points), not UTF-8 bytes or UTF-16 units.
        return ["a" * n, "a" * (n + 1), "é" * n, "é" * (n + 1), "😀" * n, "😀" * (n + 1), "\u0000\n\"" * 1, 7]
    if kind == "integer":
        return INTEGERS
    if kind == "number":
        return NUMBERS
    if kind == "boolean":
        return [False, 0, "true", None]
    if kind == "array":
        items = full(node["items"])
        out = [[], "x", {}]
        if "maxItems" in node:
            out += [[items] * node["maxItems"], [items] * (node["maxItems"] + 1)]
        return out
    if kind == "object":
        base = full(node)
        return [{}, [], {**base, "undeclared": 1}]
    return []


def hand_made(schema):
    """The full instance, then each of its positions set to each edge value of its type."""
    tree = inlined(schema)
    base = full(tree)
    out = [base]
    for path, node in schema_positions(tree):
        for value in edge_values(node):
            out.append(replaced(base, path, value))
    return out


# --- the two verdicts ----------------------------------------------------------------------------------------------

def ours(name, payloads):
    require_bench()
    text = "".join(f"{name}\t{json.dumps(p, ensure_ascii=False)}\n" for p in payloads)
    result = subprocess.run([BENCH, "check-payloads"], input=text.encode(), capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    lines = result.stdout.decode().split("\n")[:-1]
    assert len(lines) == len(payloads), f"{len(lines)} verdicts for {len(payloads)} payloads"
    return [tuple(line.split("\t")) for line in lines]


def require_bench():
    if not os.access(BENCH, os.X_OK):
        pytest.fail(f"no station-bench binary at {BENCH}: build it (swift build --build-tests) or set STATION_BENCH",
                    False)


def compare(name, schema, payloads):
    """Disagreements between OCPPMessages and jsonschema, and counts of what was checked."""
    validator = Draft6Validator(schema, format_checker=Draft6Validator.FORMAT_CHECKER)
    verdicts = ours(name, payloads)
    problems, stats = [], {"valid": 0, "invalid": 0, "expected": 0}
    for payload, verdict in zip(payloads, verdicts):
        errors = list(validator.iter_errors(payload))
        stats["valid" if not errors else "invalid"] += 1
        shown = json.dumps(payload, ensure_ascii=False)[:300]
        if verdict[0] == "roundtrip":
            problems.append(f"re-encoding differs ({verdict[1]}): {shown}")
            continue
        if verdict[0] == "unknown":
            problems.append(f"station-bench does not know {name}")
            break
        accepted = verdict == ("ok",)
        if accepted == (not errors):
            if errors:
                codes = {CODE_OF_KEYWORD.get(e.validator, f"?{e.validator}") for e in errors}
                code = verdict[1]
                if code not in codes and not expected_difference(payload, verdict, errors):
                    problems.append(f"code {code} at {verdict[2] if len(verdict) > 2 else ''!r}, jsonschema: "
                                    + "; ".join(f"{e.validator} at {e.json_path} -> {CODE_OF_KEYWORD.get(e.validator)}"
                                                for e in errors[:3]) + f": {shown}")
            continue
        why = expected_difference(payload, verdict[:2], errors)
        if why:
            stats["expected"] += 1
            continue
        if accepted:
            problems.append("accepted, but jsonschema: " + "; ".join(f"{e.message[:120]} at {e.json_path}"
                                                                     for e in errors[:3]) + f": {shown}")
        else:
            problems.append(f"refused ({' '.join(verdict[1:])}), jsonschema accepts: {shown}")
    return problems, stats


# Generating instances of the largest schemas takes tens of seconds on a loaded machine.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", NAMES)
def test_validator_agrees_with_jsonschema(name):
    schema = schema_of(name)
    valid = generated(schema, EXAMPLES)
    rng = random.Random(name)
    payloads = valid + hand_made(schema)
    for instance in valid:
        payloads += mutations(instance, rng, 8)
    problems, stats = compare(name, schema, payloads)
    assert stats["valid"] > 0
    assert not problems, f"{len(problems)} disagreements for {name} ({stats}):\n" + "\n".join(problems[:15])


def test_all_128_schemas_are_checked():
    assert len(NAMES) == 128

"""Instances built from the vendored OCA schemas (Sources/OCPPMessages/Schemas), shared by the differential test and
Scripts/fuzz-seeds.py."""
import json
from pathlib import Path

SCHEMAS = Path(__file__).resolve().parents[2] / "Sources" / "OCPPMessages" / "Schemas"


def schema_of(name):
    return json.loads((SCHEMAS / f"{name}.json").read_text())


def inlined(schema):
    """The schema with its `#/definitions/...` references replaced by the definitions (none of the OCA schemas is
    recursive): hypothesis-jsonschema resolves references against `$id`, which is a URN it cannot fetch."""
    definitions = schema.get("definitions", {})

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {k: walk(v) for k, v in node.items() if k not in ("$id", "$schema", "definitions", "javaType",
                                                                      "comment", "description")}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def full(node):
    """An instance with every optional member present, arrays at their minimum length (at least one element) and
    plain leaf values: the base that the hand-made edge cases change one position of."""
    kind = node.get("type")
    if kind == "object":
        return {k: full(v) for k, v in node.get("properties", {}).items()}
    if kind == "array":
        return [full(node["items"])] * max(1, node.get("minItems", 1))
    if kind == "string":
        if "enum" in node:
            return node["enum"][0]
        return "2026-11-23T19:44:20.123Z" if node.get("format") == "date-time" else "a"
    if kind == "integer":
        return node.get("minimum", 1)
    if kind == "number":
        return node.get("minimum", 1.5)
    if kind == "boolean":
        return True
    return "any"

"""Reading the schemas from code: local ``$ref`` resolution and "what may go here?".

The schema pass uses these to phrase messages (titles, allowed keys); the
YAML-value guard uses :func:`subschemas_at` to learn whether a plain ``no`` sits
where a boolean or a string is expected; the docs generator walks ``$defs``.
All schemas are self-contained, so only local ``#/...`` references occur.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from journey.schema import load_schema

Schema = dict[str, Any]
JSON_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")


def resolve_pointer(root: Schema, ref: str) -> Schema:
    """``#/$defs/duration`` -> that subschema of ``root``."""
    if not ref.startswith("#"):
        raise ValueError(f"only local references are supported, not {ref!r}")
    node: Any = root
    for part in ref.lstrip("#").strip("/").split("/"):
        if part:
            node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, dict):
        raise ValueError(f"reference {ref!r} does not name a schema")
    return node


def deref(root: Schema, schema: Any) -> Schema:
    """A schema with its ``$ref`` chain merged in; keys written beside ``$ref`` win."""
    if not isinstance(schema, dict):
        return {}
    merged = dict(schema)
    seen: set[str] = set()
    while "$ref" in merged and merged["$ref"] not in seen:
        ref = merged.pop("$ref")
        seen.add(ref)
        merged = {**resolve_pointer(root, ref), **merged}
    merged.pop("$ref", None)
    return merged


def schema_types(root: Schema, schema: Any) -> set[str]:
    """The JSON types a schema admits (all of them when it does not say)."""
    if schema is True or schema == {}:
        return set(JSON_TYPES)
    resolved = deref(root, schema)
    if "type" in resolved:
        declared = resolved["type"]
        types = {declared} if isinstance(declared, str) else set(declared)
        if "number" in types:
            types.add("integer")
        return types
    if "const" in resolved:
        return {json_type(resolved["const"])}
    if "enum" in resolved:
        return {json_type(value) for value in resolved["enum"]}
    branches = resolved.get("oneOf") or resolved.get("anyOf")
    if branches:
        found: set[str] = set()
        for branch in branches:
            found |= schema_types(root, branch)
        return found
    return set(JSON_TYPES)


def json_type(value: Any) -> str:
    """The JSON Schema type name of a loaded YAML value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def subschemas_at(schema_name: str, path: tuple[str | int, ...]) -> list[Schema]:
    """Every subschema that may apply to the value at ``path`` (all branches kept)."""
    return list(_subschemas_at(schema_name, _generalise(path)))


def _generalise(path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """List indexes do not change the schema (no ``prefixItems``), so cache on 0."""
    return tuple(0 if isinstance(part, int) else part for part in path)


@cache
def _subschemas_at(schema_name: str, path: tuple[str | int, ...]) -> tuple[Schema, ...]:
    root = load_schema(schema_name)
    current = _expand(root, root)
    for part in path:
        following: list[Schema] = []
        for schema in current:
            for child in _children(schema, part):
                following.extend(_expand(root, child))
        current = following
    return tuple(current)


def _expand(root: Schema, schema: Any) -> list[Schema]:
    """A schema and every branch of its combinators, references resolved."""
    if schema is True:
        return [{}]
    resolved = deref(root, schema)
    if not resolved and schema is not None and schema != {}:
        return []
    out = [resolved]
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in resolved.get(keyword, ()):
            out.extend(_expand(root, branch))
    for keyword in ("then", "else"):
        if keyword in resolved:
            out.extend(_expand(root, resolved[keyword]))
    return out


ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "markdownDescription",
        "examples",
        "default",
        "$comment",
        "patternErrorMessage",
        "enumDescriptions",
    }
)


def _children(schema: Schema, part: str | int) -> list[Any]:
    """Subschemas for one step down; an annotation-only schema admits anything below."""
    if set(schema) <= ANNOTATIONS:
        return [{}]
    declared = schema.get("type")
    types = {declared} if isinstance(declared, str) else set(declared or ())
    if isinstance(part, int):
        return [schema.get("items", {})] if "array" in types else []
    if "object" not in types:
        return []
    properties = schema.get("properties", {})
    if part in properties:
        return [properties[part]]
    additional = schema.get("additionalProperties", True)
    if additional is False:
        return []
    return [{} if additional is True else additional]

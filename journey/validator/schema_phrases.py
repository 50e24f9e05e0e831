"""Plain-language pieces for schema messages: what a value is, what was expected, where.

Marketers read these in their editor and in CI, so no JSON Schema words
("instance", "oneOf", "property") ever appear; a value is described the way
they wrote it and a place the way they think of it ("`wait_for` in step
`nudge`").
"""

from __future__ import annotations

from typing import Any

from journey.loader import JsonPath, format_json_path
from journey.schema.walk import Schema, deref, json_type

SUBJECTS = {"journey": "the journey", "workspace": "the workspace", "journey-test": "the test file"}

TYPE_WORDS = {
    "object": "`key: value` settings",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def shown(value: Any, limit: int = 60) -> str:
    """A scalar as the user wrote it, shortened; for use inside backticks."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def found_phrase(value: Any) -> str:
    """``text `9 30```, ``the number 3``, ``a list`` ..."""
    kind = json_type(value)
    if kind == "string":
        return f"text `{shown(value)}`" if value else "empty text"
    if kind in ("integer", "number"):
        return f"the number {shown(value)}"
    if kind == "boolean":
        return f"`{shown(value)}`"
    if kind == "null":
        return "an empty value"
    return TYPE_WORDS[kind]


def expected_phrase(root: Schema, schema: Any) -> str:
    """What a schema wants, e.g. ``a list of steps`` or ``a duration such as `2d```."""
    resolved = deref(root, schema)
    if "const" in resolved:
        return f"`{shown(resolved['const'])}`"
    declared = resolved.get("type")
    if declared is None:
        branches = resolved.get("oneOf") or resolved.get("anyOf") or ()
        return join_or([expected_phrase(root, branch) for branch in branches]) or "a value"
    types = [declared] if isinstance(declared, str) else list(declared)
    phrases = [_type_phrase(root, resolved, t) for t in types if t != "null"]
    return join_or(phrases) or "nothing"


def _type_phrase(root: Schema, schema: Schema, type_name: str) -> str:
    title = str(schema.get("title", "")).lower()
    examples = schema.get("examples") or []
    if type_name == "string" and title and ("pattern" in schema or "format" in schema):
        example = next((e for e in examples if isinstance(e, str)), None)
        return f"a {title} such as `{example}`" if example else f"a {title}"
    if type_name == "string" and "enum" in schema:
        return join_or([f"`{option}`" for option in schema["enum"]])
    if type_name == "array":
        item_title = str(deref(root, schema.get("items", {})).get("title", "")).lower()
        return f"a list of {plural(item_title)}" if item_title else "a list"
    return TYPE_WORDS.get(type_name, type_name)


def plural(noun: str) -> str:
    return noun if noun.endswith("s") else noun + "s"


def join_or(words: list[str]) -> str:
    return _join(words, "or")


def join_and(words: list[str]) -> str:
    return _join(words, "and")


def _join(words: list[str], last: str) -> str:
    unique = list(dict.fromkeys(w for w in words if w))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + f" {last} " + unique[-1]


def ticked(words: list[str]) -> list[str]:
    return [f"`{w}`" for w in words]


def subject(schema_name: str, data: Any, path: JsonPath) -> str:
    """Where a problem is, as a marketer would say it.

    ``()`` -> ``the journey``; ``("steps", 2)`` -> ``step `nudge```;
    ``("steps", 2, "wait_for")`` -> ```wait_for` in step `nudge```;
    ``("locales", 1)`` -> ``an item of `locales```.
    """
    if not path:
        return SUBJECTS.get(schema_name, "the file")
    context, rest = _context(data, path)
    if not rest:
        return context or "this value"
    if isinstance(rest[-1], int):
        text = (
            f"item {rest[-1] + 1} of `{format_json_path(rest[:-1])}`"
            if len(rest) > 1
            else "this item"
        )
    else:
        text = f"`{format_json_path(rest)}`"
    return f"{text} in {context}" if context else text


def _context(data: Any, path: JsonPath) -> tuple[str | None, JsonPath]:
    """Split off a leading ``steps[i]`` or ``cases[i]``, named by step id or case number."""
    if len(path) >= 2 and isinstance(path[1], int) and isinstance(data, dict):
        items = data.get(path[0])
        index = path[1]
        item = items[index] if isinstance(items, list) and index < len(items) else None
        if path[0] == "steps":
            step_id = item.get("id") if isinstance(item, dict) else None
            label = f"step `{step_id}`" if isinstance(step_id, str) else f"step {index + 1}"
            return label, path[2:]
        if path[0] == "cases":
            return f"case {index + 1}", path[2:]
    return None, path


# the semantic passes' codes for formats the schema already knows, keyed by schema title
_FORMAT_CODES = {
    "duration": "invalid-duration",
    "offset": "invalid-duration",
    "time of day": "invalid-time",
    "exit reason": "invalid-exit-reason",
}


def value_code(schema: dict[str, Any], default: str) -> str:
    """The specific code for a format the semantic passes also check, else ``default``."""
    return _FORMAT_CODES.get(str(schema.get("title", "")).lower(), default)

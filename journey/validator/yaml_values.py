"""The YAML-1.1 guard: decide what each plain ``yes/no/on/off/y/n`` meant.

The loader keeps those words as :class:`~journey.loader.BoolWord` strings. This
pass, run before the schema pass, asks the schema what is expected at each one:

* a boolean only (``frequency_cap: off``, ``include_existing: yes``, a consent
  flag, ``starttls: yes``): the word becomes ``True``/``False`` in the data;
* text would be accepted (a locale ``no``, a country, a free attribute, an
  ``update`` value, a webhook ``body``): error ``ambiguous-yaml-value`` -- unless
  the attribute is declared boolean in the workspace, then it becomes a boolean;
* neither: left alone, so the schema pass reports the real problem
  (``on_cap: off`` is simply not one of ``skip``/``defer``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from journey.errors import Diagnostic
from journey.loader import BoolWord, Document, JsonPath
from journey.schema.walk import Schema, subschemas_at

# where a key names a contact attribute, so a declared type can settle the question
_ATTRIBUTE_PARENTS = frozenset({"update", "contact"})


def normalise_bool_words(
    doc: Document, schema_name: str, declared_attributes: Mapping[str, str] | None = None
) -> list[Diagnostic]:
    """Turn BoolWords into booleans where only a boolean fits; report the ambiguous ones."""
    found: list[Diagnostic] = []
    for path in doc.bool_words:
        parent = _container(doc.data, path)
        if parent is None:
            continue
        word = parent[path[-1]]  # type: ignore[index]
        if not isinstance(word, BoolWord):
            continue
        schemas = [s for s in subschemas_at(schema_name, path) if not _is_combinator(s)]
        if _declared_boolean(path, declared_attributes):
            parent[path[-1]] = word.as_bool()  # type: ignore[index]
        elif any(_accepts_string(s, word) for s in schemas):
            found.append(_ambiguous(doc, path, word))
        elif any(_accepts_bool(s, word.as_bool()) for s in schemas):
            parent[path[-1]] = word.as_bool()  # type: ignore[index]
    return found


def _container(data: Any, path: JsonPath) -> dict[str, Any] | list[Any] | None:
    """The mapping or list holding the value at ``path``, if the path still leads there."""
    if not path:
        return None
    node = data
    for part in path[:-1]:
        if not _holds(node, part):
            return None
        node = node[part]
    return node if _holds(node, path[-1]) else None


def _holds(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    if isinstance(node, list):
        return isinstance(part, int) and 0 <= part < len(node)
    return False


def _declared_boolean(path: JsonPath, declared: Mapping[str, str] | None) -> bool:
    if not declared or len(path) < 2 or path[-2] not in _ATTRIBUTE_PARENTS:
        return False
    name = path[-1]
    return isinstance(name, str) and declared.get(name) == "boolean"


def _is_combinator(schema: Schema) -> bool:
    """A oneOf/anyOf holder without a type of its own; its branches are listed beside it."""
    return "type" not in schema and any(k in schema for k in ("oneOf", "anyOf", "allOf"))


def _types(schema: Schema) -> set[str] | None:
    declared = schema.get("type")
    if declared is None:
        return None
    return {declared} if isinstance(declared, str) else set(declared)


def _accepts_string(schema: Schema, word: str) -> bool:
    types = _types(schema)
    if types is not None and "string" not in types:
        return False
    if "const" in schema:
        return bool(schema["const"] == word)
    if "enum" in schema:
        return word in schema["enum"]
    pattern = schema.get("pattern")
    return not (isinstance(pattern, str) and re.search(pattern, word) is None)


def _accepts_bool(schema: Schema, value: bool) -> bool:
    types = _types(schema)
    if types is not None and "boolean" not in types:
        return False
    if "const" in schema:
        return schema["const"] is value
    if "enum" in schema:
        return any(option is value for option in schema["enum"])
    return True


def _ambiguous(doc: Document, path: JsonPath, word: BoolWord) -> Diagnostic:
    key = path[-1]
    owner = next((part for part in reversed(path) if isinstance(part, str)), None)
    if isinstance(key, str):
        shown = f"`{key}: {word}`"
    else:
        shown = f"`{word}` in `{owner}`" if owner else f"`{word}`"
    meaning = "true" if word.as_bool() else "false"
    return Diagnostic(
        code="ambiguous-yaml-value",
        message=(
            f'{shown} is ambiguous: it could be the text "{word}" or the yes/no value `{meaning}`'
        ),
        location=doc.location(path, value=True),
        hint=(f'write "{word}" in quotes if you mean the text, or true/false for a yes/no value'),
    )

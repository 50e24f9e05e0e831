"""A compiled yes/no check of a document against one of our schemas.

jsonschema's validator is general and slow-ish (a few ms per journey, mostly
spent resolving ``$ref`` and re-creating validators on every descent); valid
files are the common case, and ``journey validate`` over hundreds of journeys
should take a blink. So each schema is compiled once into nested closures that
only answer "valid?"; the schema pass asks jsonschema for the details only when
the answer is no. The closures cover exactly the keywords our schemas use and
refuse to compile any other, so a schema change can never be silently skipped;
a test compares both answers on many mutated documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from journey.schema import load_schema
from journey.schema.walk import Schema, resolve_pointer

Check = Callable[[Any], bool]

IGNORED = frozenset(
    {
        "$schema",
        "$id",
        "$defs",
        "$comment",
        "title",
        "description",
        "markdownDescription",
        "examples",
        "default",
        "patternErrorMessage",
        "enumDescriptions",
        "minContains",  # read together with `contains`
        "maxContains",
    }
)

_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
}


@cache
def fast_checker(schema_name: str) -> Check:
    """``check(data) -> bool``, the same verdict as Draft 2020-12 with format checks."""
    root = load_schema(schema_name)
    return _Compiler(root).compile(root)


def equal(one: Any, other: Any) -> bool:
    """JSON equality: ``true`` is not ``1``; lists and mappings compare item by item."""
    if isinstance(one, bool) or isinstance(other, bool):
        return isinstance(one, bool) and isinstance(other, bool) and one == other
    if isinstance(one, list) and isinstance(other, list):
        return len(one) == len(other) and all(equal(a, b) for a, b in zip(one, other, strict=True))
    if isinstance(one, dict) and isinstance(other, dict):
        return one.keys() == other.keys() and all(equal(one[k], other[k]) for k in one)
    if isinstance(one, (list, dict)) or isinstance(other, (list, dict)):
        return False
    return bool(one == other)


class _Compiler:
    def __init__(self, root: Schema) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}
        self.formats = Draft202012Validator.FORMAT_CHECKER

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda _value: True
        if schema is False:
            return lambda _value: False
        unknown = set(schema) - IGNORED - set(_KEYWORDS)
        if unknown:
            raise ValueError(f"fastcheck cannot compile keywords {sorted(unknown)}")
        checks = [
            _KEYWORDS[keyword](self, schema, value)
            for keyword, value in schema.items()
            if keyword in _KEYWORDS
        ]
        if len(checks) == 1:
            return checks[0]
        return lambda value: all(check(value) for check in checks)

    def ref(self, target: str) -> Check:
        if target not in self.refs:
            self.refs[target] = lambda value: self.refs[target](value)  # until compiled
            self.refs[target] = self.compile(resolve_pointer(self.root, target))
        return self.refs[target]


def _when(kind: str, test: Check) -> Check:
    """Apply ``test`` only to values of one JSON type, as every such keyword does."""
    is_kind = _TYPES[kind]
    return lambda value: not is_kind(value) or test(value)


def _type(_c: _Compiler, _schema: Schema, declared: Any) -> Check:
    tests = [_TYPES[t] for t in ([declared] if isinstance(declared, str) else declared)]
    return lambda value: any(test(value) for test in tests)


def _ref(c: _Compiler, _schema: Schema, target: str) -> Check:
    return c.ref(target)


def _enum(_c: _Compiler, _schema: Schema, options: list[Any]) -> Check:
    return lambda value: any(equal(value, option) for option in options)


def _const(_c: _Compiler, _schema: Schema, expected: Any) -> Check:
    return lambda value: equal(value, expected)


def _pattern(_c: _Compiler, _schema: Schema, pattern: str) -> Check:
    search = re.compile(pattern).search
    return _when("string", lambda value: search(value) is not None)


def _format(c: _Compiler, _schema: Schema, name: str) -> Check:
    return lambda value: c.formats.conforms(value, name)


def _min_length(_c: _Compiler, _schema: Schema, size: int) -> Check:
    return _when("string", lambda value: len(value) >= size)


def _minimum(_c: _Compiler, _schema: Schema, bound: float) -> Check:
    return _when("number", lambda value: value >= bound)


def _maximum(_c: _Compiler, _schema: Schema, bound: float) -> Check:
    return _when("number", lambda value: value <= bound)


def _exclusive_minimum(_c: _Compiler, _schema: Schema, bound: float) -> Check:
    return _when("number", lambda value: value > bound)


def _properties(c: _Compiler, _schema: Schema, properties: dict[str, Any]) -> Check:
    compiled = {name: c.compile(sub) for name, sub in properties.items()}
    return _when(
        "object",
        lambda value: all(check(value[k]) for k, check in compiled.items() if k in value),
    )


def _additional(c: _Compiler, schema: Schema, additional: Any) -> Check:
    known = frozenset(schema.get("properties", {}))
    check = c.compile(additional)
    return _when("object", lambda value: all(check(v) for k, v in value.items() if k not in known))


def _property_names(c: _Compiler, _schema: Schema, names: Any) -> Check:
    check = c.compile(names)
    return _when("object", lambda value: all(check(k) for k in value))


def _required(_c: _Compiler, _schema: Schema, keys: list[str]) -> Check:
    return _when("object", lambda value: all(k in value for k in keys))


def _dependent_required(_c: _Compiler, _schema: Schema, needs: dict[str, list[str]]) -> Check:
    pairs = [(key, need) for key, wanted in needs.items() for need in wanted]
    return _when("object", lambda value: all(n in value for k, n in pairs if k in value))


def _min_properties(_c: _Compiler, _schema: Schema, size: int) -> Check:
    return _when("object", lambda value: len(value) >= size)


def _items(c: _Compiler, _schema: Schema, items: Any) -> Check:
    check = c.compile(items)
    return _when("array", lambda value: all(check(item) for item in value))


def _min_items(_c: _Compiler, _schema: Schema, size: int) -> Check:
    return _when("array", lambda value: len(value) >= size)


def _unique_items(_c: _Compiler, _schema: Schema, unique: bool) -> Check:
    def check(value: list[Any]) -> bool:
        return all(
            not equal(value[i], value[j])
            for i in range(len(value))
            for j in range(i + 1, len(value))
        )

    return _when("array", check) if unique else (lambda _value: True)


def _contains(c: _Compiler, schema: Schema, contains: Any) -> Check:
    check = c.compile(contains)
    low = schema.get("minContains", 1)
    high = schema.get("maxContains")

    def count_ok(value: list[Any]) -> bool:
        count = sum(1 for item in value if check(item))
        return count >= low and (high is None or count <= high)

    return _when("array", count_ok)


def _one_of(c: _Compiler, _schema: Schema, branches: list[Any]) -> Check:
    checks = [c.compile(branch) for branch in branches]
    return lambda value: sum(1 for check in checks if check(value)) == 1


def _any_of(c: _Compiler, _schema: Schema, branches: list[Any]) -> Check:
    checks = [c.compile(branch) for branch in branches]
    return lambda value: any(check(value) for check in checks)


def _not(c: _Compiler, _schema: Schema, negated: Any) -> Check:
    check = c.compile(negated)
    return lambda value: not check(value)


_KEYWORDS: dict[str, Callable[[_Compiler, Schema, Any], Check]] = {
    "type": _type,
    "$ref": _ref,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "format": _format,
    "minLength": _min_length,
    "minimum": _minimum,
    "maximum": _maximum,
    "exclusiveMinimum": _exclusive_minimum,
    "properties": _properties,
    "additionalProperties": _additional,
    "propertyNames": _property_names,
    "required": _required,
    "dependentRequired": _dependent_required,
    "minProperties": _min_properties,
    "items": _items,
    "minItems": _min_items,
    "uniqueItems": _unique_items,
    "contains": _contains,
    "oneOf": _one_of,
    "anyOf": _any_of,
    "not": _not,
}

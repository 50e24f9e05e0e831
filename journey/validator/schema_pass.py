"""Schema pass: check a loaded document against its JSON Schema, in plain language.

jsonschema finds the problems; this module decides how to say them. Each error
becomes one diagnostic at ``PATH:LINE:COL`` (the key's line for a mapping
member) with a stable code and a hint: ``unknown-key``, ``missing-key``,
``invalid-value``, ``wrong-type``, ``step-action``, ``trigger-kind``, and for
formats the semantic passes know too, their codes (``invalid-duration``,
``invalid-time``, ``invalid-exit-reason``, ``reserved-step-id``, ``empty-steps``).
A failed ``oneOf``/``anyOf`` is resolved to the branch the user meant (see
``schema_choices``), so exactly one precise message comes out, never the
validator's "is not valid under any of the given schemas".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from journey.errors import Diagnostic
from journey.loader import Document, JsonPath
from journey.schema import load_schema
from journey.schema.fastcheck import fast_checker
from journey.schema.walk import deref
from journey.validator.schema_choices import report_choice
from journey.validator.schema_phrases import (
    expected_phrase,
    found_phrase,
    join_and,
    join_or,
    shown,
    subject,
    ticked,
    value_code,
)
from journey.validator.suggest import closest, did_you_mean

# codes for a value of the wrong shape; one of them per place at most
_VALUE_CODES = frozenset(
    {
        "wrong-type",
        "invalid-value",
        "invalid-duration",
        "invalid-time",
        "invalid-exit-reason",
        "reserved-step-id",
        "empty-steps",
    }
)


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    """Built once per process: building is the expensive part, validating is cheap."""
    schema = load_schema(schema_name)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def check_schema(doc: Document, schema_name: str) -> list[Diagnostic]:
    """Every schema problem of ``doc`` (data already normalised), each reported once."""
    if doc.data is None or fast_checker(schema_name)(doc.data):
        return []  # the common case, answered without building any error
    reporter = Reporter(doc, schema_name)
    for error in _validator(schema_name).iter_errors(doc.data):
        reporter.report(error)
    return reporter.result()


class Reporter:
    """Turns validation errors into diagnostics, deduplicated by (code, place, detail)."""

    def __init__(self, doc: Document, schema_name: str) -> None:
        self.doc = doc
        self.schema_name = schema_name
        self.root = load_schema(schema_name)
        self.found: dict[tuple[str, JsonPath, str], Diagnostic] = {}
        self.suggested: set[tuple[JsonPath, str]] = set()  # (object path, key suggested)

    # ------------------------------------------------------------------ plumbing

    def add(
        self,
        code: str,
        path: JsonPath,
        message: str,
        hint: str | None = None,
        *,
        detail: str = "",
    ) -> None:
        """Record one problem; a value gets one verdict, the wrong type beating the rest."""
        slot = ("value" if code in _VALUE_CODES else code, path, detail)
        earlier = self.found.get(slot)
        if earlier is not None and not (code == "wrong-type" and earlier.code != code):
            return
        self.found[slot] = Diagnostic(
            code=code, message=message, location=self.doc.location(path), hint=hint
        )

    def result(self) -> list[Diagnostic]:
        kept = [
            diagnostic
            for (code, path, detail), diagnostic in self.found.items()
            if not (code == "missing-key" and (path, detail) in self.suggested)
        ]
        return sorted(kept, key=Diagnostic.sort_key)

    def where(self, path: JsonPath) -> str:
        return subject(self.schema_name, self.doc.data, path)

    def report(self, error: ValidationError) -> None:
        path = tuple(error.absolute_path)
        if "propertyNames" in error.absolute_schema_path:
            self._bad_key_name(error, path)
            return
        handler = _HANDLERS.get(str(error.validator), Reporter._other)
        handler(self, error, path)

    # ------------------------------------------------------------------ keys

    def _unknown_keys(self, error: ValidationError, path: JsonPath) -> None:
        if not isinstance(_instance(error), dict):
            return
        allowed = list(_schema(error).get("properties", {}))
        for key in _instance(error):
            if key in allowed:
                continue
            guess = closest(key, allowed)
            if guess:
                self.suggested.add((path, guess[0]))
            hint = did_you_mean(key, allowed) or f"allowed here: {join_or(ticked(allowed))}"
            self.add(
                "unknown-key",
                (*path, key),
                f"unknown key `{key}` in {self.where(path)}",
                hint,
                detail=key,
            )

    def _missing(self, error: ValidationError, path: JsonPath) -> None:
        if not isinstance(_instance(error), dict):
            return
        properties = _schema(error).get("properties", {})
        for key in _value(error):
            if key not in _instance(error):
                self.missing_key(path, key, properties.get(key))

    def missing_key(self, path: JsonPath, key: str, schema: Any, have: str = "") -> None:
        description = deref(self.root, schema).get("description") if schema else None
        because = f" (it has `{have}`)" if have else ""
        self.add(
            "missing-key",
            path,
            f"{self.where(path)} is missing `{key}`{because}",
            f"`{key}`: {description}" if description else None,
            detail=key,
        )

    def _dependent(self, error: ValidationError, path: JsonPath) -> None:
        if not isinstance(_instance(error), dict):
            return
        for key, needs in _value(error).items():
            for need in needs:
                if key in _instance(error) and need not in _instance(error):
                    self.add(
                        "unknown-key",
                        (*path, key),
                        f"`{key}` only goes together with `{need}` in {self.where(path)}",
                        f"remove `{key}`, or add `{need}`",
                        detail=key,
                    )

    def _bad_key_name(self, error: ValidationError, path: JsonPath) -> None:
        key = str(_instance(error))
        hint = _schema(error).get("patternErrorMessage")
        self.add(
            "invalid-value",
            (*path, key),
            f"`{shown(key)}` is not a valid name in {self.where(path)}",
            hint,
            detail=key,
        )

    # ------------------------------------------------------------------ values

    def _enum(self, error: ValidationError, path: JsonPath) -> None:
        options = [_value(error)] if error.validator == "const" else list(_value(error))
        self.bad_choice(path, _instance(error), options)

    def bad_choice(self, path: JsonPath, value: Any, options: list[Any]) -> None:
        names = [shown(o) for o in options]
        guess = did_you_mean(value, names) if isinstance(value, str) else None
        allowed = f"allowed: {join_or(ticked(names))}"
        hint = f"{guess} ({allowed})" if guess else allowed
        self.add("invalid-value", path, f"{self.where(path)} cannot be `{shown(value)}`", hint)

    def _pattern(self, error: ValidationError, path: JsonPath) -> None:
        schema = _schema(error)
        title = str(schema.get("title", "value")).lower()
        value = _instance(error)
        hint = schema.get("patternErrorMessage")
        if isinstance(value, str) and value.startswith("-") and "duration" in title:
            hint = f"only a date trigger's `offset` may be negative. {hint or ''}".strip()
        self.add(
            value_code(schema, "invalid-value"),
            path,
            f"{self.where(path)}: `{shown(value)}` is not a valid {title}",
            hint,
        )

    def _type(self, error: ValidationError, path: JsonPath) -> None:
        schema = _schema(error)
        expected = expected_phrase(self.root, schema)
        hint = schema.get("patternErrorMessage") or schema.get("description")
        self.add(
            value_code(schema, "wrong-type"),
            path,
            f"{self.where(path)} should be {expected}, found {found_phrase(_instance(error))}",
            hint,
        )

    def _range(self, error: ValidationError, path: JsonPath) -> None:
        schema = _schema(error)
        low, high = schema.get("minimum"), schema.get("maximum")
        whole = schema.get("type") == "integer"
        if low is not None and high is not None:
            hint = f"use a {'whole ' if whole else ''}number from {low} to {high}"
        elif "exclusiveMinimum" in schema:
            hint = f"use a number above {schema['exclusiveMinimum']}"
        else:
            hint = f"use {low} or more" if low is not None else f"use at most {high}"
        self.add(
            "invalid-value",
            path,
            f"{self.where(path)}: {shown(_instance(error))} is out of range",
            hint,
        )

    def _too_few(self, error: ValidationError, path: JsonPath) -> None:
        instance = _instance(error)
        description = _schema(error).get("description")
        if not instance:
            empty_steps = path == ("steps",) and self.schema_name == "journey"
            code = "empty-steps" if empty_steps else "invalid-value"
            self.add(code, path, f"{self.where(path)} is empty", description)
            return
        self.add(
            "invalid-value",
            path,
            f"{self.where(path)} needs at least {_value(error)} items",
            description,
        )

    def _unique(self, error: ValidationError, path: JsonPath) -> None:
        seen: list[Any] = []
        duplicate = None
        for item in _instance(error):
            if item in seen:
                duplicate = item
                break
            seen.append(item)
        self.add(
            "invalid-value",
            path,
            f"{self.where(path)} lists `{shown(duplicate)}` twice",
            "keep each entry once",
        )

    def _too_many_matching(self, error: ValidationError, path: JsonPath) -> None:
        contains = deref(self.root, _schema(error).get("contains", {}))
        key = (contains.get("required") or ["such"])[0]
        self.add(
            "invalid-value",
            path,
            f"{self.where(path)} has more than one `{key}` item",
            f"keep one `{key}`, as the last item",
        )

    def _reserved(self, error: ValidationError, path: JsonPath) -> None:
        banned = deref(self.root, _value(error))
        words = [banned["const"]] if "const" in banned else list(banned.get("enum", []))
        value = shown(_instance(error))
        code = value_code(_schema(error), "invalid-value")
        if value == "end":
            code = "reserved-step-id"
            hint = "`end` is the built-in target that completes the journey; choose another id"
        else:
            hint = f"reserved here: {join_and(ticked(words))}; choose your own name"
        self.add(code, path, f"{self.where(path)}: `{value}` is reserved", hint)

    def _other(self, error: ValidationError, path: JsonPath) -> None:
        description = deref(self.root, error.schema).get("description")
        self.add("invalid-value", path, f"{self.where(path)} is not valid here", description)

    def report_all(self, errors: Iterable[ValidationError]) -> None:
        for error in errors:
            self.report(error)


def _schema(error: ValidationError) -> dict[str, Any]:
    """The schema holding the failed keyword (the stubs allow bool/unset; ours are dicts)."""
    return error.schema if isinstance(error.schema, dict) else {}


def _instance(error: ValidationError) -> Any:
    return error.instance


def _value(error: ValidationError) -> Any:
    return error.validator_value


_Handler = Callable[[Reporter, ValidationError, JsonPath], None]
_HANDLERS: dict[str, _Handler] = {
    "additionalProperties": Reporter._unknown_keys,
    "required": Reporter._missing,
    "dependentRequired": Reporter._dependent,
    "enum": Reporter._enum,
    "const": Reporter._enum,
    "pattern": Reporter._pattern,
    "format": Reporter._pattern,
    "type": Reporter._type,
    "minimum": Reporter._range,
    "maximum": Reporter._range,
    "exclusiveMinimum": Reporter._range,
    "minItems": Reporter._too_few,
    "minLength": Reporter._too_few,
    "minProperties": Reporter._too_few,
    "uniqueItems": Reporter._unique,
    "maxContains": Reporter._too_many_matching,
    "not": Reporter._reserved,
    "oneOf": report_choice,
    "anyOf": report_choice,
}

__all__ = ["check_schema"]

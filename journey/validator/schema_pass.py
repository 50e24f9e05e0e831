"""Schema pass: check a loaded document against its JSON Schema, in plain language.

jsonschema finds the problems; this module decides how to say them. Each error
becomes one diagnostic at ``PATH:LINE:COL`` (the key's line for a mapping
member) with a stable code -- ``unknown-key``, ``missing-key``,
``invalid-value``, ``wrong-type``, ``step-action``, ``trigger-kind`` -- and a
hint. ``oneOf``/``anyOf`` failures are resolved to the branch the user meant
(the action key or trigger kind present, the channel ``kind``, the type of the
value) so that exactly one precise message comes out, never the validator's
"is not valid under any of the given schemas".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from journey.errors import Diagnostic
from journey.loader import Document, JsonPath
from journey.schema import load_schema
from journey.schema.walk import deref, json_type, schema_types
from journey.validator.schema_phrases import (
    expected_phrase,
    found_phrase,
    join_and,
    join_or,
    shown,
    subject,
    ticked,
)
from journey.validator.suggest import closest, did_you_mean

# key groups of a "exactly one of these keys" rule that have their own code and wording
_STEP_ACTIONS = frozenset(
    {"send", "wait", "wait_until", "wait_for", "branch", "split", "update", "webhook", "exit"}
)
_TRIGGER_KINDS = frozenset({"event", "segment", "date", "schedule", "inactivity"})


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    """Built once per process: building is the expensive part, validating is cheap."""
    schema = load_schema(schema_name)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def check_schema(doc: Document, schema_name: str) -> list[Diagnostic]:
    """Every schema problem of ``doc`` (data already normalised), each reported once."""
    if doc.data is None:
        return []
    reporter = _Reporter(doc, schema_name)
    for error in _validator(schema_name).iter_errors(doc.data):
        reporter.report(error)
    return reporter.result()


class _Reporter:
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
        key = (code, path, detail)
        if key not in self.found:
            self.found[key] = Diagnostic(
                code=code, message=message, location=self.doc.location(path), hint=hint
            )

    def result(self) -> list[Diagnostic]:
        wrong_type = {path for code, path, _ in self.found if code == "wrong-type"}
        kept = [
            diagnostic
            for (code, path, detail), diagnostic in self.found.items()
            if not (code == "invalid-value" and path in wrong_type)
            and not (code == "missing-key" and (path, detail) in self.suggested)
        ]
        return sorted(kept, key=Diagnostic.sort_key)

    def where(self, path: JsonPath) -> str:
        return subject(self.schema_name, self.doc.data, path)

    def report(self, error: ValidationError) -> None:
        path = tuple(error.absolute_path)
        if "propertyNames" in error.absolute_schema_path:
            self._bad_key_name(error, path)
            return
        handler = _HANDLERS.get(str(error.validator), _Reporter._other)
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
                self._missing_key(path, key, properties.get(key))

    def _missing_key(self, path: JsonPath, key: str, schema: Any, have: str = "") -> None:
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
        self._bad_choice(path, _instance(error), options)

    def _bad_choice(self, path: JsonPath, value: Any, options: list[Any]) -> None:
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
            "invalid-value",
            path,
            f"{self.where(path)}: `{shown(value)}` is not a valid {title}",
            hint,
        )

    def _type(self, error: ValidationError, path: JsonPath) -> None:
        schema = _schema(error)
        expected = expected_phrase(self.root, schema)
        hint = schema.get("patternErrorMessage") or schema.get("description")
        self.add(
            "wrong-type",
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
            self.add("invalid-value", path, f"{self.where(path)} is empty", description)
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
        if value == "end":
            hint = "`end` is the built-in target that completes the journey; choose another id"
        else:
            hint = f"reserved here: {join_and(ticked(words))}; choose your own name"
        self.add("invalid-value", path, f"{self.where(path)}: `{value}` is reserved", hint)

    def _other(self, error: ValidationError, path: JsonPath) -> None:
        description = deref(self.root, error.schema).get("description")
        self.add("invalid-value", path, f"{self.where(path)} is not valid here", description)

    # ------------------------------------------------------------------ choices

    def _choice(self, error: ValidationError, path: JsonPath) -> None:
        """A oneOf/anyOf: find the branch the user meant and report only its problems."""
        branches = list(_value(error))
        if all(isinstance(b, dict) and set(b) == {"required"} for b in branches):
            self._exclusive_keys(error, path, [list(b["required"]) for b in branches])
            return
        resolved = [deref(self.root, b) for b in branches]
        discriminator = _const_discriminator(resolved)
        if discriminator and isinstance(_instance(error), dict):
            self._by_discriminator(error, path, resolved, discriminator)
            return
        kind = json_type(_instance(error))
        fitting = [i for i, b in enumerate(branches) if kind in schema_types(self.root, b)]
        if not fitting:
            expected = join_or([expected_phrase(self.root, b) for b in branches])
            self.add(
                "wrong-type",
                path,
                f"{self.where(path)} should be {expected}, found {found_phrase(_instance(error))}",
                deref(self.root, error.schema).get("description"),
            )
        elif len(fitting) == 1:
            self._report_all(c for c in error.context if c.relative_schema_path[0] == fitting[0])
        else:
            self._several_fit(error, path, [resolved[i] for i in fitting], fitting)

    def _several_fit(
        self, error: ValidationError, path: JsonPath, fitting: list[dict[str, Any]], idx: list[int]
    ) -> None:
        """Several branches take this type (``never``/``always`` or a duration): list them all."""
        leaves = [c for c in error.context if c.relative_schema_path[0] in idx]
        simple = {"enum", "const", "pattern", "format"}
        if leaves and all(c.validator in simple and tuple(c.absolute_path) == path for c in leaves):
            options: list[str] = []
            for branch in fitting:
                enum = branch.get("enum")
                options += (
                    ticked([shown(o) for o in enum])
                    if enum
                    else [expected_phrase(self.root, branch)]
                )
            self.add(
                "invalid-value",
                path,
                f"{self.where(path)} cannot be `{shown(_instance(error))}`",
                f"use {join_or(options)}",
            )
        elif leaves:
            self.report(best_match(leaves))

    def _by_discriminator(
        self, error: ValidationError, path: JsonPath, resolved: list[dict[str, Any]], key: str
    ) -> None:
        values = [b["properties"][key]["const"] for b in resolved]
        allowed = f"allowed: {join_or(ticked([shown(v) for v in values]))}"
        if key not in _instance(error):
            self.add(
                "missing-key", path, f"{self.where(path)} is missing `{key}`", allowed, detail=key
            )
            return
        chosen = _instance(error)[key]
        for index, value in enumerate(values):
            if value == chosen:
                self._report_all(c for c in error.context if c.relative_schema_path[0] == index)
                return
        self._bad_choice((*path, key), chosen, values)

    def _exclusive_keys(
        self, error: ValidationError, path: JsonPath, groups: list[list[str]]
    ) -> None:
        """Exactly one of these keys (a step's action, a trigger's kind, `channel`/`url`)."""
        instance = _instance(error)
        if not isinstance(instance, dict):
            return
        firsts = [group[0] for group in groups]
        present = [g for g in groups if all(k in instance for k in g)]
        if len(present) > 1:
            named = [k for k in instance if any(k in g for g in present)]
            self._too_many_keys(path, named, firsts)
            return
        if present:
            return
        partial = max(groups, key=lambda g: sum(k in instance for k in g))
        have = [k for k in partial if k in instance]
        if have:
            for key in partial:
                if key not in instance:
                    props = _schema(error).get("properties", {})
                    self._missing_key(path, key, props.get(key), have=have[0])
            return
        allowed = list(_schema(error).get("properties", {}))
        strays = [k for k in instance if k not in allowed]
        if any(closest(k, firsts) for k in strays):
            return  # the unknown-key error already says "did you mean `send`?"
        self._no_keys(path, firsts)

    def _too_many_keys(self, path: JsonPath, named: list[str], firsts: list[str]) -> None:
        keys = join_and(ticked(named))
        at = (*path, named[1]) if len(named) > 1 else path
        group = frozenset(firsts)
        if group == _STEP_ACTIONS:
            self.add(
                "step-action",
                at,
                f"{self.where(path)} has {len(named)} actions, {keys}; a step does one thing",
                "split it into separate steps, one action each",
            )
        elif group == _TRIGGER_KINDS:
            self.add(
                "trigger-kind",
                at,
                f"the trigger has {len(named)} kinds, {keys}; a journey has exactly one",
                "keep one trigger kind; make a second journey for the other",
            )
        else:
            self.add(
                "invalid-value",
                at,
                f"{self.where(path)} has both {keys}",
                f"use only one of {join_or(ticked(firsts))}",
            )

    def _no_keys(self, path: JsonPath, firsts: list[str]) -> None:
        options = join_or(ticked(firsts))
        group = frozenset(firsts)
        if group == _STEP_ACTIONS:
            self.add(
                "step-action", path, f"{self.where(path)} has no action", f"add one of {options}"
            )
        elif group == _TRIGGER_KINDS:
            self.add("trigger-kind", path, "the trigger has no kind", f"add one of {options}")
        else:
            self.add(
                "missing-key",
                path,
                f"{self.where(path)} needs {options}",
                f"add one of {options}",
                detail="|".join(firsts),
            )

    def _report_all(self, errors: Iterable[ValidationError]) -> None:
        for error in errors:
            self.report(error)


def _schema(error: ValidationError) -> dict[str, Any]:
    """The schema holding the failed keyword (the stubs allow bool/unset; ours are dicts)."""
    return error.schema if isinstance(error.schema, dict) else {}


def _instance(error: ValidationError) -> Any:
    return error.instance


def _value(error: ValidationError) -> Any:
    return error.validator_value


def _const_discriminator(branches: list[dict[str, Any]]) -> str | None:
    """A key whose `const` tells object branches apart (a channel's `kind`)."""
    if not branches or any(b.get("type") != "object" for b in branches):
        return None
    for key, schema in branches[0].get("properties", {}).items():
        if "const" in schema and all(
            "const" in b.get("properties", {}).get(key, {}) for b in branches
        ):
            return str(key)
    return None


_Handler = Callable[[_Reporter, ValidationError, JsonPath], None]
_HANDLERS: dict[str, _Handler] = {
    "additionalProperties": _Reporter._unknown_keys,
    "required": _Reporter._missing,
    "dependentRequired": _Reporter._dependent,
    "enum": _Reporter._enum,
    "const": _Reporter._enum,
    "pattern": _Reporter._pattern,
    "format": _Reporter._pattern,
    "type": _Reporter._type,
    "minimum": _Reporter._range,
    "maximum": _Reporter._range,
    "exclusiveMinimum": _Reporter._range,
    "minItems": _Reporter._too_few,
    "minLength": _Reporter._too_few,
    "minProperties": _Reporter._too_few,
    "uniqueItems": _Reporter._unique,
    "maxContains": _Reporter._too_many_matching,
    "not": _Reporter._reserved,
    "oneOf": _Reporter._choice,
    "anyOf": _Reporter._choice,
}

__all__ = ["check_schema"]

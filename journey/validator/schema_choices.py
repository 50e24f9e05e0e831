"""Schema pass, part two: one precise message for a failed oneOf/anyOf.

A oneOf failure says only "none (or several) of these fit"; the user meant one
branch. It is found from the data: the key of an exactly-one-of group (a
step's action, a trigger's kind), a ``kind`` constant (channels), or the type
of the value (``quiet_hours: false`` vs a mapping). Only that branch's problems
are reported; a group with zero or several keys gets its own wording.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jsonschema.exceptions import ValidationError, best_match

from journey.loader import JsonPath
from journey.schema.walk import deref, json_type, schema_types
from journey.validator.schema_phrases import (
    expected_phrase,
    found_phrase,
    join_and,
    join_or,
    shown,
    ticked,
    value_code,
)
from journey.validator.suggest import closest

if TYPE_CHECKING:
    from journey.validator.schema_pass import Reporter

# key groups of an "exactly one of these keys" rule that have their own code and wording
_STEP_ACTIONS = frozenset(
    {"send", "wait", "wait_until", "wait_for", "branch", "split", "update", "webhook", "exit"}
)
_TRIGGER_KINDS = frozenset({"event", "segment", "date", "schedule", "inactivity"})


def report_choice(reporter: Reporter, error: ValidationError, path: JsonPath) -> None:
    """A oneOf/anyOf: find the branch the user meant and report only its problems."""
    branches = list(_value(error))
    if all(isinstance(b, dict) and set(b) == {"required"} for b in branches):
        _exclusive_keys(reporter, error, path, [list(b["required"]) for b in branches])
        return
    resolved = [deref(reporter.root, b) for b in branches]
    discriminator = _const_discriminator(resolved)
    if discriminator and isinstance(_instance(error), dict):
        _by_discriminator(reporter, error, path, resolved, discriminator)
        return
    kind = json_type(_instance(error))
    fitting = [i for i, b in enumerate(branches) if kind in schema_types(reporter.root, b)]
    if not fitting:
        expected = join_or([expected_phrase(reporter.root, b) for b in branches])
        reporter.add(
            "wrong-type",
            path,
            f"{reporter.where(path)} should be {expected}, found {found_phrase(_instance(error))}",
            deref(reporter.root, error.schema).get("description"),
        )
    elif len(fitting) == 1:
        reporter.report_all(c for c in error.context if c.relative_schema_path[0] == fitting[0])
    else:
        _several_fit(reporter, error, path, [resolved[i] for i in fitting], fitting)


def _several_fit(
    reporter: Reporter,
    error: ValidationError,
    path: JsonPath,
    fitting: list[dict[str, Any]],
    idx: list[int],
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
                else [expected_phrase(reporter.root, branch)]
            )
        codes = [value_code(b, "") for b in fitting]
        reporter.add(
            next((c for c in codes if c), "invalid-value"),
            path,
            f"{reporter.where(path)} cannot be `{shown(_instance(error))}`",
            f"use {join_or(options)}",
        )
    elif leaves:
        reporter.report(best_match(leaves))


def _by_discriminator(
    reporter: Reporter,
    error: ValidationError,
    path: JsonPath,
    resolved: list[dict[str, Any]],
    key: str,
) -> None:
    values = [b["properties"][key]["const"] for b in resolved]
    allowed = f"allowed: {join_or(ticked([shown(v) for v in values]))}"
    if key not in _instance(error):
        reporter.add(
            "missing-key", path, f"{reporter.where(path)} is missing `{key}`", allowed, detail=key
        )
        return
    chosen = _instance(error)[key]
    for index, value in enumerate(values):
        if value == chosen:
            reporter.report_all(c for c in error.context if c.relative_schema_path[0] == index)
            return
    reporter.bad_choice((*path, key), chosen, values)


def _exclusive_keys(
    reporter: Reporter, error: ValidationError, path: JsonPath, groups: list[list[str]]
) -> None:
    """Exactly one of these keys (a step's action, a trigger's kind, `channel`/`url`)."""
    instance = _instance(error)
    if not isinstance(instance, dict):
        return
    firsts = [group[0] for group in groups]
    present = [g for g in groups if all(k in instance for k in g)]
    if len(present) > 1:
        named = [k for k in instance if any(k in g for g in present)]
        _too_many_keys(reporter, path, named, firsts)
        return
    if present:
        return
    partial = max(groups, key=lambda g: sum(k in instance for k in g))
    have = [k for k in partial if k in instance]
    if have:
        for key in partial:
            if key not in instance:
                props = _schema(error).get("properties", {})
                reporter.missing_key(path, key, props.get(key), have=have[0])
        return
    allowed = list(_schema(error).get("properties", {}))
    strays = [k for k in instance if k not in allowed]
    if any(closest(k, firsts) for k in strays):
        return  # the unknown-key error already says "did you mean `send`?"
    _no_keys(reporter, path, firsts)


def _too_many_keys(reporter: Reporter, path: JsonPath, named: list[str], firsts: list[str]) -> None:
    keys = join_and(ticked(named))
    at = (*path, named[1]) if len(named) > 1 else path
    group = frozenset(firsts)
    if group == _STEP_ACTIONS:
        reporter.add(
            "step-action",
            at,
            f"{reporter.where(path)} has {len(named)} actions, {keys}; a step does one thing",
            "split it into separate steps, one action each",
        )
    elif group == _TRIGGER_KINDS:
        reporter.add(
            "trigger-kind",
            at,
            f"the trigger has {len(named)} kinds, {keys}; a journey has exactly one",
            "keep one trigger kind; make a second journey for the other",
        )
    else:
        reporter.add(
            "invalid-value",
            at,
            f"{reporter.where(path)} has both {keys}",
            f"use only one of {join_or(ticked(firsts))}",
        )


def _no_keys(reporter: Reporter, path: JsonPath, firsts: list[str]) -> None:
    options = join_or(ticked(firsts))
    group = frozenset(firsts)
    if group == _STEP_ACTIONS:
        reporter.add(
            "step-action", path, f"{reporter.where(path)} has no action", f"add one of {options}"
        )
    elif group == _TRIGGER_KINDS:
        reporter.add("trigger-kind", path, "the trigger has no kind", f"add one of {options}")
    else:
        reporter.add(
            "missing-key",
            path,
            f"{reporter.where(path)} needs {options}",
            f"add one of {options}",
            detail="|".join(firsts),
        )


def _schema(error: ValidationError) -> dict[str, Any]:
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

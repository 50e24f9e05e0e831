"""Budget checks for the operations that can grow a value: `* ** + %` and str methods.

Jinja's sandbox stops attribute walks but not `'a' * 10**9`, `'%0999999999d' % 1`,
`'%(a)s' * 1000 % {'a': big}`, `[[0] * 99999] * 99999` or repeated squaring of
a big integer. Each check here runs *before* the allocation, against the
active budget (journey.budget), so a bomb fails in microseconds instead of
eating memory; results are checked again afterwards.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from jinja2.exceptions import SecurityError

from journey import budget

_SEQUENCES = (str, bytes, list, tuple)
_WIDE_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\d{4}|\d*\.\d{4})")
_PRINTF_SPEC = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?"
    r"[hlL]?(?P<conversion>.?)",
    re.DOTALL,
)


def check_repeat(sequence: Any, times: int) -> None:
    """Refuse `sequence * times` before it is built."""
    times = max(times, 0)
    if isinstance(sequence, (str, bytes)):
        kind = "string" if isinstance(sequence, str) else "bytes"
        budget.check_chars(len(sequence) * times, f"repeating a {kind} {times:,} times gives one")
        return
    size = budget.measure(sequence, budget.current().limits)
    repeated = budget.Size(size.items * times, size.chars * times, size.depth)
    budget.check_items(repeated, f"repeating a {type(sequence).__name__} {times:,} times gives one")


def guarded_mul(left: Any, right: Any) -> Any:
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, _SEQUENCES) and isinstance(times, int):
            check_repeat(sequence, times)
            return operator.mul(left, right)
    if isinstance(left, int) and isinstance(right, int):
        bits = left.bit_length() + right.bit_length()
        budget.check_bits(
            bits,
            f"a {budget.digits(left)}-digit times a {budget.digits(right)}-digit number gives"
            " an integer",
        )
    return budget.check_value(operator.mul(left, right))


def guarded_pow(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        bits = int(right * math.log2(abs(left))) + 1
        budget.check_bits(
            bits, f"a {budget.digits(left)}-digit number to the power {right:,} gives an integer"
        )
    return budget.check_value(operator.pow(left, right))


def guarded_add(left: Any, right: Any) -> Any:
    if isinstance(left, (str, bytes)) and isinstance(right, (str, bytes)):
        budget.check_chars(len(left) + len(right), "joining strings with + gives one")
    elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        limits = budget.current().limits
        one, two = budget.measure(left, limits), budget.measure(right, limits)
        joined = budget.Size(one.items + two.items, one.chars + two.chars)
        budget.check_items(joined, "joining lists with + gives one")
    return budget.check_value(operator.add(left, right))


def _spec_number(text: str | None, positional: list[Any], index: int) -> tuple[int, int]:
    """The value of a `*` or digits width/precision, and the next positional index."""
    if text == "*":
        value = positional[index] if index < len(positional) else 0
        return (abs(value) if isinstance(value, int) else 0), index + 1
    if not text:
        return 0, index
    return (int(text) if len(text) < 10 else 10**10), index


# `%` format strings repeat (a catalog's copy, a template's literals): what is
# read from the text alone is kept for the short ones, and the dict starts over
# when this full (a left operand can be contact data).
_SHAPES_LIMIT = 4_096
_SHAPE_TEXT = 2_000  # longer strings are looked at every time
_NAMED_SPEC = re.compile(r"%(?:%|\(([^()%]*)\)s)")


class _Shape(NamedTuple):
    specs: int  # the number of `%`, or -1 with a `*` or a 4-digit width or precision
    names: tuple[str, ...] | None  # the keys, when every spec is `%(key)s` or `%%`


_shapes: dict[str, _Shape] = {}


def _shape(template: str) -> _Shape:
    shape = _shapes.get(template)
    if shape is None:
        wide = "*" in template or _WIDE_SPEC.search(template) is not None
        shape = _Shape(-1 if wide else template.count("%"), _names(template))
        if len(template) <= _SHAPE_TEXT:
            if len(_shapes) >= _SHAPES_LIMIT:
                _shapes.clear()
            _shapes[template] = shape
    return shape


def _names(template: str) -> tuple[str, ...] | None:
    names: list[str] = []
    signs = 0
    for match in _NAMED_SPEC.finditer(template):
        if match.group(1) is None:
            signs += 2
        else:
            signs += 1
            names.append(match.group(1))
    return tuple(names) if signs == template.count("%") else None


def named_fields(template: str) -> tuple[str, ...] | None:
    """The keys of `template`'s `%(key)s` specs when those and `%%` are all it has
    (so `template % mapping` only ever prints `str()` of those values), else None."""
    return _shape(template).names


def _surely_small(template: str, positional: list[Any], mapping: Mapping[Any, Any] | None) -> bool:
    """The common case, decided cheaply: no `*` and no width or precision of 4
    digits, so each spec adds at most 1,998 characters of padding plus its
    largest argument."""
    if "%" not in template:
        return True
    specs = _shape(template).specs
    if specs < 0:
        return False
    values = mapping.values() if mapping is not None else positional
    limits = budget.current().limits
    largest = 0
    for value in values:
        size = len(value) if type(value) is str else budget.printed_size(value, limits)
        if size > largest:
            largest = size
    bound = len(template) + specs * (1_998 + max(largest, 310))
    return bound <= limits.string


def check_printf(template: str, args: Any) -> None:
    """Refuse `template % args` before it runs when a width or precision is over
    the limit or the result would be over the string limit."""
    mapping: Mapping[Any, Any] | None
    if type(args) is dict:  # the gettext family's variables; the ABC check is slow
        positional, mapping = [args], args
    else:
        positional = list(args) if isinstance(args, tuple) else [args]
        mapping = args if isinstance(args, Mapping) else None
    if _surely_small(template, positional, mapping):
        return
    total = len(template)
    index = 0
    for match in _PRINTF_SPEC.finditer(template):
        if match.group("conversion") == "%":
            continue
        width, index = _spec_number(match.group("width"), positional, index)
        precision, index = _spec_number(match.group("precision"), positional, index)
        for number in (width, precision):
            budget.check_width(number, f"the format width in {match.group(0)!r}")
        key = match.group("key")
        if key is not None and mapping is not None:
            value = mapping.get(key)
        else:
            value = positional[index] if index < len(positional) else None
            index += 1
        printed = budget.printed_size(value, budget.current().limits)
        if isinstance(value, float) and match.group("conversion") in "fF":
            printed = 310
        total += width + precision + printed
        budget.check_chars(total, "formatting with % gives a string")


def guarded_mod(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        check_printf(left, right)
    return budget.check_value(operator.mod(left, right))


BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "*": guarded_mul,
    "**": guarded_pow,
    "%": guarded_mod,
    "+": guarded_add,
}


def estimate_replace(text: str, old: str, new: str, count: int | None = None) -> None:
    occurrences = len(text) + 1 if old == "" else text.count(old)
    if count is not None and count >= 0:
        occurrences = min(occurrences, count)
    budget.check_chars(len(text) + occurrences * (len(new) - len(old)), "replace() gives a string")


def checked_join_parts(separator: str, parts: Iterable[Any]) -> list[Any]:
    """The parts of a join as a list, after checking the joined length fits."""
    items = list(parts)
    limits = budget.current().limits
    budget.check_items(budget.Size(items=len(items)), "join() of a list")
    total = len(separator) * max(len(items) - 1, 0)
    budget.check_chars(total, "join() gives a string")
    for item in items:
        total += budget.printed_size(item, limits)
        if total > limits.string:
            budget.check_chars(total, "join() gives a string")
    return items


def prepare_str_call(
    text: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """Check a call of a str (or Markup) method that can grow a string beyond its
    arguments' size; returns the arguments to call it with."""
    if name in {"format", "format_map", "translate", "maketrans"}:
        raise SecurityError(f"str.{name}() is not available in templates")
    if name in {"ljust", "rjust", "center", "zfill"}:
        width = args[0] if args else kwargs.get("width")
        budget.check_width(width, f"a {name}() width")
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(tabsize, int):
            budget.check_chars(
                len(text) + text.count("\t") * tabsize, "expandtabs() gives a string"
            )
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count")
        estimate_replace(text, str(args[0]), str(args[1]), count)
    elif name == "join" and args:
        return (checked_join_parts(text, args[0]), *args[1:])
    return args

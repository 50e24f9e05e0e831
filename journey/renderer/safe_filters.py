"""Jinja's filters under the budget: growth estimated before the call, results checked after.

A filter whose result can be much larger than its input (a width, a per-line
indent, a repeated wrap string, a JSON indent, a format string) is replaced by
a version that estimates the result from its arguments first. Every filter,
these and all others, is then wrapped by `budgeted`, which checks the value it
returns against the budget (so `forceescape` applied again and again stops at
the string limit).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from typing import Any

from jinja2 import filters as jinja_filters
from jinja2.exceptions import SecurityError
from jinja2.utils import pass_environment, pass_eval_context

from journey import budget
from journey.renderer import guards


def budgeted(func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` with its result checked against the budget (keeps Jinja's pass_* marks)."""

    @functools.wraps(func)
    def filter_under_budget(*args: Any, **kwargs: Any) -> Any:
        return budget.check_value(func(*args, **kwargs))

    return filter_under_budget


@pass_eval_context
def safe_replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> str:
    guards.estimate_replace(str(s), str(old), str(new), count)
    return jinja_filters.do_replace(eval_ctx, s, old, new, count)


@pass_eval_context
def safe_join(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    items = list(value)
    if attribute is None:
        guards.checked_join_parts(str(d), items)
    else:  # the attributes are inside the (checked) items; the separators are not
        budget.check_chars(len(str(d)) * max(len(items) - 1, 0), "join() gives a string")
    return jinja_filters.sync_do_join(eval_ctx, items, d, attribute)


def safe_center(value: str, width: int = 80) -> str:
    budget.check_width(width, "a center() width")
    return jinja_filters.do_center(value, width)


def _lines(text: str) -> int:
    return text.count("\n") + 1


def safe_indent(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    budget.check_width(width, "an indent() width")
    text = str(s)
    per_line = len(width) if isinstance(width, str) else max(int(width), 0)
    budget.check_chars(len(text) + _lines(text) * per_line, "indent() gives a string")
    return jinja_filters.do_indent(s, width, first, blank)


@pass_environment
def safe_wordwrap(
    environment: Any,
    s: str,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> str:
    text = str(s)
    joiner = environment.newline_sequence if wrapstring is None else str(wrapstring)
    lines = len(text.split()) + text.count("-") + _lines(text)
    if isinstance(width, int) and width > 0:
        lines += len(text) // width
    budget.check_chars(len(text) + lines * len(joiner), "wordwrap() gives a string")
    return jinja_filters.do_wordwrap(
        environment, s, width, break_long_words, wrapstring, break_on_hyphens
    )


def _structured_size(value: Any, per_level: int) -> int:
    """About the length of a pretty-printed `value`: its characters plus, for each
    element, quotes, separators and one indentation per nesting level."""
    size = budget.measure(value, budget.current().limits)
    budget.check_items(size, "the value to print")
    return size.chars + size.items * (4 + per_level * max(size.depth, 1))


def safe_pprint(value: Any) -> str:
    budget.check_chars(_structured_size(value, 1), "pprint() gives a string")
    return jinja_filters.do_pprint(value)


@pass_eval_context
def safe_tojson(eval_ctx: Any, value: Any, indent: int | str | None = None) -> Any:
    per_level = len(indent) if isinstance(indent, str) else max(indent or 0, 0) + 1
    budget.check_width(per_level, "a tojson() indent")
    budget.check_chars(_structured_size(value, per_level), "tojson() gives a string")
    return jinja_filters.do_tojson(eval_ctx, value, indent)  # type: ignore[arg-type]


def safe_format(value: str, *args: Any, **kwargs: Any) -> str:
    guards.check_printf(str(value), kwargs or args)
    return jinja_filters.do_format(value, *args, **kwargs)


@pass_eval_context
def safe_urlize(eval_ctx: Any, value: str, *args: Any, **kwargs: Any) -> str:
    text = str(value)
    extra = sum(len(str(v)) for v in (*args, *kwargs.values()) if isinstance(v, str))
    links = len(text.split()) + 1
    budget.check_chars(2 * len(text) + links * (64 + extra), "urlize() gives a string")
    return jinja_filters.do_urlize(eval_ctx, value, *args, **kwargs)


def safe_batch(value: Iterable[Any], linecount: int, fill_with: Any = None) -> Any:
    budget.check_items(budget.Size(items=linecount if isinstance(linecount, int) else 0), "a batch")
    return jinja_filters.do_batch(value, linecount, fill_with)


def safe_slice(value: Iterable[Any], slices: int, fill_with: Any = None) -> Any:
    budget.check_items(budget.Size(items=slices if isinstance(slices, int) else 0), "a slice")
    return jinja_filters.sync_do_slice(list(value), slices, fill_with)


def safe_list(value: Any) -> list[Any]:
    if hasattr(value, "__len__"):
        budget.check_items(budget.Size(items=len(value)), "a list")
    return jinja_filters.sync_do_list(value)


def safe_int(value: Any, default: int = 0, base: int = 10) -> int:
    """`'9' * 400000 | int`: refused from the string's length before Python parses it."""
    if isinstance(value, str):
        digit_bits = math.log2(base) if isinstance(base, int) and 2 <= base <= 36 else 4
        budget.check_bits(int(len(value.strip()) * digit_bits), "the integer in a string")
    return jinja_filters.do_int(value, default, base)


@pass_environment
def safe_sum(
    environment: Any, iterable: Iterable[Any], attribute: Any = None, start: Any = 0
) -> Any:
    if not isinstance(start, (int, float)) or isinstance(start, bool):
        raise SecurityError("sum() adds numbers only in templates")
    return jinja_filters.sync_do_sum(environment, iterable, attribute, start)


SAFE_FILTERS: dict[str, Callable[..., Any]] = {
    "replace": safe_replace,
    "join": safe_join,
    "center": safe_center,
    "indent": safe_indent,
    "wordwrap": safe_wordwrap,
    "pprint": safe_pprint,
    "tojson": safe_tojson,
    "format": safe_format,
    "urlize": safe_urlize,
    "batch": safe_batch,
    "slice": safe_slice,
    "list": safe_list,
    "int": safe_int,
    "sum": safe_sum,
}

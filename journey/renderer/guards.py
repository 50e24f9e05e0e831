"""Size guards for untrusted templates: no operation may build a huge value.

Jinja's sandbox stops attribute walks but not `'a' * 10**9`, `'%0999999999d'`,
`'x'|center(10**9)` or `x|replace('a', x)`. Each check here runs *before* the
allocation, so a bomb fails in microseconds instead of eating memory.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from typing import Any

from jinja2 import filters as jinja_filters
from jinja2.exceptions import SecurityError
from jinja2.utils import pass_environment, pass_eval_context

MAX_STRING = 500_000  # characters in any one string a template builds
MAX_ITEMS = 100_000  # elements in any one list/tuple a template builds
MAX_POWER_BITS = 4_096  # bits of an integer built with **
MAX_WIDTH = 1_000  # padding width or format-spec width/precision

_SEQUENCES = (str, list, tuple)
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _fail(what: str) -> SecurityError:
    return SecurityError(f"{what} is too large for a message template")


def check_size(value: Any) -> Any:
    """Reject a freshly built value that is over the limits; return it otherwise."""
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise _fail(f"a string of {len(value):,} characters")
    elif isinstance(value, (list, tuple)) and len(value) > MAX_ITEMS:
        raise _fail(f"a list of {len(value):,} items")
    return value


def _limit_for(value: Any) -> int:
    return MAX_STRING if isinstance(value, str) else MAX_ITEMS


def guarded_mul(left: Any, right: Any) -> Any:
    for seq, times in ((left, right), (right, left)):
        is_repeat = isinstance(seq, _SEQUENCES) and isinstance(times, int)
        if is_repeat and len(seq) * max(times, 0) > _limit_for(seq):
            raise _fail(f"repeating a {type(seq).__name__} {times:,} times")
    return operator.mul(left, right)


def guarded_pow(left: Any, right: Any) -> Any:
    is_int_power = isinstance(left, int) and isinstance(right, int) and right > 0
    if is_int_power and max(abs(left), 2).bit_length() * right > MAX_POWER_BITS:
        raise _fail(f"{left} ** {right}")
    return operator.pow(left, right)


def check_printf(template: str) -> None:
    """`'%0999999999d' % 1` would allocate a gigabyte; widths are capped."""
    for match in _PRINTF_SPEC.finditer(template):
        for number in match.groups():
            if number == "*" or (number and int(number) > MAX_WIDTH):
                raise _fail(f"the format width in {match.group(0)!r}")


def guarded_mod(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        check_printf(left)
    return check_size(operator.mod(left, right))


def guarded_add(left: Any, right: Any) -> Any:
    return check_size(operator.add(left, right))


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
    if len(text) + occurrences * (len(new) - len(old)) > MAX_STRING:
        raise _fail("the result of replace()")


def checked_join_parts(separator: str, parts: Iterable[Any]) -> list[Any]:
    """The parts of a join as a list, after checking the joined length fits."""
    items = list(parts)
    check_size(items)
    total = len(separator) * max(len(items) - 1, 0)
    for item in items:
        total += len(item) if isinstance(item, str) else 32
        if total > MAX_STRING:
            raise _fail("the result of join()")
    return items


def check_width(width: Any) -> None:
    if isinstance(width, int) and width > MAX_WIDTH:
        raise _fail(f"a width of {width:,}")


def prepare_str_call(
    text: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """Check a call of a str (or Markup) method that can grow a string beyond its
    arguments' size; returns the arguments to call it with."""
    if name in {"format", "format_map", "translate", "maketrans"}:
        raise SecurityError(f"str.{name}() is not available in templates")
    if name in {"ljust", "rjust", "center", "zfill"} and args:
        check_width(args[0])
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(tabsize, int) and text.count("\t") * tabsize > MAX_STRING:
            raise _fail("the result of expandtabs()")
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count")
        estimate_replace(text, str(args[0]), str(args[1]), count)
    elif name == "join" and args:
        return (checked_join_parts(text, args[0]), *args[1:])
    return args


# ----------------------------------------------------------------- filters


@pass_eval_context
def safe_replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> str:
    estimate_replace(str(s), str(old), str(new), count)
    return jinja_filters.do_replace(eval_ctx, s, old, new, count)


@pass_eval_context
def safe_join(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    items = list(value)
    check_size(items)
    if attribute is None:
        checked_join_parts(str(d), (str(item) for item in items))
    result = jinja_filters.sync_do_join(eval_ctx, items, d, attribute)
    return check_size(result)  # type: ignore[no-any-return]


def safe_center(value: str, width: int = 80) -> str:
    check_width(width)
    return jinja_filters.do_center(value, width)


def safe_indent(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    check_width(width)
    if isinstance(width, str):
        check_size(width * max(str(s).count("\n") + 1, 1))
    return check_size(jinja_filters.do_indent(s, width, first, blank))  # type: ignore[no-any-return]


def safe_format(value: str, *args: Any, **kwargs: Any) -> str:
    check_printf(str(value))
    return check_size(jinja_filters.do_format(value, *args, **kwargs))  # type: ignore[no-any-return]


def safe_batch(value: Iterable[Any], linecount: int, fill_with: Any = None) -> Any:
    if isinstance(linecount, int) and linecount > MAX_ITEMS:
        raise _fail(f"a batch of {linecount:,}")
    return jinja_filters.do_batch(value, linecount, fill_with)


def safe_slice(value: Iterable[Any], slices: int, fill_with: Any = None) -> Any:
    if isinstance(slices, int) and slices > MAX_ITEMS:
        raise _fail(f"{slices:,} slices")
    return jinja_filters.sync_do_slice(list(value), slices, fill_with)


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
    "format": safe_format,
    "batch": safe_batch,
    "slice": safe_slice,
    "sum": safe_sum,
}

"""The one run-time budget every template render and expression evaluation runs under.

A budget bounds what untrusted template and expression code may build and do:
the size of any one value (string length, collection items counted through
nesting, integer bits, padding widths), the output of a template part, the work
(loop iterations and calls) and the wall-clock time. The guarded operations
(journey.renderer.guards, the sandbox) consult the active budget *before* an
operation that could allocate a huge value, because Python cannot interrupt C
code once it runs; the clock, looked at in loops, calls and on big values,
catches whatever is merely slow.

A budget lives in a ContextVar: `running()` starts one for one message or one
evaluation, on whatever thread, and the compiled templates stay shared.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from journey.context_setting import Setting
from journey.errors import BudgetExceeded


@dataclass(frozen=True, slots=True)
class Limits:
    """The numbers of a budget (documented in docs/templates.md, "Budgets")."""

    string: int = 500_000  # characters in any one string built
    items: int = 100_000  # elements of any one list/tuple/dict built, through nesting
    int_bits: int = 4_096  # bits of any integer built
    width: int = 1_000  # a padding width, or a format width or precision
    output: int = 1_000_000  # characters of one rendered part, or in one collection's values
    operations: int = 200_000  # loop iterations (1 each) and calls (CALL_COST each)
    seconds: float = 1.0  # wall-clock time of one message or one evaluation


LIMITS = Limits()
CALL_COST = 10
_CLOCK_EVERY = 256  # operations between two looks at the clock
BIG = 10_000  # a value this large (characters or items) also looks at the clock


def exceeded(what: str) -> BudgetExceeded:
    return BudgetExceeded(f"over budget: {what}")


class Budget:
    """The budget of one message or evaluation: its limits, work left and deadline."""

    __slots__ = ("_next_clock", "deadline", "limits", "operations_left")

    def __init__(self, limits: Limits = LIMITS) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.operations_left = limits.operations
        self._next_clock = limits.operations - _CLOCK_EVERY

    def reset_operations(self) -> None:
        """A fresh work allowance (each part of a message has its own); the deadline stays."""
        self.operations_left = self.limits.operations
        self._next_clock = self.operations_left - _CLOCK_EVERY

    def charge(self, amount: int = 1) -> None:
        self.operations_left -= amount
        if self.operations_left < self._next_clock:
            if self.operations_left < 0:
                raise exceeded(
                    f"too much work (over {self.limits.operations:,} loop iterations and"
                    f" calls, a call counting {CALL_COST}); simplify the loops and macros"
                )
            self._next_clock = self.operations_left - _CLOCK_EVERY
            self.check_clock()

    def check_clock(self) -> None:
        if time.monotonic() > self.deadline:
            raise exceeded(f"still running after {self.limits.seconds:g} s")


CURRENT: ContextVar[Budget | None] = ContextVar("journey_budget", default=None)


def current() -> Budget:
    """The active budget (outside any, a fresh default one: the size limits still hold)."""
    return CURRENT.get() or Budget()


def running(limits: Limits = LIMITS) -> AbstractContextManager[Budget]:
    """Run one message or evaluation under a new budget: `with running() as budget:`."""
    return Setting(CURRENT, Budget(limits))


# ------------------------------------------------------------------ measuring


@dataclass(slots=True)
class Size:
    """A value's elements (every occurrence, through nesting), characters
    (of its strings and the digits of its integers) and nesting depth."""

    items: int = 0
    chars: int = 0
    depth: int = 0


def digits(number: int) -> int:
    """Decimal digits of an integer, from its bit length (never converts it)."""
    return abs(number).bit_length() * 1233 // 4096 + 1


_STRINGS = frozenset({str, Markup})
_INTEGERS = frozenset({int, bool})
_ONE_CHARACTER = frozenset({float, type(None)})
_COLLECTIONS = (list, tuple, set, frozenset, dict)
_ALL = frozenset({object})  # a few elements: measured one by one


def measure(value: Any, limits: Limits = LIMITS) -> Size:
    """The size of `value` without building anything. Shared sublists are counted
    each time they occur, as printing would repeat them, but measured once; lists
    of plain strings or numbers are measured at C speed; counting stops once a
    limit is passed."""
    items, chars, depth = _measure(value, limits, {})
    return Size(items, chars, depth)


def _measure(
    value: Any, limits: Limits, memo: dict[int, tuple[int, int, int]]
) -> tuple[int, int, int]:
    if isinstance(value, str):
        return 0, len(value), 0
    if isinstance(value, int):
        return 0, digits(value), 0
    if not isinstance(value, _COLLECTIONS):
        return 0, 1, 0
    known = memo.get(id(value))
    if known is not None:
        return known
    items, chars, depth = len(value), 0, 0
    for part in (value.keys(), value.values()) if isinstance(value, dict) else (value,):
        kinds = set(map(type, part)) if len(part) > 16 else _ALL
        if kinds <= _STRINGS:
            chars += sum(map(len, part))
        elif kinds <= _INTEGERS:
            chars += sum(map(int.bit_length, part)) * 1233 // 4096 + len(part)
        elif kinds <= _ONE_CHARACTER:
            chars += len(part)
        else:
            for element in part:
                if isinstance(element, str):
                    chars += len(element)
                    continue
                if isinstance(element, int):
                    chars += element.bit_length() * 1233 // 4096 + 1
                    continue
                more, text, deep = _measure(element, limits, memo)
                items, chars, depth = items + more, chars + text, max(depth, deep)
                if items > limits.items or chars > limits.output:
                    break
    memo[id(value)] = (items, chars, depth + 1)
    return items, chars, depth + 1


def printed_size(value: Any, limits: Limits = LIMITS) -> int:
    """About how many characters `str(value)` gives, without building it."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, bytes):
        return 4 * len(value) + 3  # b'...' with \x escapes
    if isinstance(value, int):
        return digits(value)
    if isinstance(value, float):
        return 24
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        size = measure(value, limits)
        return size.chars + 4 * size.items + 2
    return 64


# ------------------------------------------------------------------- checking


def check_chars(count: int, what: str = "a string") -> None:
    """Refuse building a string of `count` characters (call it before building)."""
    budget = current()
    if count > budget.limits.string:
        raise exceeded(f"{what} of {count:,} characters (the limit is {budget.limits.string:,})")
    if count > BIG:
        budget.check_clock()


def check_items(size: Size, what: str = "a collection") -> None:
    budget = current()
    limits = budget.limits
    if size.items > limits.items:
        raise exceeded(f"{what} of over {size.items:,} items (the limit is {limits.items:,})")
    if size.chars > limits.output:
        raise exceeded(
            f"{what} holding over {size.chars:,} characters (the limit is {limits.output:,})"
        )
    if size.items > BIG:
        budget.check_clock()


def check_bits(bits: int, what: str = "an integer") -> None:
    limit = current().limits.int_bits
    if bits > limit:
        raise exceeded(f"{what} of {bits:,} bits (the limit is {limit:,})")


def check_width(width: Any, what: str = "a width") -> None:
    limit = current().limits.width
    if isinstance(width, int) and width > limit:
        raise exceeded(f"{what} of {width:,} (the limit is {limit:,})")


def check_value(value: Any) -> Any:
    """Refuse a freshly built value that is over the limits; return it otherwise."""
    if isinstance(value, (str, bytes)):
        check_chars(len(value))
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        check_bits(value.bit_length())
    elif isinstance(value, (list, tuple, set, frozenset, dict)):
        check_items(measure(value, current().limits), f"a {type(value).__name__}")
    return value

"""A ContextVar set for the length of a `with` block: the budget of a run, the state of
a render. A class rather than a generator-based context manager, which costs a handful
of Python calls more, once per message."""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Generic, TypeVar

T = TypeVar("T")


class Setting(Generic[T]):
    """`with Setting(var, value) as value:` — `var` holds `value` inside the block."""

    __slots__ = ("_token", "value", "var")

    def __init__(self, var: ContextVar[T | None], value: T) -> None:
        self.var = var
        self.value = value
        self._token: Token[T | None] | None = None

    def __enter__(self) -> T:
        self._token = self.var.set(self.value)
        return self.value

    def __exit__(self, *_exc: object) -> None:
        if self._token is not None:
            self.var.reset(self._token)

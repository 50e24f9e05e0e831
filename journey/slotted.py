"""Cheaper construction and copying of frozen, slotted, keyword-only dataclasses.

A frozen dataclass's generated `__init__` sets each field with
`object.__setattr__(self, name, value)`: a global and an attribute lookup and a
generic call per field, about a third of a record's construction. The slot's own
descriptor (`Cls.__dict__[name].__set__`) does the same store without them, and is
what `object.__setattr__` ends up calling. `quick_init` swaps the generated
`__init__` for one that calls the descriptors (same parameters, defaults and
default factories, so the records built are the same); `copier` makes a
`dataclasses.replace` that skips the `__init__` altogether.

Only for classes without `__post_init__`, `InitVar` or `init=False` fields: the
decorator refuses any other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class _Factory:
    """The default of a field made by its `default_factory` (shown as `<factory>`)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a frozen slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__")
    found = dataclasses.fields(cls)
    if len(found) != len(getattr(cls, "__dataclass_fields__", {})):
        raise TypeError(f"{cls.__name__} has InitVar or ClassVar pseudo-fields")
    for field in found:
        if not field.init or not field.kw_only:
            raise TypeError(f"{cls.__name__}.{field.name} is not a keyword-only init field")
    return found


def _setters(cls: type, names: tuple[str, ...]) -> dict[str, Any]:
    return {f"_set_{name}": cls.__dict__[name].__set__ for name in names}


def quick_init(cls: type[T]) -> type[T]:
    """Replace the dataclass's generated `__init__` by one setting the slots directly."""
    found = _fields(cls)
    names = tuple(f.name for f in found)
    space: dict[str, Any] = {"_FACTORY": _FACTORY, **_setters(cls, names)}
    params = []
    body = []
    for field in found:
        name = field.name
        if field.default is not dataclasses.MISSING:
            space[f"_default_{name}"] = field.default
            params.append(f"{name}=_default_{name}")
            body.append(f"    _set_{name}(self, {name})")
        elif field.default_factory is not dataclasses.MISSING:
            space[f"_make_{name}"] = field.default_factory
            params.append(f"{name}=_FACTORY")
            body.append(f"    _set_{name}(self, _make_{name}() if {name} is _FACTORY else {name})")
        else:
            params.append(name)
            body.append(f"    _set_{name}(self, {name})")
    source = f"def __init__(self, *, {', '.join(params)}):\n" + "\n".join(body or ["    pass"])
    exec(source, space)  # built from the class's own field names only
    init = space["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(getattr(cls.__init__, "__annotations__", {}))
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


def copier(cls: type[T], name: str = "copy") -> Callable[..., T]:
    """`name(record, **changes)`: `dataclasses.replace` without the `__init__` (which a
    copy does not need: every field is already a valid value); unknown names raise."""
    found = _fields(cls)
    names = tuple(f.name for f in found)
    space: dict[str, Any] = {"_new": object.__new__, "_cls": cls, **_setters(cls, names)}
    space["_by_name"] = {field: space[f"_set_{field}"] for field in names}
    space["_unknown"] = _unknown_fields(cls, frozenset(names))
    lines = [
        "def copy(record, /, **changes):",
        "    made = _new(_cls)",
        *(f"    _set_{field}(made, record.{field})" for field in names),
        "    for field, value in changes.items():",
        "        setter = _by_name.get(field)",
        "        if setter is None:",
        "            _unknown(changes)",
        "        setter(made, value)",
        "    return made",
    ]
    exec("\n".join(lines), space)  # built from the class's own field names only
    copy: Callable[..., T] = space["copy"]
    copy.__qualname__ = copy.__name__ = name
    copy.__module__ = cls.__module__
    return copy


def _unknown_fields(cls: type, known: frozenset[str]) -> Callable[[dict[str, Any]], None]:
    def unknown(changes: dict[str, Any]) -> None:
        wrong = sorted(set(changes) - known)
        raise TypeError(f"{cls.__name__} has no field {', '.join(wrong)}")

    return unknown

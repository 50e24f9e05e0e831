"""Turns whatever a template raised into one line naming the file and line.

Jinja compiles templates to Python; the template line is recovered from the
innermost traceback frame that belongs to a compiled template.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from jinja2.exceptions import (
    SecurityError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)

from journey.errors import BudgetExceeded, JourneyError, RenderError

_CONTACT_REPR = "journey.renderer.contact.ContactView object"


def display_path(templates_dir: Path | None, name: str) -> str:
    """The template's path as a user would type it (relative to cwd when possible)."""
    if templates_dir is None:
        return name
    path = templates_dir / name
    if not path.is_absolute():
        return str(path)
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def template_position(tb: TracebackType | None) -> tuple[str, int] | None:
    """(template name, line) of the innermost compiled-template frame."""
    found: tuple[str, int] | None = None
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if template is not None:
            found = (template.name or "<string>", template.get_corresponding_lineno(tb.tb_lineno))
        tb = tb.tb_next
    return found


def _explain(exc: BaseException) -> str:
    if isinstance(exc, UndefinedError):
        return str(exc.message or exc).replace(_CONTACT_REPR, "contact")
    if isinstance(exc, SecurityError):
        return f"not allowed in templates: {exc}"
    if isinstance(exc, TemplateNotFound):
        return f"template {exc.name!r} does not exist"
    if isinstance(exc, RecursionError):
        return "the template recurses too deeply"
    if isinstance(exc, BudgetExceeded):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "over budget: out of memory"
    if isinstance(exc, OverflowError):
        return f"the template builds something too large ({exc})"
    if isinstance(exc, (RenderError, JourneyError)):  # OutsideWorkspace among them
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def describe_failure(exc: BaseException, templates_dir: Path | None, name: str) -> str:
    """`templates/x/body.html:12: 'contact' has no attribute 'frist_name'`."""
    if isinstance(exc, TemplateSyntaxError):
        where = display_path(templates_dir, exc.name or name)
        return f"{where}:{exc.lineno}: template syntax error: {exc.message}"
    position = template_position(exc.__traceback__)
    if position is None:
        return f"{display_path(templates_dir, name)}: {_explain(exc)}"
    template_name, line = position
    return f"{display_path(templates_dir, template_name)}:{line}: {_explain(exc)}"

"""Builds the one sandboxed environment that loads, compiles and caches templates.

Translations are installed once as callables that look up the active render's
catalog (journey.renderer.translate), so switching locale per message never
recompiles a template.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined

from journey.renderer import filters, sandbox, translate
from journey.renderer.loader import WorkspaceLoader

I18N_EXTENSION = "jinja2.ext.i18n"
# Keep extraction (i18n extract, validation) and rendering on the same msgids.
EXTRACT_OPTIONS: dict[str, str] = {
    "extensions": I18N_EXTENSION,
    "trimmed": "true",
    "newstyle_gettext": "true",
}
TEMPLATE_CACHE_SIZE = 2_000


def autoescape_for(name: str | None) -> bool:
    """Only HTML parts are escaped; subjects, text bodies, SMS and push are plain text."""
    return name is not None and name.endswith((".html", ".htm"))


def _blank_none(value: Any) -> Any:
    """A declared attribute a contact lacks reads as none; a message shows nothing, not "None"."""
    return "" if value is None else value


def build_environment(
    templates_dir: Path | None, *, auto_reload: bool = True, root: Path | None = None
) -> sandbox.JourneySandbox:
    """The sandbox every template goes through (render, preview, validation).

    With `auto_reload` Jinja stats each template file on every lookup; the
    Renderer turns that off and offers `reload()` instead (4 stats per email add up).
    Templates are read only inside `root` (default: the templates folder's parent,
    the workspace) and never through a symbolic link (journey.workspace_files).
    """
    loader = WorkspaceLoader(templates_dir, root) if templates_dir is not None else None
    env = sandbox.JourneySandbox(
        loader=loader,
        autoescape=autoescape_for,
        undefined=StrictUndefined,
        extensions=[I18N_EXTENSION],
        optimized=False,
        auto_reload=auto_reload,
        cache_size=TEMPLATE_CACHE_SIZE,
        finalize=_blank_none,
    )
    env.policies["ext.i18n.trimmed"] = True
    # What `install_gettext_callables(..., newstyle=True)` does, with our own
    # newstyle callables in place of the extension's wrappers around plain ones.
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.globals.update(translate.CALLABLES, **translate.SCOPED_CALLABLES)
    env.trust_callables(*translate.CALLABLES.values(), scoped=translate.SCOPED_CALLABLES.values())
    env.add_filters(filters.FILTERS)
    return env

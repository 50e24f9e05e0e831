"""HTML for the site: Jinja templates (autoescaped) under journey/site/templates.

The input is our own build data, not templates from users, so a plain
Environment is enough; autoescaping is what keeps contact data and message text
from turning into markup. Pages use relative links only, so the folder works
from file:// and from any static host.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from journey import __version__
from journey.diagram import to_mermaid
from journey.errors import UsageError
from journey.results.render import auto_winner_text, money, percent, points
from journey.samples import SampleContact
from journey.site import results_charts
from journey.site.describe import KIND_NAMES, journey_rows, step_exits, step_rows
from journey.site.previews import bcp47, locale_label
from journey.workspace import Workspace

if TYPE_CHECKING:
    from journey.site.build import SiteReport

HERE = Path(__file__).parent
ASSETS = ("site.css", "site.js")


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        kind_names=KIND_NAMES,
        journey_rows=journey_rows,
        step_rows=step_rows,
        step_exits=step_exits,
        bcp47=bcp47,
        locale_label=locale_label,
        to_mermaid=to_mermaid,
        version=__version__,
        charts=results_charts,
        pct=percent,
        points=points,
        auto_winner_text=auto_winner_text,
        money=money,
    )
    return env


def write_site(
    report: SiteReport, workspace: Workspace, samples: list[SampleContact], now: datetime
) -> list[Path]:
    """Write index.html, one page per journey and the assets; returns the pages."""
    out = report.out_dir
    try:
        (out / "journeys").mkdir(parents=True, exist_ok=True)
        (out / "assets").mkdir(exist_ok=True)
        for name in ASSETS:
            shutil.copyfile(HERE / "assets" / name, out / "assets" / name)
    except OSError as exc:
        raise UsageError(f"cannot write the site to {out}: {exc.strerror}") from exc
    env = environment()
    common: dict[str, Any] = {
        "report": report,
        "workspace_root": workspace.root.resolve().name or str(workspace.root),
        "samples": samples,
        "now": now,
    }
    pages = [_write(env, "index.html", out / "index.html", {**common, "base": ""})]
    for info in report.journeys:
        target = out / "journeys" / f"{info.slug}.html"
        pages.append(_write(env, "journey.html", target, {**common, "base": "../", "j": info}))
        if info.results is not None and report.results is not None:
            target = out / "journeys" / f"{info.slug}-results.html"
            context = {
                **common,
                "base": "../",
                "j": info,
                "confidence": report.results["confidence"],
                "window": report.results["window"],
                "database": report.results["database"],
            }
            pages.append(_write(env, "results.html", target, context))
    stale = {p for p in (out / "journeys").glob("*.html")} - set(pages)
    for path in stale:  # a journey that was removed or renamed since the last build
        path.unlink(missing_ok=True)
    return pages


def _write(env: Environment, template: str, target: Path, context: dict[str, Any]) -> Path:
    text = env.get_template(template).render(**context)
    try:
        tmp = target.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)  # a browser reloading mid-build never sees half a page
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from exc
    return target

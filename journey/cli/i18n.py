"""`journey i18n extract|check`: the message catalog workflow.

`extract` runs Babel's extractor over templates/ with the same Jinja options the
renderer uses, so the `.pot` ids are exactly the ones looked up at send time.
`check` reports coverage per locale and fails (exit 1) when a locale a journey
lists misses a string that journey's templates use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from journey.cli.common import open_workspace, require_files
from journey.compiler import compile_journey
from journey.errors import Diagnostic, UsageError
from journey.model import Plan, SendStep
from journey.renderer.catalogs import CatalogError, catalog_path, load_catalog
from journey.renderer.environment import EXTRACT_OPTIONS
from journey.renderer.failures import display_path
from journey.renderer.introspect import TemplateFacts, all_template_names, template_closure
from journey.renderer.render import PARTS
from journey.reporting import as_json, format_diagnostics
from journey.validator import discover_journey_files, validate_files
from journey.validator.templates_check import check_document_templates

JINJA_EXTRACTOR = "jinja2.ext:babel_extract"
TEMPLATE_PATTERNS = ("**.html", "**.htm", "**.txt")
CATALOG_CODES = frozenset({"missing-translation", "missing-catalog", "catalog-error"})


@click.group("i18n")
def command() -> None:
    """Extract translatable strings and check catalog coverage."""


def build_pot(templates_dir: Path) -> Catalog:
    catalog = Catalog(project="journey", fuzzy=False, creation_date=datetime.now(UTC))
    method_map = [(pattern, JINJA_EXTRACTOR) for pattern in TEMPLATE_PATTERNS]
    options_map = {pattern: dict(EXTRACT_OPTIONS) for pattern in TEMPLATE_PATTERNS}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(templates_dir), method_map=method_map, options_map=options_map
    ):
        location = (f"templates/{filename}", lineno)
        catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


@command.command("extract")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def extract(ctx: click.Context, output: Path | None) -> None:
    """Write locales/messages.pot from every template's {% trans %} and _() strings."""
    workspace, _ = open_workspace(ctx)
    if not workspace.templates_dir.is_dir():
        raise UsageError(f"no templates folder at {workspace.templates_dir}")
    catalog = build_pot(workspace.templates_dir)
    target = output or workspace.locales_dir / "messages.pot"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_by_file=True)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from exc
    click.echo(f"{len(catalog)} messages -> {target}")


@dataclass(slots=True)
class LocaleCoverage:
    locale: str
    catalog: str
    journeys: list[str] = field(default_factory=list)
    used: dict[tuple[str | None, str], tuple[str, str, int]] = field(default_factory=dict)
    translated: int = 0
    missing: list[tuple[str, str, int]] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "locale": self.locale,
            "catalog": self.catalog,
            "journeys": self.journeys,
            "total": len(self.used),
            "translated": self.translated,
            "missing": [{"text": t, "template": p, "line": n} for t, p, n in self.missing],
            "error": self.error,
        }


def journey_templates(plan: Plan, templates_dir: Path) -> list[TemplateFacts]:
    names = [
        f"{step.template}/{filename}"
        for step in plan.steps
        if isinstance(step, SendStep)
        for _field, filename, _required in PARTS[step.message]
    ]
    return template_closure(templates_dir, names)


def coverage(plans: list[Plan], templates_dir: Path, locales_dir: Path) -> list[LocaleCoverage]:
    rows: dict[str, LocaleCoverage] = {}
    for plan in plans:
        facts = journey_templates(plan, templates_dir)
        for locale in plan.locales[1:]:
            row = rows.setdefault(locale, _row(locale, locales_dir))
            row.journeys.append(plan.journey_id)
            _add_used(row, facts, templates_dir)
    if locales_dir.is_dir():  # catalogs no journey lists yet: against every template
        every = template_closure(templates_dir, all_template_names(templates_dir))
        for po in sorted(locales_dir.glob("*/LC_MESSAGES/messages.po")):
            locale = po.parts[-3]
            if locale not in rows:
                rows[locale] = _row(locale, locales_dir)
                _add_used(rows[locale], every, templates_dir)
    for row in rows.values():
        _count(row, locales_dir)
    return sorted(rows.values(), key=lambda r: r.locale)


def _row(locale: str, locales_dir: Path) -> LocaleCoverage:
    return LocaleCoverage(locale=locale, catalog=str(catalog_path(locales_dir, locale)))


def _add_used(row: LocaleCoverage, facts: list[TemplateFacts], templates_dir: Path) -> None:
    for template in facts:
        for message in template.messages:
            where = display_path(templates_dir, template.name)
            row.used.setdefault(message.key, (message.text, where, message.line))


def _count(row: LocaleCoverage, locales_dir: Path) -> None:
    try:
        catalog = load_catalog(locales_dir, row.locale)
    except CatalogError as exc:
        row.error = str(exc)
        row.missing = sorted(row.used.values())
        return
    for key, where in row.used.items():
        if key in catalog.translated:
            row.translated += 1
        else:
            row.missing.append(where)
    row.missing.sort()


def render_table(rows: list[LocaleCoverage]) -> str:
    lines = [f"{'locale':<10} {'translated':>10} {'missing':>8}  journeys"]
    for row in rows:
        done = f"{row.translated}/{len(row.used)}"
        lines.append(
            f"{row.locale:<10} {done:>10} {len(row.missing):>8}  {', '.join(row.journeys)}"
        )
        if row.error:
            lines.append(f"  {row.error}")
        for text, where, line in row.missing[:20]:
            lines.append(f"  {where}:{line}: “{text}”")
        if len(row.missing) > 20:
            lines.append(f"  … and {len(row.missing) - 20} more")
    return "\n".join(lines)


def load_plans(ctx: click.Context, paths: tuple[str, ...]) -> tuple[list[Plan], list[Diagnostic]]:
    workspace, problems = open_workspace(ctx)
    files = discover_journey_files(require_files(paths) if paths else [workspace.journeys_dir])
    result = validate_files(files, workspace, templates=False)
    problems += [d for d in result.diagnostics if d.is_error]
    documents = result.valid_documents()
    plans = [compile_journey(doc, workspace) for doc in documents]
    for doc in documents:
        found = check_document_templates(doc, workspace)
        problems += [d for d in found if d.code in CATALOG_CODES]
    return plans, problems


@command.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def check(ctx: click.Context, paths: tuple[str, ...], fmt: str) -> None:
    """Coverage per locale; exit 1 when a listed locale misses a string a journey uses."""
    plans, problems = load_plans(ctx, paths)
    workspace, _ = open_workspace(ctx)
    rows = coverage(plans, workspace.templates_dir, workspace.locales_dir)
    if fmt == "json":
        payload = {
            "locales": [r.as_dict() for r in rows],
            "problems": [as_json(d) for d in problems],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        click.echo(render_table(rows))
        if problems:
            click.echo(format_diagnostics(problems, "text", files=len(plans)))
    ctx.exit(1 if problems else 0)

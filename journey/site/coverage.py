"""Translation coverage of one journey: of the strings its templates use, how many
each listed locale has translated (the same count `journey i18n check` makes).

The first listed locale is the fallback and the source language: it needs no catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from journey.model import Plan, SendStep
from journey.renderer.catalogs import CatalogError, MessageKey, load_catalog
from journey.renderer.introspect import template_closure
from journey.renderer.render import PARTS


@dataclass(frozen=True, slots=True)
class Coverage:
    locale: str
    translated: int
    total: int
    is_source: bool = False
    error: str = ""

    @property
    def complete(self) -> bool:
        return self.is_source or (not self.error and self.translated == self.total)

    @property
    def percent(self) -> int:
        return 100 if self.is_source or self.total == 0 else self.translated * 100 // self.total


def used_messages(plan: Plan, templates_dir: Path) -> set[MessageKey]:
    names = [
        f"{step.template}/{filename}"
        for step in plan.steps
        if isinstance(step, SendStep)
        for _field, filename, _required in PARTS[step.message]
    ]
    return {m.key for facts in template_closure(templates_dir, names) for m in facts.messages}


def journey_coverage(plan: Plan, templates_dir: Path, locales_dir: Path) -> list[Coverage]:
    used = used_messages(plan, templates_dir)
    rows: list[Coverage] = []
    for index, locale in enumerate(plan.locales):
        if index == 0:
            rows.append(Coverage(locale, len(used), len(used), is_source=True))
            continue
        try:
            catalog = load_catalog(locales_dir, locale)
        except CatalogError as exc:
            rows.append(Coverage(locale, 0, len(used), error=str(exc)))
            continue
        rows.append(Coverage(locale, len(used & catalog.translated), len(used)))
    return rows

"""Template and translation checks for `send` steps (spec sections 5 and 6).

Each send must name a template folder with the parts its channel needs; the
templates must compile, read only names the renderer provides (and declared
contact attributes), and every string they use must be translated in each
non-fallback locale the journey lists.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journey.errors import Diagnostic, Location, Severity
from journey.loader import Document
from journey.model import RESERVED_CONTACT_KEYS
from journey.renderer.catalogs import CatalogError, LoadedCatalog, catalog_path, load_catalog
from journey.renderer.failures import display_path
from journey.renderer.introspect import (
    PulledIn,
    TemplateFacts,
    all_template_names,
    template_closure_via,
)
from journey.renderer.render import PARTS
from journey.validator.suggest import did_you_mean, listing, sentence
from journey.validator.templates_kept import check_kept_in_templates
from journey.workspace import Workspace
from journey.workspace_files import CODE as OUTSIDE_CODE
from journey.workspace_files import OutsideWorkspace, template_stat

TRANSLATION_PLACEHOLDER = "translation-placeholder"
SendRef = tuple[str, str, Location]  # (template name, message kind, where the send is)
# What stops a template compiling, by TemplateProblem.kind.
PROBLEM_CODES = {
    "syntax": "template-syntax",
    "unreadable": "template-syntax",
    "filter": "unknown-template-filter",
    "test": "unknown-template-test",
}


@dataclass(slots=True)
class TemplateChecker:
    """What one journey's template checks share, and where they report."""

    templates_dir: Path
    locales_dir: Path
    declared: frozenset[str] | None
    found: list[Diagnostic]
    seen: set[tuple[str, str, int, str]]
    entry_event: str | None = None  # the event that enrolls, when its properties are declared
    entry_types: Mapping[str, str] | None = None
    where: Location | None = None  # a string in the journey (a webhook body's), not a file
    given_to: str = "templates"
    names_hint: str = (
        "templates receive contact, entry, events, journey, now, locale,"
        " unsubscribe_url and message_id"
    )

    def add(
        self,
        code: str,
        message: str,
        location: Location,
        hint: str | None = None,
        severity: Severity = "error",
    ) -> None:
        key = (code, location.path, location.line, message)
        if key not in self.seen:
            self.seen.add(key)
            self.found.append(
                Diagnostic(
                    code=code, message=message, location=location, hint=hint, severity=severity
                )
            )

    def at(self, name: str, line: int) -> Location:
        if self.where is not None:
            return self.where
        return Location(path=display_path(self.templates_dir, name), line=line, col=1)


def check_send_templates(
    sends: Iterable[SendRef],
    locales: Sequence[str],
    templates_dir: Path,
    locales_dir: Path,
    declared_attributes: Mapping[str, str] | Iterable[str] | None = None,
    *,
    locale_locations: Mapping[str, Location] | None = None,
    entry_event: str | None = None,
    entry_types: Mapping[str, str] | None = None,
) -> list[Diagnostic]:
    """Diagnostics for one journey's sends; problems in templates point into them.

    `entry_types` are the declared properties of `entry_event`, the event that
    enrolls the contact: `entry.properties.X` must be one of them.
    """
    declared = None if declared_attributes is None else frozenset(declared_attributes)
    checker = TemplateChecker(
        templates_dir, locales_dir, declared, [], set(), entry_event, entry_types
    )
    reached: list[tuple[TemplateFacts, PulledIn]] = []
    first_location: Location | None = None
    for template, message, location in sends:
        first_location = first_location or location
        part_names = _check_parts(checker, template, message, location)
        reached += template_closure_via(templates_dir, part_names)
    used = [facts for facts, _via in reached]
    for facts, via in {facts.name: (facts, via) for facts, via in reversed(reached)}.values():
        check_facts(checker, facts, via)
    if first_location is not None and locales:
        where = dict(locale_locations or {})
        _check_translations(checker, used, locales, where, first_location)
    return checker.found


def _unique(facts: list[TemplateFacts]) -> list[TemplateFacts]:
    return list({f.name: f for f in facts}.values())


def _check_parts(
    checker: TemplateChecker, template: str, message: str, location: Location
) -> list[str]:
    folder = checker.templates_dir / template
    parts = PARTS.get(message, PARTS["email"])
    if _refused(checker, template, location):
        return []
    if not folder.is_dir():
        checker.add(
            "unknown-template",
            f"template `{template}` does not exist"
            f" (no folder {display_path(checker.templates_dir, template)}/)",
            location,
            hint=_suggest_template(checker.templates_dir, template, parts),
        )
        return []
    present: list[str] = []
    for _field, filename, required in parts:
        if _refused(checker, f"{template}/{filename}", location):
            continue
        if (folder / filename).is_file():
            present.append(f"{template}/{filename}")
        elif required:
            checker.add(
                "missing-template-part",
                f"template `{template}` has no {filename}, which an {message} message needs"
                if message == "email"
                else f"template `{template}` has no {filename}, which a {message} message needs",
                location,
                hint=f"create {display_path(checker.templates_dir, template)}/{filename}",
            )
    return present


def _refused(checker: TemplateChecker, name: str, location: Location) -> bool:
    """A template that is a link, in a linked folder or named with `..` or `/`: reported, unread."""
    try:
        template_stat(checker.templates_dir, name)
    except OutsideWorkspace as exc:
        checker.add(OUTSIDE_CODE, str(exc), location, hint=OUTSIDE_HINT)
        return True
    return False


OUTSIDE_HINT = "replace the link with the file itself, inside templates/ or locales/"


def _suggest_template(templates_dir: Path, template: str, parts: Any) -> str:
    folders = sorted({name.rsplit("/", 1)[0] for name in all_template_names(templates_dir)})
    close = difflib.get_close_matches(template, folders, n=1)
    if close:
        return f"did you mean `{close[0]}`?"
    files = ", ".join(filename for _f, filename, required in parts if required)
    return f"create the folder templates/{template}/ with {files}"


def check_facts(checker: TemplateChecker, facts: TemplateFacts, via: PulledIn) -> None:
    """What one template (or template string) reads, against what it is given."""
    pulled_in = "" if via is None else f" ({_pulled_in(checker, via)})"
    for problem in facts.problems:
        checker.add(
            PROBLEM_CODES[problem.kind],
            problem.message + pulled_in,
            checker.at(facts.name, problem.line),
            hint=problem.hint,
        )
    if facts.problems:
        return
    for reference, line in facts.references:
        if _refused(checker, reference, checker.at(facts.name, line)):
            continue
        if not (checker.templates_dir / reference).is_file():
            checker.add(
                "unknown-template",
                f"`{reference}` does not exist",
                checker.at(facts.name, line),
                hint="layouts live in templates/layouts/; check the name in {% extends %}",
            )
    for name, line in facts.names.items():
        checker.add(
            "unknown-template-variable",
            f"`{name}` is not available to {checker.given_to}",
            checker.at(facts.name, line),
            hint=checker.names_hint,
        )
    _check_entry_properties(checker, facts)
    if checker.declared is None:
        return
    known = checker.declared | RESERVED_CONTACT_KEYS
    for attribute, line in facts.contact_attributes.items():
        if attribute not in known:
            close = difflib.get_close_matches(attribute, sorted(known), n=1)
            hint = (
                f"did you mean `contact.{close[0]}`?"
                if close
                else ("declare it under contact_attributes in workspace.yaml")
            )
            checker.add(
                "unknown-template-variable",
                f"`contact.{attribute}` is not a declared contact attribute",
                checker.at(facts.name, line),
                hint=hint,
            )


def _check_entry_properties(checker: TemplateChecker, facts: TemplateFacts) -> None:
    types = checker.entry_types
    if types is None:
        return
    for name, line in facts.entry_properties.items():
        if name in types:
            continue
        checker.add(
            "unknown-property",
            f"`entry.properties.{name}`: event `{checker.entry_event}` declares no property"
            f" `{name}`",
            checker.at(facts.name, line),
            hint=sentence(
                did_you_mean(name, types),
                f"`{checker.entry_event}` declares {listing(types)}; declare new ones in"
                " workspace.yaml.",
            ),
        )


def _pulled_in(checker: TemplateChecker, via: tuple[str, int, str]) -> str:
    parent, line, verb = via
    return f"{verb} by {display_path(checker.templates_dir, parent)}:{line}"


def _load(checker: TemplateChecker, locale: str, where: Location) -> LoadedCatalog | None:
    path = catalog_path(checker.locales_dir, locale)
    try:
        return load_catalog(checker.locales_dir, locale)
    except CatalogError as exc:
        if exc.code == OUTSIDE_CODE:
            checker.add(OUTSIDE_CODE, str(exc), where, hint=OUTSIDE_HINT)
        elif exc.code == "missing-catalog":
            checker.add(
                "missing-catalog",
                f"locale `{locale}` is listed but has no catalog",
                where,
                hint=f"create {path} (run `journey i18n extract`, then translate messages.pot)",
            )
        else:
            checker.add("catalog-error", str(exc), Location(path=str(path), line=exc.line, col=1))
        return None


def _check_translations(
    checker: TemplateChecker,
    used: list[TemplateFacts],
    locales: Sequence[str],
    where: Mapping[str, Location],
    first_location: Location,
) -> None:
    fallback = locales[0]
    if os.path.lexists(catalog_path(checker.locales_dir, fallback)):
        _load(checker, fallback, where.get(fallback, first_location))  # broken still breaks sends
    for locale in dict.fromkeys(locales[1:]):
        if locale == fallback:
            continue
        catalog = _load(checker, locale, where.get(locale, first_location))
        if catalog is None:
            continue
        used_keys = {message.key for facts in used for message in facts.messages}
        for problem in catalog.placeholder_problems:
            if problem.key in used_keys:
                checker.add(
                    TRANSLATION_PLACEHOLDER,
                    f"{problem.message} ({locale})",
                    Location(path=str(catalog.path), line=problem.line, col=1),
                    hint=problem.hint,
                    severity="warning" if problem.severity == "warning" else "error",
                )
        for facts in _unique(used):
            for message in facts.messages:
                if message.key not in catalog.translated:
                    checker.add(
                        "missing-translation",
                        f"“{message.text}” is not translated to {locale}",
                        checker.at(facts.name, message.line),
                        hint=f"add a non-fuzzy translation in {catalog.path}",
                    )


def check_document_templates(doc: Document, workspace: Workspace) -> list[Diagnostic]:
    """The validator's entry: the sends of one journey document."""
    data = doc.data if isinstance(doc.data, dict) else {}
    sends: list[SendRef] = []
    for index, step in enumerate(data.get("steps") or []):
        send = step.get("send") if isinstance(step, dict) else None
        if not isinstance(send, dict) or not isinstance(send.get("template"), str):
            continue
        location = doc.location(("steps", index, "send", "template"))
        given = send.get("channel")
        for name in dict.fromkeys(given if isinstance(given, list) else [given]):
            channel = workspace.channels.get(str(name))
            message = channel.message if channel and channel.message != "webhook" else "email"
            sends.append((send["template"], message, location))
    locales = [str(x) for x in data.get("locales") or [workspace.default_locale]]
    locale_locations = {
        locale: doc.location(("locales", index)) for index, locale in enumerate(locales)
    }
    entry_event = entry_event_of(data)
    return check_kept_in_templates(doc, workspace) + check_send_templates(
        sends,
        locales,
        workspace.templates_dir,
        workspace.locales_dir,
        workspace.contact_attributes,
        locale_locations=locale_locations,
        entry_event=entry_event,
        entry_types=(workspace.events or {}).get(entry_event) if entry_event else None,
    )


def entry_event_of(data: Mapping[str, Any]) -> str | None:
    trigger = data.get("trigger")
    if isinstance(trigger, str):
        return trigger
    name = trigger.get("event") if isinstance(trigger, dict) else None
    return name if isinstance(name, str) else None

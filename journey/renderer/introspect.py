"""Static facts about templates, for validation and `i18n check`: the problems
that stop them compiling, the names and contact attributes they read, the
templates they pull in, and the translatable strings they use (with lines).

Templates are parsed and compiled (to Python source, never run) with the render
environment, so the message ids found here are exactly the ones looked up at
render time and whatever Jinja would refuse at render time is found here first.
No Jinja error escapes: each becomes a `TemplateProblem` with a line.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from jinja2 import meta, nodes
from jinja2.exceptions import TemplateError, TemplateSyntaxError
from jinja2.ext import GETTEXT_FUNCTIONS, extract_from_ast

from journey.renderer.catalogs import MessageKey
from journey.renderer.environment import build_environment
from journey.renderer.sandbox import JourneySandbox
from journey.workspace_files import OutsideWorkspace, safe_mtime

# Names the renderer puts in every template's context (spec section 5).
RENDER_NAMES = frozenset(
    {
        "contact",
        "entry",
        "events",
        "journey",
        "now",
        "unsubscribe_url",
        "message_id",
        "locale",
        "variant",
    }
)
# What a webhook body's strings get (journey.engine.perform.webhook_request).
WEBHOOK_BODY_NAMES = frozenset({"contact", "entry", "events", "journey", "now"})


@dataclass(frozen=True, slots=True)
class UsedMessage:
    key: MessageKey
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """Why a template cannot render: `kind` is syntax, unreadable, filter or test."""

    kind: str
    message: str
    line: int
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class TemplateFacts:
    """What one template file reads and uses, and what stops it compiling."""

    name: str
    problems: tuple[TemplateProblem, ...] = ()
    names: dict[str, int] = field(default_factory=dict)  # undeclared name -> first line
    contact_attributes: dict[str, int] = field(default_factory=dict)
    entry_properties: dict[str, int] = field(default_factory=dict)  # entry.properties.X -> line
    # `events.NAME` -> line, and `events.NAME.properties.X` as "NAME.X" -> line
    kept_events: dict[str, int] = field(default_factory=dict)
    # `events.NAME` read into (`.properties`, `.timestamp`, `.name`) -> first line, and
    # the names an `{% if %}`, a conditional expression or the left of `and`/`or` tests
    event_reads: dict[str, int] = field(default_factory=dict)
    event_tests: frozenset[str] = frozenset()
    references: tuple[tuple[str, int], ...] = ()  # (template name, line)
    reference_verbs: tuple[str, ...] = ()  # "extended", "included" or "imported", per reference
    messages: tuple[UsedMessage, ...] = ()


@lru_cache(maxsize=16)
def environment_for(templates_dir: str) -> JourneySandbox:
    return build_environment(Path(templates_dir))


_cache: dict[tuple[str, str, int], TemplateFacts] = {}
_cache_lock = threading.Lock()


def template_facts(templates_dir: Path, name: str) -> TemplateFacts | None:
    """Facts about `name`, or None when the file does not exist. Cached by mtime."""
    mtime = safe_mtime(templates_dir, name)  # None too for a link: validation reports it
    if mtime is None:
        return None
    key = (str(templates_dir), name, mtime)
    facts = _cache.get(key)
    if facts is None:
        facts = _read_facts(environment_for(str(templates_dir)), name)
        with _cache_lock:
            _cache[key] = facts
    return facts


def _read_facts(env: JourneySandbox, name: str) -> TemplateFacts:
    try:
        loader = env.loader
        assert loader is not None
        source, _, _ = loader.get_source(env, name)
    except (TemplateError, OSError, UnicodeError, OutsideWorkspace) as exc:
        return _broken(name, "unreadable", f"cannot read the template: {exc}", 1)
    return _facts_of_source(env, source, name, RENDER_NAMES)


def facts_of_string(
    templates_dir: Path, source: str, name: str, available: frozenset[str]
) -> TemplateFacts:
    """Facts about one template string (a webhook body's value), `available` the names its
    render gets; `name` only labels it."""
    return _facts_of_source(environment_for(str(templates_dir)), source, name, available)


def _facts_of_source(
    env: JourneySandbox, source: str, name: str, available: frozenset[str]
) -> TemplateFacts:
    try:
        tree = env.parse(source, name)
    except TemplateSyntaxError as exc:
        return _broken(name, "syntax", exc.message or str(exc), exc.lineno)
    except (TemplateError, RecursionError, MemoryError) as exc:
        return _broken(name, "syntax", f"the template cannot be parsed: {_reason(exc)}", 1)
    problems = tuple(_unknown_callables(env, tree))
    names: dict[str, int] = {}
    if not problems:
        problems, names = _compiled(env, tree, name, available)
    return TemplateFacts(
        name=name,
        problems=problems,
        names=names,
        contact_attributes=_contact_attributes(tree),
        entry_properties=_entry_properties(tree),
        kept_events=_kept_events(tree),
        event_reads=_event_reads(tree),
        event_tests=_event_tests(tree),
        references=tuple((name, line) for name, line, _verb in _references(tree)),
        reference_verbs=tuple(verb for _name, _line, verb in _references(tree)),
        messages=tuple(_messages(tree)),
    )


def _broken(name: str, kind: str, message: str, line: int) -> TemplateFacts:
    return TemplateFacts(name=name, problems=(TemplateProblem(kind, message, max(line, 1)),))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (RecursionError, MemoryError)):
        return "it is nested too deeply"
    return str(exc) or type(exc).__name__


def _compiled(
    env: JourneySandbox, tree: nodes.Template, name: str, available: frozenset[str]
) -> tuple[tuple[TemplateProblem, ...], dict[str, int]]:
    """Compile to Python source (never executed): what Jinja refuses at render time."""
    try:
        env.compile(tree, name, raw=True)
        return (), _undeclared_names(env, tree, available)
    except TemplateSyntaxError as exc:  # also TemplateAssertionError
        return (TemplateProblem("syntax", exc.message or str(exc), max(exc.lineno, 1)),), {}
    except (TemplateError, RecursionError, MemoryError) as exc:
        return (TemplateProblem("syntax", f"the template cannot compile: {_reason(exc)}", 1),), {}


def _unknown_callables(env: JourneySandbox, tree: nodes.Template) -> Iterator[TemplateProblem]:
    """Filters and tests the environment lacks, everywhere (Jinja only finds some early)."""
    kinds: tuple[tuple[type[nodes.Node], str, Mapping[str, object]], ...] = (
        (nodes.Filter, "filter", env.filters),
        (nodes.Test, "test", env.tests),
    )
    reported: set[tuple[str, str]] = set()
    for node_type, kind, known in kinds:
        for node in tree.find_all(node_type):
            called = str(getattr(node, "name", ""))
            if called in known or (kind, called) in reported:
                continue
            reported.add((kind, called))
            public = sorted(k for k in known if not k.startswith("_"))
            close = [f"`{c}`" for c in difflib.get_close_matches(called, public, n=3, cutoff=0.5)]
            spelled = " or ".join(filter(None, (", ".join(close[:-1]), close[-1]))) if close else ""
            hint = f"did you mean {spelled}?" if close else f"known {kind}s: {', '.join(public)}"
            yield TemplateProblem(kind, f"no {kind} named `{called}`", node.lineno, hint)


def _undeclared_names(
    env: JourneySandbox, tree: nodes.Template, available: frozenset[str]
) -> dict[str, int]:
    undeclared = meta.find_undeclared_variables(tree) - available - set(env.globals)
    found: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.name in undeclared and node.name not in found:
            found[node.name] = node.lineno
    return found


def _contact_attributes(tree: nodes.Template) -> dict[str, int]:
    found: dict[str, int] = {}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = getattr(node, "node", None)
        if not (isinstance(target, nodes.Name) and target.name == "contact"):
            continue
        if isinstance(node, nodes.Getattr):
            attribute = node.attr
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
        ):
            attribute = node.arg.value
        else:
            continue
        found.setdefault(attribute, node.lineno)
    return found


def _entry_properties(tree: nodes.Template) -> dict[str, int]:
    """`entry.properties.total` or `entry.properties['total']` -> the first line using it."""
    found: dict[str, int] = {}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        holder = getattr(node, "node", None)
        if not (
            isinstance(holder, nodes.Getattr)
            and holder.attr == "properties"
            and isinstance(holder.node, nodes.Name)
            and holder.node.name == "entry"
        ):
            continue
        if isinstance(node, nodes.Getattr):
            found.setdefault(node.attr, node.lineno)
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
        ):
            found.setdefault(node.arg.value, node.lineno)
    return found


def _kept_events(tree: nodes.Template) -> dict[str, int]:
    """`events.survey` -> "survey", `events.survey.properties.score` -> "survey.score"."""
    found: dict[str, int] = {}
    for node in tree.find_all(nodes.Getattr):
        holder = node.node
        if isinstance(holder, nodes.Name) and holder.name == "events":
            found.setdefault(node.attr, node.lineno)
            continue
        if not (isinstance(holder, nodes.Getattr) and holder.attr == "properties"):
            continue
        kept = holder.node
        if (
            isinstance(kept, nodes.Getattr)
            and isinstance(kept.node, nodes.Name)
            and kept.node.name == "events"
        ):
            found.setdefault(f"{kept.attr}.{node.attr}", node.lineno)
    return found


@dataclass(frozen=True, slots=True)
class EventUse:
    """What a template reads of `events`: see the TemplateFacts fields of these names."""

    kept_events: dict[str, int]
    event_reads: dict[str, int]
    event_tests: frozenset[str]


def event_use_of_string(templates_dir: Path, source: str) -> EventUse | None:
    """`events` as a template string reads it (a webhook body's value); None if it does not
    parse (the render of the body reports that)."""
    try:
        tree = environment_for(str(templates_dir)).parse(source)
    except (TemplateError, RecursionError, MemoryError):
        return None
    return EventUse(
        kept_events=_kept_events(tree),
        event_reads=_event_reads(tree),
        event_tests=_event_tests(tree),
    )


def _event_holder(node: nodes.Node) -> str | None:
    """`events.NAME` -> "NAME"."""
    if (
        isinstance(node, nodes.Getattr)
        and isinstance(node.node, nodes.Name)
        and node.node.name == "events"
    ):
        return node.attr
    return None


def _event_reads(tree: nodes.Template) -> dict[str, int]:
    found: dict[str, int] = {}
    for node in tree.find_all(nodes.Getattr):
        name = _event_holder(node.node)
        if name is not None:
            found.setdefault(name, node.lineno)
    return found


def _event_tests(tree: nodes.Template) -> frozenset[str]:
    tests: list[nodes.Node] = [node.test for node in tree.find_all(nodes.If)]
    tests += [node.test for node in tree.find_all(nodes.CondExpr)]
    tests += [node.left for node in tree.find_all((nodes.And, nodes.Or))]  # `x and x.y`
    found = set()
    for test in tests:
        for node in [test, *test.find_all(nodes.Getattr)]:
            name = _event_holder(node)
            if name is not None:
                found.add(name)
    return frozenset(found)


_VERBS = {nodes.Extends: "extended", nodes.Include: "included"}


def _references(tree: nodes.Template) -> list[tuple[str, int, str]]:
    found: list[tuple[str, int, str]] = []
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        template = getattr(node, "template", None)
        if isinstance(template, nodes.Const) and isinstance(template.value, str):
            found.append((template.value, node.lineno, _VERBS.get(type(node), "imported")))
    return found


def _messages(tree: nodes.Template) -> list[UsedMessage]:
    used: list[UsedMessage] = []
    for line, function, raw in extract_from_ast(tree, GETTEXT_FUNCTIONS, babel_style=True):
        strings = raw if isinstance(raw, tuple) else (raw,)
        if function in ("pgettext", "npgettext"):
            context, text = (*strings, None, None)[:2]
        else:
            context, text = None, strings[0]
        if isinstance(text, str) and (context is None or isinstance(context, str)):
            used.append(UsedMessage(key=(context, text), text=text, line=line))
    return used


# How a template was reached: None for one named by a send, else (the template
# that extends, includes or imports it, the line where it does, which of the three).
PulledIn = tuple[str, int, str] | None


def template_closure(templates_dir: Path, names: list[str]) -> list[TemplateFacts]:
    """The given templates and everything they extend, include or import."""
    return [facts for facts, _via in template_closure_via(templates_dir, names)]


def template_closure_via(
    templates_dir: Path, names: list[str]
) -> list[tuple[TemplateFacts, PulledIn]]:
    """Like `template_closure`, with the first template that pulled each one in."""
    seen: set[str] = set()
    ordered: list[tuple[TemplateFacts, PulledIn]] = []
    pending: list[tuple[str, PulledIn]] = [(name, None) for name in names]
    while pending:
        name, via = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        facts = template_facts(templates_dir, name)
        if facts is None:
            continue
        ordered.append((facts, via))
        pending.extend(
            (reference, (name, line, verb))
            for (reference, line), verb in zip(facts.references, facts.reference_verbs, strict=True)
        )
    return ordered


def all_template_names(templates_dir: Path) -> list[str]:
    """Every template file under the folder, as loader names (`a/b/body.html`)."""
    if not templates_dir.is_dir():
        return []
    return sorted(
        path.relative_to(templates_dir).as_posix()
        for path in templates_dir.rglob("*")
        if path.is_file() and path.suffix in (".txt", ".html", ".htm")
    )

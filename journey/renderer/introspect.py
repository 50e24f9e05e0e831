"""Static facts about templates, for validation and `i18n check`: syntax errors,
the names and contact attributes they read, the templates they pull in, and the
translatable strings they use (with lines).

Templates are parsed with the render environment, so the message ids found here
are exactly the ones looked up at render time. Nothing here executes template code.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from jinja2 import meta, nodes
from jinja2.exceptions import TemplateNotFound, TemplateSyntaxError
from jinja2.ext import GETTEXT_FUNCTIONS, extract_from_ast

from journey.renderer.catalogs import MessageKey
from journey.renderer.environment import build_environment
from journey.renderer.sandbox import JourneySandbox
from journey.workspace_files import OutsideWorkspace, safe_mtime

# Names the renderer puts in every template's context (spec section 5).
RENDER_NAMES = frozenset(
    {"contact", "entry", "journey", "now", "unsubscribe_url", "message_id", "locale"}
)


@dataclass(frozen=True, slots=True)
class UsedMessage:
    key: MessageKey
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class TemplateFacts:
    """What one template file reads and uses; `syntax_error` is (message, line)."""

    name: str
    syntax_error: tuple[str, int] | None = None
    names: dict[str, int] = field(default_factory=dict)  # undeclared name -> first line
    contact_attributes: dict[str, int] = field(default_factory=dict)
    references: tuple[tuple[str, int], ...] = ()  # (template name, line)
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
        tree = env.parse(source, name)
    except TemplateSyntaxError as exc:
        return TemplateFacts(name=name, syntax_error=(exc.message or str(exc), exc.lineno))
    except (TemplateNotFound, UnicodeDecodeError, OutsideWorkspace) as exc:
        return TemplateFacts(name=name, syntax_error=(f"cannot read the template: {exc}", 1))
    return TemplateFacts(
        name=name,
        names=_undeclared_names(env, tree),
        contact_attributes=_contact_attributes(tree),
        references=_references(tree),
        messages=tuple(_messages(tree)),
    )


def _undeclared_names(env: JourneySandbox, tree: nodes.Template) -> dict[str, int]:
    undeclared = meta.find_undeclared_variables(tree) - RENDER_NAMES - set(env.globals)
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


def _references(tree: nodes.Template) -> tuple[tuple[str, int], ...]:
    found: list[tuple[str, int]] = []
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        template = getattr(node, "template", None)
        if isinstance(template, nodes.Const) and isinstance(template.value, str):
            found.append((template.value, node.lineno))
    return tuple(found)


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


def template_closure(templates_dir: Path, names: list[str]) -> list[TemplateFacts]:
    """The given templates and everything they extend, include or import."""
    seen: set[str] = set()
    ordered: list[TemplateFacts] = []
    pending = list(names)
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        facts = template_facts(templates_dir, name)
        if facts is None:
            continue
        ordered.append(facts)
        pending.extend(reference for reference, _ in facts.references)
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

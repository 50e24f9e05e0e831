"""The shape that keeps `journey test` honest: a pure core, one shell, one assembly.

These read the package's source, as a reviewer would: the engine's core
imports no store, channel or daemon; the store, the renderer and the runner
are each constructed in exactly one module; no shell carries a mode flag.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "journey"

# The pure core: plan + enrollment + input (event, due time, contact change) -> decisions.
CORE = (
    "engine/actions.py",
    "engine/context.py",
    "engine/events.py",
    "engine/interest.py",
    "engine/sends.py",
    "engine/state.py",
    "engine/steps.py",
    "engine/triggers.py",
)
FORBIDDEN = ("journey.store", "journey.channels", "journey.daemon", "journey.engine.runner")
# I/O a pure function has no business with
FORBIDDEN_STDLIB = ("sqlite3", "socket", "smtplib", "http", "urllib", "subprocess", "threading")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _module(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _core_closure() -> dict[str, set[str]]:
    """Every journey module the core reaches, with what each imports."""
    seen: dict[str, set[str]] = {}
    todo = [PACKAGE / rel for rel in CORE]
    while todo:
        path = todo.pop()
        key = str(path.relative_to(PACKAGE))
        if key in seen:
            continue
        seen[key] = _imports(path)
        for name in seen[key]:
            if not name.startswith("journey."):
                continue
            parts = name.split(".")[1:]
            candidate = PACKAGE.joinpath(*parts)
            for found in (candidate.with_suffix(".py"), candidate / "__init__.py"):
                if found.is_file():
                    todo.append(found)
    return seen


def test_the_engine_core_imports_no_store_channel_or_daemon() -> None:
    closure = _core_closure()
    assert set(CORE) <= set(closure)
    offenders = {
        module: sorted(name for name in names if _module(name, FORBIDDEN))
        for module, names in closure.items()
        if any(_module(name, FORBIDDEN) for name in names)
    }
    assert offenders == {}, f"the core reaches I/O through {offenders}"


def test_the_engine_core_does_no_io() -> None:
    closure = _core_closure()
    offenders = {
        module: sorted(name for name in names if _module(name, FORBIDDEN_STDLIB))
        for module, names in closure.items()
        if module.startswith("engine/") and any(_module(n, FORBIDDEN_STDLIB) for n in names)
    }
    assert offenders == {}


def _constructions(name: str) -> set[str]:
    pattern = re.compile(rf"(?<![\w.]){re.escape(name)}\(")
    return {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(
            pattern.search(line) and not line.lstrip().startswith(("class ", "def ", "#"))
            for line in path.read_text("utf-8").splitlines()
        )
    }


def test_the_store_is_constructed_in_one_place() -> None:
    assert _constructions("SQLiteStore") == {"store/url.py"}


def test_the_renderer_is_constructed_in_one_place() -> None:
    assert _constructions("Renderer") == {"assembly.py"}


def test_the_runner_and_the_delivery_worker_are_constructed_in_one_place() -> None:
    assert _constructions("Runner") == {"engine/shell.py"}
    assert _constructions("DeliveryWorker") == {"engine/shell.py"}


def test_no_shell_carries_a_mode_flag() -> None:
    flags = ("deliver_inline", "outcome_events", "outcomes_via_inbox", "reacts_to_outcomes")
    users = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(flag in path.read_text("utf-8") for flag in flags)
    }
    assert users == set()


def test_one_retry_schedule() -> None:
    users = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "RETRY_DELAYS" in path.read_text("utf-8")
    }
    assert users == set()

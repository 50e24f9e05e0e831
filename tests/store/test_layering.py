"""The records sit below both the engine and the stores: no store imports the engine, and the
engine needs the store contract only for type checking (no cycle between the two)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "journey"
# Where the engine still opens a store itself: nowhere (journey.assembly does it).
ENGINE_OPENS_A_STORE: set[str] = set()


def runtime_imports(path: Path) -> set[str]:
    """Modules imported when the file runs (imports under `if TYPE_CHECKING:` left out)."""
    tree = ast.parse(path.read_text(), str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(inner) for inner in ast.walk(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_no_store_module_imports_the_engine() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            m for m in runtime_imports(path) if m.startswith("journey.engine")
        )
        for path in (PACKAGE / "store").rglob("*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_engine_imports_no_store_at_run_time() -> None:
    offenders = {
        path.name: sorted(m for m in runtime_imports(path) if m.startswith("journey.store"))
        for path in (PACKAGE / "engine").glob("*.py")
        if path.name not in ENGINE_OPENS_A_STORE
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_records_and_instants_depend_on_neither() -> None:
    for name in ("records.py", "instants.py"):
        imports = runtime_imports(PACKAGE / name)
        assert not [m for m in imports if m.startswith(("journey.engine", "journey.store"))], name

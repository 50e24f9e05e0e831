"""Write a starter workspace: settings, one journey with its template, translation
and test, the schemas for offline editor support, git and CI configuration.

The files' text lives in journey/scaffold/files.py; here is only where each goes.
Schema modelines are relative to each file (`schema/…` for workspace.yaml,
`../schema/…` for journeys/NAME.yaml), so an editor resolves them offline.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from journey.errors import UsageError
from journey.scaffold import files
from journey.schema import schema_file_name

SCHEMA_DIR = "schema"
SCHEMAS = {"workspace": "workspace", "journey": "journey", "test": "journey-test"}


class NotEmpty(UsageError):
    """The target folder has files and --force was not given."""


def modeline_for(relative_file: str, schema: str) -> str:
    """`# yaml-language-server: $schema=…` for a file at `relative_file` in the workspace."""
    depth = len(PurePosixPath(relative_file).parts) - 1
    prefix = "../" * depth
    return f"# yaml-language-server: $schema={prefix}{SCHEMA_DIR}/{schema_file_name(schema)}"


def planned_files() -> dict[str, str]:
    """Relative path -> text of every file `journey init` writes (schemas apart)."""
    texts = {
        "workspace.yaml": (SCHEMAS["workspace"], files.WORKSPACE),
        "journeys/welcome.yaml": (SCHEMAS["journey"], files.JOURNEY),
        "journeys/welcome.test.yaml": (SCHEMAS["test"], files.JOURNEY_TEST),
    }
    planned = {
        path: f"{modeline_for(path, schema)}\n{text}" for path, (schema, text) in texts.items()
    }
    planned.update(
        {
            "templates/welcome/subject.txt": files.SUBJECT,
            "templates/welcome/preheader.txt": files.PREHEADER,
            "templates/welcome/body.txt": files.BODY_TEXT,
            "templates/welcome/body.html": files.BODY_HTML,
            "locales/sv/LC_MESSAGES/messages.po": files.CATALOG_SV,
            ".gitignore": files.GITIGNORE,
            ".pre-commit-config.yaml": files.PRE_COMMIT,
            ".github/workflows/journeys.yml": files.WORKFLOW,
            "README.md": files.README,
        }
    )
    return planned


def create_workspace(target: Path, *, force: bool = False) -> list[Path]:
    """Write the starter workspace into `target` (created if missing); the files written.

    A folder with anything in it is refused unless `force`, which overwrites
    only the files init writes and leaves every other file alone.
    """
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise NotEmpty(
            f"{target} is not empty; run `journey init` in a new or empty folder, "
            "or pass --force to write the starter files over what is there"
        )
    written: list[Path] = []
    try:
        for relative, text in planned_files().items():
            written.append(_write(target / relative, text))
        for name in SCHEMAS.values():
            source = Path(files.__file__).parent.parent / "schema" / schema_file_name(name)
            written.append(_write(target / SCHEMA_DIR / source.name, source.read_text("utf-8")))
    except OSError as exc:
        raise UsageError(f"cannot write the workspace in {target}: {exc.strerror}") from exc
    return written


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():  # never write through a link somewhere else
        os.unlink(path)
    path.write_text(text, encoding="utf-8")
    return path

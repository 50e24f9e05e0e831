"""A workspace with one email journey and a secret file beside it, for the symlink attacks."""

from __future__ import annotations

import os
from pathlib import Path

from tests.daemon.workspace_factory import make_workspace

SECRET = "JOURNEY_TOKEN=leaked-7f3a9c SMTP_PASSWORD=hunter2"


def attacked_workspace(tmp_path: Path) -> tuple[Path, Path]:
    """(workspace root, a secret file outside it); the journey sends test/welcome."""
    secret = tmp_path / "daemon.env"
    secret.write_text(SECRET + "\n")
    return make_workspace(tmp_path / "ws"), secret


def link(target: Path, at: Path) -> None:
    """Replace `at` (file or folder) by a symbolic link to `target`."""
    if at.is_dir() and not at.is_symlink():
        for child in sorted(at.rglob("*"), reverse=True):
            child.rmdir() if child.is_dir() else child.unlink()
        at.rmdir()
    elif at.exists() or at.is_symlink():
        at.unlink()
    at.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, at)


def welcome(root: Path) -> Path:
    return root / "templates" / "test" / "welcome"

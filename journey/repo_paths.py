"""Paths as the repository names them, wherever the command runs.

Code scanning and pull-request annotations place a finding by its path from the
repository's root, so a CI step run from a sub-folder must not report
`journeys/x.yaml` for what the repository calls `marketing/journeys/x.yaml`.
"""

from __future__ import annotations

import os
from pathlib import Path


def repository_root(start: Path | None = None) -> Path:
    """`$GITHUB_WORKSPACE` when it holds `start`, else the nearest folder with `.git`, else cwd."""
    here = (start or Path.cwd()).resolve()
    github = os.environ.get("GITHUB_WORKSPACE")
    if github:
        root = Path(github).resolve()
        if here == root or root in here.parents:
            return root
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return Path.cwd().resolve()


def repository_relative(path: str, root: Path) -> str:
    """`path` (as reported: relative to cwd, or absolute) as a POSIX path from `root`."""
    absolute = Path(os.path.normpath(Path.cwd().resolve() / path))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()

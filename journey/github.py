"""Diagnostic -> GitHub Actions workflow commands, and the step summary for what they cannot show.

GitHub shows at most 10 error and 10 warning annotations per step and drops the
rest; every diagnostic is still printed as a workflow command, and when some are
past the limit, all of those are listed in `$GITHUB_STEP_SUMMARY` as a table, so
none is lost. Paths are the repository's, wherever the step runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from journey.errors import Diagnostic
from journey.repo_paths import repository_relative, repository_root

ANNOTATIONS_PER_SEVERITY = 10


def github_annotations(diagnostics: Sequence[Diagnostic], *, root: Path | None = None) -> str:
    base = root or repository_root()
    return "\n".join(_annotation(d, base) for d in sorted(diagnostics, key=Diagnostic.sort_key))


def beyond_annotation_limit(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Those GitHub will not show: past the first 10 errors, or the first 10 warnings."""
    shown = {"error": 0, "warning": 0}
    hidden = []
    for diagnostic in sorted(diagnostics, key=Diagnostic.sort_key):
        kind = "error" if diagnostic.is_error else "warning"
        shown[kind] += 1
        if shown[kind] > ANNOTATIONS_PER_SEVERITY:
            hidden.append(diagnostic)
    return hidden


def step_summary(diagnostics: Sequence[Diagnostic], *, root: Path | None = None) -> str:
    """Markdown for `$GITHUB_STEP_SUMMARY` listing the diagnostics past the limit ("" if none)."""
    hidden = beyond_annotation_limit(diagnostics)
    if not hidden:
        return ""
    base = root or repository_root()
    lines = [
        f"### journey validate: {len(hidden)} more problem{'s' if len(hidden) != 1 else ''}",
        "",
        f"GitHub shows {ANNOTATIONS_PER_SEVERITY} error and {ANNOTATIONS_PER_SEVERITY} warning "
        "annotations per step; these are the rest.",
        "",
        "| where | severity | code | message |",
        "| --- | --- | --- | --- |",
    ]
    for d in hidden:
        where = f"{repository_relative(d.location.path, base)}:{d.location.line}:{d.location.col}"
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        lines.append(f"| `{where}` | {d.severity} | `{d.code}` | {_cell(message)} |")
    return "\n".join(lines) + "\n"


def write_step_summary(diagnostics: Sequence[Diagnostic]) -> None:
    """Append the summary to `$GITHUB_STEP_SUMMARY` when it is set and there is overflow."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    text = step_summary(diagnostics)
    if target and text:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text)


def _annotation(diagnostic: Diagnostic, root: Path) -> str:
    loc = diagnostic.location
    kind = "error" if diagnostic.is_error else "warning"
    message = diagnostic.message + (f" ({diagnostic.hint})" if diagnostic.hint else "")
    path = repository_relative(loc.path, root)
    return (
        f"::{kind} file={_escape_property(path)},line={loc.line},col={loc.col},"
        f"title={_escape_property(diagnostic.code)}::{_escape_data(message)}"
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")

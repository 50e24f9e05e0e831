"""Diagnostic -> text | json | github annotations | sarif.

One formatter per audience: people read `PATH:LINE:COL: error CODE: message`
with a hint below, tools read JSON, GitHub Actions reads workflow commands
(journey/github.py), code scanning reads SARIF (journey/sarif.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from journey.errors import Diagnostic
from journey.github import github_annotations
from journey.sarif import sarif_log

FORMATS = ("text", "json", "github", "sarif")


def format_diagnostics(diagnostics: Sequence[Diagnostic], fmt: str, *, files: int = 0) -> str:
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    if fmt == "json":
        return json.dumps([as_json(d) for d in ordered], indent=2, ensure_ascii=False)
    if fmt == "github":
        return github_annotations(ordered)
    if fmt == "sarif":
        return json.dumps(sarif_log(ordered), indent=2, ensure_ascii=False)
    lines = [_text(d) for d in ordered]
    lines.append(summary(ordered, files=files))
    return "\n".join(lines)


def as_json(diagnostic: Diagnostic) -> dict[str, object]:
    loc = diagnostic.location
    return {
        "path": loc.path,
        "line": loc.line,
        "col": loc.col,
        "severity": diagnostic.severity,
        "code": diagnostic.code,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
        "json_path": loc.json_path,
    }


def _text(diagnostic: Diagnostic) -> str:
    head = f"{diagnostic.location}: {diagnostic.severity} {diagnostic.code}: {diagnostic.message}"
    return f"{head}\n    hint: {diagnostic.hint}" if diagnostic.hint else head


def summary(diagnostics: Sequence[Diagnostic], *, files: int = 0) -> str:
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    where = f" in {files} file{'s' if files != 1 else ''}" if files else ""
    if not diagnostics:
        return f"ok: no problems{where}"
    return (
        f"{errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}{where}"
    )

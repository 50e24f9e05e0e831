"""Diagnostic -> a SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers.

Every code the run reports becomes a rule with its text from the diagnostics
catalogue (docs/diagnostics.md); locations are relative to the repository root
(`%SRCROOT%`), whatever folder the command runs from.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from journey import __version__
from journey.diagnostic_rules import CATALOGUE_PAGE, Rule, rules
from journey.errors import Diagnostic
from journey.plaintext import plain_text
from journey.repo_paths import repository_relative, repository_root

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif_log(diagnostics: Sequence[Diagnostic], *, root: Path | None = None) -> dict[str, Any]:
    """One run of `journey validate` as a SARIF log object (serialise with json.dumps)."""
    base = root or repository_root()
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    codes = sorted({d.code for d in ordered})
    index = {code: i for i, code in enumerate(codes)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "journey",
                        "semanticVersion": __version__,
                        "rules": [_rule(code) for code in codes],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": base.as_uri() + "/"}},
                "results": [_result(d, index[d.code], base) for d in ordered],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _rule(code: str) -> dict[str, Any]:
    rule = rules().get(code)
    if rule is None:  # a code the catalogue lacks still gets a valid rule
        rule = Rule(code=code, severity="error", problem=f"`{code}`", fix="")
    return {
        "id": code,
        "name": "".join(part.capitalize() for part in code.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": plain_text(rule.problem)},
        "help": {"text": plain_text(rule.help_markdown), "markdown": rule.help_markdown},
        "defaultConfiguration": {"level": rule.severity},
        "properties": {"catalogue": f"{CATALOGUE_PAGE}#{code}"},
    }


def _result(diagnostic: Diagnostic, rule_index: int, root: Path) -> dict[str, Any]:
    loc = diagnostic.location
    message = diagnostic.message + (f"\nHint: {diagnostic.hint}" if diagnostic.hint else "")
    physical: dict[str, Any] = {
        "artifactLocation": {
            "uri": _uri_path(repository_relative(loc.path, root)),
            "uriBaseId": "%SRCROOT%",
        },
        "region": {"startLine": max(loc.line, 1), "startColumn": max(loc.col, 1)},
    }
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": "error" if diagnostic.is_error else "warning",
        "message": {"text": message},
        "locations": [{"physicalLocation": physical}],
    }
    if loc.json_path:
        result["locations"][0]["logicalLocations"] = [
            {"fullyQualifiedName": loc.json_path, "kind": "member"}
        ]
    return result


def _uri_path(path: str) -> str:
    """A relative path as a URI reference: spaces and other reserved characters escaped."""
    return quote(path, safe="/")

"""`journey diff OLD NEW`: what a change to a journey means for contacts in flight.

OLD and NEW are journey files, or `git:REV:PATH` to read a version from git
(`git:REV` alone means NEW's path at REV). Both are validated and compiled;
`journey.plandiff` compares the plans. The Markdown output is meant for a
pull-request comment.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import click

from journey.cli.common import echo_stdout, open_workspace
from journey.compiler import compile_journey
from journey.errors import UsageError
from journey.loader.yaml_loader import load_yaml_bytes
from journey.plandiff import (
    FieldChange,
    PlanDiff,
    diff_plans,
    entry_notes,
    in_flight_consequences,
    show_value,
)
from journey.reporting import format_diagnostics
from journey.validator import validate_document

_MAX_BYTES = 1_048_576


@click.command("diff")
@click.argument("old", type=str)
@click.argument("new", type=str)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.pass_context
def command(ctx: click.Context, old: str, new: str, fmt: str) -> None:
    """Show what changed between two versions of a journey, for contacts in flight.

    OLD/NEW: journey files, or git:REV:PATH (git:REV = NEW's path at REV).
    Exit 0 with the report (also when they differ), 1 if a version is invalid,
    2 for a usage error.
    """
    if new.startswith("git:") and not new.count(":") >= 2:
        raise UsageError("NEW as git:REV needs a path: git:REV:PATH")
    old_label, old_raw = read_version(old, default_path=None if new.startswith("git:") else new)
    new_label, new_raw = read_version(new, default_path=None)
    workspace, problems = open_workspace(ctx, [new, old])
    documents = [load_yaml_bytes(old_raw, old_label), load_yaml_bytes(new_raw, new_label)]
    errors = [d for d in problems if d.is_error]
    for doc in documents:
        errors += [d for d in validate_document(doc, workspace, templates=False) if d.is_error]
    if errors:
        click.echo(format_diagnostics(errors, "text", files=2), err=True)
        ctx.exit(1)
    old_plan, new_plan = (compile_journey(doc, workspace) for doc in documents)
    diff = diff_plans(old_plan, new_plan)
    if fmt == "json":
        echo_stdout(json.dumps(as_json(diff, old_label, new_label), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        echo_stdout(as_markdown(diff, old_label, new_label))
    else:
        echo_stdout(as_text(diff, old_label, new_label))


# ------------------------------------------------------------------------ reading


def read_version(spec: str, *, default_path: str | None) -> tuple[str, bytes]:
    """(label for messages, file bytes) of a path or a `git:REV[:PATH]` spec."""
    if not spec.startswith("git:"):
        path = Path(spec)
        if not path.is_file():
            raise UsageError(f"no such file: {spec}")
        return spec, _bounded(path.read_bytes()[: _MAX_BYTES + 1], spec)
    rev, _, path_text = spec[len("git:") :].partition(":")
    if not path_text:
        if default_path is None:
            raise UsageError(f"{spec}: give the path too, as git:REV:PATH")
        path_text = default_path
    if not rev:
        raise UsageError(f"{spec}: give a git revision, as git:REV:PATH")
    return f"git:{rev}:{path_text}", _git_show(rev, Path(path_text))


def _git_show(rev: str, path: Path) -> bytes:
    cwd = Path.cwd()
    if path.is_absolute():
        top = _git(["rev-parse", "--show-toplevel"], path.parent if path.parent.is_dir() else cwd)
        cwd = Path(top.decode().strip())
        object_name = f"{rev}:{path.relative_to(cwd).as_posix()}"
    else:
        object_name = f"{rev}:./{path.as_posix()}"
    return _bounded(_git(["show", object_name], cwd), f"git:{rev}:{path}")


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=30, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed; give OLD as a file") from None
    except (subprocess.TimeoutExpired, OSError) as exc:
        raise UsageError(f"git {' '.join(args)} failed: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args)}: {message[0] if message else 'failed'}")
    return done.stdout


def _bounded(raw: bytes, label: str) -> bytes:
    if len(raw) > _MAX_BYTES:
        raise UsageError(f"{label} is larger than {_MAX_BYTES:,} bytes; is it a journey file?")
    return raw


# ------------------------------------------------------------------------ formats


def as_json(diff: PlanDiff, old_label: str, new_label: str) -> dict[str, Any]:
    def changes(items: tuple[FieldChange, ...]) -> list[dict[str, Any]]:
        return [{"field": c.field, "old": c.old, "new": c.new} for c in items]

    return {
        "journey_id": diff.journey_id,
        "old": {"source": old_label, "plan_hash": diff.old_hash, "on_change": diff.old_on_change},
        "new": {"source": new_label, "plan_hash": diff.new_hash, "on_change": diff.on_change},
        "behaviour_changed": diff.behaviour_changed,
        "rules": changes(diff.rules),
        "descriptive": changes(diff.descriptive),
        "steps": [
            {
                "id": s.step_id,
                "change": s.change,
                "kind": s.kind,
                **({"old_kind": s.old_kind} if s.old_kind and s.old_kind != s.kind else {}),
                "fields": changes(s.fields),
            }
            for s in diff.steps
        ],
        "in_flight": [_plain(note) for note in in_flight_consequences(diff)],
        "new_entrants": [_plain(note) for note in entry_notes(diff)],
    }


def as_text(diff: PlanDiff, old_label: str, new_label: str) -> str:
    verdict = "behaviour changed" if diff.behaviour_changed else "same behaviour"
    lines = [
        f"journey {diff.journey_id}: {verdict} (plan {diff.old_hash[:12]} -> {diff.new_hash[:12]})",
        f"  old: {old_label}",
        f"  new: {new_label}",
    ]
    if diff.identical:
        lines.append("no differences")
    if diff.rules or diff.descriptive:
        lines += ["", "journey"]
        lines += [f"  ~ {_field_line(c)}" for c in (*diff.rules, *diff.descriptive)]
    if diff.steps:
        lines += ["", "steps"]
        marks = {"added": "+", "removed": "-", "changed": "~"}
        for step in diff.steps:
            lines.append(f"  {marks[step.change]} {step.change:<7} {step.step_id} ({_kind(step)})")
            lines += [f"      {_field_line(c)}" for c in step.fields]
    lines += ["", f"contacts in flight (on_change: {diff.on_change})"]
    lines += [f"  - {_plain(note)}" for note in in_flight_consequences(diff)]
    entering = entry_notes(diff)
    if entering:
        lines += ["", "new entrants"]
        lines += [f"  - {_plain(note)}" for note in entering]
    return "\n".join(lines)


def as_markdown(diff: PlanDiff, old_label: str, new_label: str) -> str:
    verdict = "behaviour changed" if diff.behaviour_changed else "no behaviour change"
    counts = {kind: len(diff.steps_by(kind)) for kind in ("added", "removed", "changed")}
    lines = [
        f"### Journey `{diff.journey_id}`: {verdict}",
        "",
        "| | old | new |",
        "| --- | --- | --- |",
        f"| source | `{_cell(old_label)}` | `{_cell(new_label)}` |",
        f"| plan hash | `{diff.old_hash[:12]}` | `{diff.new_hash[:12]}` |",
        f"| on_change | {diff.old_on_change} | {diff.on_change} |",
        f"| steps | {diff.old_step_count} | {diff.new_step_count} |",
        "",
        f"**Steps:** {counts['added']} added, {counts['removed']} removed, "
        f"{counts['changed']} changed. **Journey rules changed:** {len(diff.rules)}.",
    ]
    if diff.steps:
        lines += ["", "#### Steps", ""]
        for step in diff.steps:
            lines.append(f"- **{step.change}** `{step.step_id}` ({_kind(step)})")
            lines += [f"  - {_field_md(c)}" for c in step.fields]
    if diff.rules or diff.descriptive:
        lines += ["", "#### Journey", ""]
        lines += [f"- {_field_md(c)}" for c in (*diff.rules, *diff.descriptive)]
    lines += ["", "#### Contacts in flight", ""]
    lines += [f"- {note}" for note in in_flight_consequences(diff)]
    entering = entry_notes(diff)
    if entering:
        lines += ["", "#### New entrants", ""]
        lines += [f"- {note}" for note in entering]
    return "\n".join(lines)


def _kind(step: Any) -> str:
    if step.old_kind and step.old_kind != step.kind:
        return f"{step.old_kind} -> {step.kind}"
    return str(step.kind)


def _field_line(change: FieldChange) -> str:
    return f"{change.field}: {show_value(change.old)} -> {show_value(change.new)}"


def _field_md(change: FieldChange) -> str:
    old, new = _code(show_value(change.old)), _code(show_value(change.new))
    return f"`{change.field}`: {old} → {new}"


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _plain(note: str) -> str:
    return note.replace("`", "")

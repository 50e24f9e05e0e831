"""`journey status`: per journey and step, what happened to contacts (read from the store).

Safe while the daemon runs (SQLite WAL readers do not block it). Journeys no
longer on disk but with enrollments in the store are shown too.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from journey.cli.common import echo_stdout, workspace_root
from journey.errors import JourneyError
from journey.model import Plan
from journey.store.abc import JourneyCounts
from journey.store.sqlite import SQLiteStore

STEP_COLUMNS = ("sent", "suppressed", "capped", "failed", "dead_lettered", "parked")
# Delivery states that wait for an operator, and the command that sends them again.
_WAITING = {"parked": "--parked", "unconfirmed": "--unconfirmed"}


@click.command("status")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="State store to read (default: the workspace's).",
)
@click.pass_context
def command(ctx: click.Context, fmt: str, database: Path | None) -> None:
    """Per journey and step: entered, waiting, sent, suppressed, capped, failed, dead-lettered,
    converted, and exits by reason."""
    plans, database_path = _plans_and_database(workspace_root(ctx))
    path = database or database_path
    if not path.exists():
        echo_stdout(json.dumps({"journeys": []}) if fmt == "json" else f"no state yet ({path})")
        ctx.exit(0)
    store = SQLiteStore(path)
    try:
        ids = list(plans) + sorted(set(store.journey_ids()) - set(plans))
        rows = [_journey_report(store.journey_counts(j), plans.get(j)) for j in ids]
    finally:
        store.close()
    if fmt == "json":
        echo_stdout(json.dumps({"database": str(path), "journeys": rows}, indent=2))
    else:
        echo_stdout(render_table(rows, path))
    ctx.exit(0)


def _plans_and_database(root: Path) -> tuple[dict[str, Plan], Path]:
    from journey.daemon.catalog import PlanCatalog

    catalog = PlanCatalog(root)
    try:
        catalog.load()
    except JourneyError:
        from journey.workspace import load_workspace

        return {}, load_workspace(root)[0].database_path
    return dict(sorted(catalog.plans.items())), catalog.workspace_or_fail.database_path


def _journey_report(counts: JourneyCounts, plan: Plan | None) -> dict[str, Any]:
    order = [s.id for s in plan.steps] if plan else []
    step_ids = [s for s in order if s in counts.steps] + sorted(set(counts.steps) - set(order))
    steps = []
    for step_id in step_ids:
        step = counts.steps[step_id]
        row: dict[str, Any] = {"step": step_id, "entered": step.entered, "waiting": step.waiting}
        for column in STEP_COLUMNS:
            row[column] = step.outcomes.get(column, 0)
        row["other"] = {k: v for k, v in step.outcomes.items() if k not in STEP_COLUMNS}
        row["exited"] = dict(sorted(step.exited.items()))
        steps.append(row)
    report = asdict(counts)
    report.pop("steps")
    report["status"] = plan.status if plan else "removed"
    report["plan_hash"] = plan.plan_hash[:12] if plan else None
    report["steps"] = steps
    return report


def render_table(rows: list[dict[str, Any]], database: Path) -> str:
    if not rows:
        return f"no journeys have run yet ({database})"
    lines = []
    for row in rows:
        lines.append(
            f"{row['journey_id']}  [{row['status']}]  entered {row['entered']}  "
            f"active {row['active']}  converted {row['converted']}"
        )
        lines.append("  exited:     " + _pairs(row["exited"]))
        lines.append("  deliveries: " + _pairs(row["deliveries"]))
        for state, flag in _WAITING.items():
            if row["deliveries"].get(state):
                lines.append(
                    f"  {row['deliveries'][state]} {state}: send again with"
                    f" `journey deliveries requeue {flag}`"
                )
        header = ("step", "entered", "waiting", *STEP_COLUMNS, "exited here")
        table = [header] + [
            (*(str(step[c]) for c in header[:-1]), _pairs(step["exited"])) for step in row["steps"]
        ]
        widths = [max(len(r[i]) for r in table) for i in range(len(header))]
        for cells in table:
            cells_text = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
            lines.append(("  " + cells_text).rstrip())
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _pairs(values: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(values.items())) or "-"

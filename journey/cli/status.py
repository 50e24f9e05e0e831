"""`journey status`: per journey and step, what happened to contacts (read from the store).

Safe while the daemon runs (SQLite WAL readers do not block it). Journeys no
longer on disk but with enrollments in the store are shown too.
"""

from __future__ import annotations

import json
from typing import Any

import click

from journey.cli.common import DATABASE_OPTION, echo_stdout, workspace_root
from journey.status_report import STEP_COLUMNS, plans_and_database, status_rows, worker_report
from journey.store.url import shown, store_exists

# Delivery states that wait for an operator, and the command that sends them again.
_WAITING = {"parked": "--parked", "unconfirmed": "--unconfirmed"}


@click.command("status")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@DATABASE_OPTION
@click.pass_context
def command(ctx: click.Context, fmt: str, database: str | None) -> None:
    """Per journey and step: entered, waiting, sent, suppressed, capped, failed, dead-lettered,
    converted, and exits by reason."""
    plans, location = plans_and_database(workspace_root(ctx), database)
    where = shown(location)
    if not store_exists(location):
        echo_stdout(json.dumps({"journeys": []}) if fmt == "json" else f"no state yet ({where})")
        ctx.exit(0)
    rows = status_rows(plans, location)
    workers = worker_report(location)
    if fmt == "json":
        shown_workers = {"workers": workers} if workers is not None else {}
        echo_stdout(json.dumps({"database": where, **shown_workers, "journeys": rows}, indent=2))
    else:
        echo_stdout((render_workers(workers) if workers else "") + render_table(rows, where))
    ctx.exit(0)


def render_table(rows: list[dict[str, Any]], database: str) -> str:
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
        for decision in row.get("split_decisions", ()):
            lines.append(
                f"  auto-winner of split `{decision['step']}` ({decision['decided_at']}): "
                f"{decision['decision']}"
            )
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
        for step in row["steps"]:
            for why, number in step.get("why", {}).items():
                lines.append(f"  {step['step']}: {number} {why}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_workers(report: dict[str, Any]) -> str:
    """Workers on a PostgreSQL store: shards held, lease age and time left, last heartbeat."""
    lines = [f"workers ({report['shards']} shards, {report['unheld_shards']} unheld)"]
    for worker in report["workers"]:
        state = "live" if worker["live"] else "gone"
        shards = len(worker["shards"])
        lease = (
            f"  lease renewed {worker['lease_age_seconds']}s ago,"
            f" {worker['lease_left_seconds']}s left"
            if shards
            else ""
        )
        lines.append(
            f"  {worker['worker']}  [{state}]  {shards} shards"
            f"  heartbeat {worker['heartbeat_age_seconds']}s ago{lease}"
        )
    return "\n".join(lines) + "\n\n"


def _pairs(values: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(values.items())) or "-"

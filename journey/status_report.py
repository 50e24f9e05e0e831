"""What `journey status` reports: per journey and step, read from a store, as plain rows.

The CLI prints these rows as a table or JSON; the Python API returns them.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from journey.errors import JourneyError
from journey.model import Plan
from journey.store.abc import JourneyCounts
from journey.store.url import open_store, store_exists

STEP_COLUMNS = ("sent", "suppressed", "capped", "failed", "dead_lettered", "parked")


def plans_and_database(root: Path, given: str | Path | None = None) -> tuple[dict[str, Plan], str]:
    """The workspace's valid plans by journey id, and its store's location (see store_url)."""
    from journey.daemon.catalog import PlanCatalog

    catalog = PlanCatalog(root)
    try:
        catalog.load()
    except JourneyError:
        from journey.workspace import load_workspace

        return {}, load_workspace(root)[0].store_url(given)
    plans = dict(sorted(catalog.plans.items()))
    return plans, catalog.workspace_or_fail.store_url(given)


def status_rows(plans: dict[str, Plan], database: str | Path) -> list[dict[str, Any]]:
    """One row per journey in `plans` or in the store (removed journeys last); [] if no store."""
    if not store_exists(database):
        return []
    store = open_store(database)
    try:
        ids = list(plans) + sorted(set(store.journey_ids()) - set(plans))
        rows = [journey_report(store.journey_counts(j), plans.get(j)) for j in ids]
        for row in rows:
            row["split_decisions"] = [
                {
                    "step": d.step_id,
                    "decided_at": d.decided_at.isoformat(),
                    "winner": d.winner,
                    "decision": d.figures.get("decision"),
                }
                for d in store.split_decisions(row["journey_id"])
            ]
        return rows
    finally:
        store.close()


def worker_report(database: str | Path) -> dict[str, Any] | None:
    """PostgreSQL: the workers, their shards and lease ages; None for a SQLite store."""
    if not store_exists(database):
        return None
    store = open_store(database)
    try:
        leases = getattr(store, "worker_leases", None)
        return leases() if leases is not None else None
    finally:
        store.close()


def journey_report(counts: JourneyCounts, plan: Plan | None) -> dict[str, Any]:
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
        row["why"] = dict(sorted(step.details.items()))  # channels chosen, sends skipped
        steps.append(row)
    report = asdict(counts)
    report.pop("steps")
    report["status"] = plan.status if plan else "removed"
    report["plan_hash"] = plan.plan_hash[:12] if plan else None
    report["steps"] = steps
    return report

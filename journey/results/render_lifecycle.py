"""The lifecycle figures of the report as text and CSV rows: churn, retention, lifetime value."""

from __future__ import annotations

from typing import Any


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def per_contact(value: dict[str, Any]) -> str:
    amounts = value["per_contact"]
    shown = ", ".join(f"{c} {v:,.2f}" for c, v in amounts.items()) or "nothing"
    return f"{shown} per contact ({value['contacts']} contacts past {value['days']}d)"


def churn_line(churn: dict[str, Any]) -> str:
    period = churn["period"]
    return (
        f"churn ({churn['rule']}; {period['from'][:10]} to {period['to'][:10]}): "
        f"{churn['churned']} of {churn['contacts']} contacts churned "
        f"({percent(churn['churn_rate'])}), {churn['inactive_at_end']} inactive at the end"
    )


def journey_lines(journey: dict[str, Any]) -> list[str]:
    """Lines under a journey's headline: churn, lifetime value, retention by week of entry."""
    lines = []
    if journey.get("churn"):
        lines.append("  " + churn_line(journey["churn"]))
    value = journey.get("lifetime_value")
    if value is not None:
        lines.append(f"  lifetime value: {per_contact(value)}, {value['not_yet']} not yet")
    rows = journey.get("retention") or []
    if rows:
        lines.append(
            f"  retention: share active in week 1, 2, … since entry, "
            f"per week of entry (weeks in {journey.get('weeks_in', 'UTC')})"
        )
        for row in rows:
            shares = " ".join(f"{100 * s:.0f}%" for s in row["active_by_week"]) or "-"
            lines.append(f"    {row['week']} ({row['entered']}): {shares}")
    return lines


def split_value_line(split: dict[str, Any]) -> str | None:
    arms = [a for a in split["arms"] if a.get("lifetime_value")]
    if not arms:
        return None
    days = arms[0]["lifetime_value"]["days"]
    parts = [
        f"{a['name']} "
        + (", ".join(f"{c} {v:,.2f}" for c, v in a["lifetime_value"]["per_contact"].items()) or "-")
        for a in arms
    ]
    return f"    lifetime value per contact ({days}d): " + "; ".join(parts)


def csv_money(amounts: dict[str, float]) -> str:
    return "; ".join(f"{currency} {value:.2f}" for currency, value in amounts.items())


def csv_figures(entry: dict[str, Any]) -> dict[str, Any]:
    """The churn and lifetime-value cells of a journey, arm or stage row."""
    cells: dict[str, Any] = {}
    if entry.get("churn"):
        cells.update(churned=entry["churn"]["churned"], churn_rate=entry["churn"]["churn_rate"])
    if entry.get("lifetime_value"):
        cells["lifetime_value_per_contact"] = csv_money(entry["lifetime_value"]["per_contact"])
    return cells


def csv_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """A `retention` row per journey, week of entry and week since; a `stage` row per stage."""
    rows = []
    for journey in report["journeys"]:
        for cohort in journey.get("retention") or []:
            for n, share in enumerate(cohort["active_by_week"], start=1):
                rows.append(
                    {
                        "journey": journey["id"],
                        "row": "retention",
                        "entered": cohort["entered"],
                        "week": cohort["week"],
                        "weeks_since": n,
                        "active_share": share,
                    }
                )
    for stage in report["stages"]:
        rows.append(
            {
                "row": "stage",
                "step": stage["stage"],
                "entered": stage["entered"],
                "sent": stage["sent"],
                "converted": stage["converted"],
                "conversion_rate": stage["conversion_rate"],
                "revenue": csv_money(stage["revenue"]),
                **csv_figures(stage),
            }
        )
    return rows

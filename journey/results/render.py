"""The report as text: a table for people, CSV rows for spreadsheets (JSON is the data itself)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from journey.results import render_lifecycle

CSV_COLUMNS = (
    "journey",
    "row",
    "step",
    "arm",
    "entered",
    "sent",
    "opened",
    "clicked",
    "converted",
    "conversion_rate",
    "interval_low",
    "interval_high",
    "difference",
    "difference_low",
    "difference_high",
    "method",
    "p_value",
    "always_valid_p",
    "revenue",
    "churned",
    "churn_rate",
    "lifetime_value_per_contact",
    "week",
    "weeks_since",
    "active_share",
)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def points(value: float) -> str:
    return f"{100 * value:+.1f} pts"


def money(amounts: dict[str, float]) -> str:
    return ", ".join(f"{currency} {value:,.2f}" for currency, value in amounts.items()) or "-"


def render_table(report: dict[str, Any]) -> str:
    level = f"{round(100 * report['confidence'])}%"
    lines: list[str] = []
    for journey in report["journeys"]:
        lines += _journey_lines(journey, level)
        lines.append("")
    if report["stages"]:
        lines.append("per lifecycle stage (journey kind)")
        header = ("stage", "journeys", "entered", "converted", "rate", "sent", "revenue", "churned")
        rows = [
            (
                stage["stage"],
                str(len(stage["journeys"])),
                str(stage["entered"]),
                str(stage["converted"]),
                percent(stage["conversion_rate"]),
                str(stage["sent"]),
                money(stage["revenue"]),
                _churned(stage.get("churn")),
            )
            for stage in report["stages"]
        ]
        lines += [*_table(header, rows, indent="  "), ""]
    if report.get("churn_rule"):
        period = report["period"]
        lines.append(
            f"churn rule: {report['churn_rule']}; period {period['from']} to {period['to']}"
        )
    if report.get("programme"):
        lines.append(_programme_line(report["programme"], level))
    lines += [f"survey {name}: {_survey(row)}" for name, row in report["surveys"].items()]
    summary = report["conversion_events"]
    if summary["declared"]:
        lines.append(
            f"conversion events ({', '.join(summary['declared'])}, window {report['window']}): "
            f"{summary['total']}, credited to a message {summary['attributed']}, "
            f"not attributed {summary['unattributed']} ({money(summary['unattributed_revenue'])})"
        )
    return "\n".join(lines).rstrip() + "\n"


def _journey_lines(journey: dict[str, Any], level: str) -> list[str]:
    low, high = journey["interval"]
    lines = [
        f"{journey['id']}  {journey['name']}  [{journey['status']}]",
        f"  conversion: {journey['conversion']}",
        f"  entered {journey['entered']}  converted {journey['converted']} "
        f"({percent(journey['conversion_rate'])}, {level} interval {percent(low)} to "
        f"{percent(high)})  revenue {money(journey['revenue'])}",
        f"  sent {journey['sent']}  opened {journey['opened']}  clicked {journey['clicked']}  "
        f"unsubscribed {journey['unsubscribed']} ({percent(journey['unsubscribe_rate'])})",
        f"  credited last touch: {journey['attributed']['conversions']} conversion events, "
        f"revenue {money(journey['attributed']['revenue'])}",
    ]
    for name, row in journey["surveys"].items():
        lines.append(f"  survey {name}: {_survey(row)}")
    lines += render_lifecycle.journey_lines(journey)
    holdout = journey["holdout"]
    if holdout is not None:
        d_low, d_high = holdout["interval"]
        lines.append(
            f"  uplift over the holdout (split `{holdout['step']}`): "
            f"{percent(holdout['treated']['conversion_rate'])} treated vs "
            f"{percent(holdout['holdout']['conversion_rate'])} held out = "
            f"{points(holdout['difference'])} ({level} interval {points(d_low)} to "
            f"{points(d_high)}), {_method(holdout['method'])} p {holdout['p_value']:.3g}"
        )
    header: tuple[str, ...] = ("step", "kind", "entered", "sent", "opened", "clicked", "goals")
    header += ("conversions", "revenue")
    rows = [
        (
            s["step"],
            s["kind"] or "-",
            str(s["entered"]),
            str(s["sent"]),
            str(s["opened"]),
            str(s["clicked"]),
            str(s["goal_conversions"]),
            str(s["conversions"]),
            money(s["revenue"]),
        )
        for s in journey["steps"]
    ]
    lines += _table(header, rows, indent="  ")
    for split in journey["splits"]:
        lines += _split_lines(split, level)
    return lines


def _split_lines(split: dict[str, Any], level: str) -> list[str]:
    what = "variants of send" if split.get("of") == "send" else "split"
    lines = [f"  {what} `{split['step']}` (compared with `{split['reference']}`)"]
    header = ("arm", "entered", "converted", "rate", f"{level} interval", "sent", "difference", "p")
    rows = []
    for arm in split["arms"]:
        low, high = arm["interval"]
        versus = arm.get("vs_reference")
        difference = p_value = "-"
        if versus is not None:
            d_low, d_high = versus["interval"]
            difference = f"{points(versus['difference'])} ({points(d_low)} to {points(d_high)})"
            p_value = f"{versus['p_value']:.3g} ({_method(versus['method'])})"
        name = arm["name"] + (" (holdout)" if arm["holdout"] else "")
        rows.append(
            (
                name,
                str(arm["entered"]),
                str(arm["converted"]),
                percent(arm["conversion_rate"]),
                f"{percent(low)} to {percent(high)}",
                str(arm["sent"]),
                difference,
                p_value,
            )
        )
    lines += _table(header, rows, indent="    ")
    lines.append(f"    decision: {split['test']['decision']}")
    if split.get("auto_winner"):
        lines.append(f"    auto-winner: {auto_winner_text(split['auto_winner'])}")
    value_line = render_lifecycle.split_value_line(split)
    if value_line:
        lines.append(value_line)
    return lines


def _churned(churn: dict[str, Any] | None) -> str:
    if not churn:
        return "-"
    return f"{churn['churned']} of {churn['contacts']} ({percent(churn['churn_rate'])})"


def auto_winner_text(entry: dict[str, Any]) -> str:
    """The split's auto-winner in one line: what it waits for, or what it decided and did."""
    declared = entry["declared"] or {}
    when = " or ".join(
        part
        for part in (
            f"{declared['after']} after the first entrant" if declared.get("after") else "",
            f"{declared['sample']} entrants" if declared.get("sample") else "",
        )
        if part
    )
    if not entry["decided"]:
        return f"on {declared.get('metric')}, deciding once at {when}; not decided yet"
    figures = entry["figures"] or {}
    text = f"decided {entry['decided_at']} ({figures.get('reason', '')}): "
    if entry["winner"] is None:
        return text + "no winner, the split goes on as declared"
    return text + f"`{entry['winner']}` wins; {entry['after_decision']} later entrants went to it"


def _programme_line(programme: dict[str, Any], level: str) -> str:
    """The workspace's holdout group against everyone else: what marketing adds."""
    held, reached = programme["held_out"], programme["reached"]
    low, high = programme["interval"]
    return (
        f"programme lift over the holdout group ({programme['percent']:g}% of contacts): "
        f"{percent(reached['conversion_rate'])} of {reached['contacts']} reached vs "
        f"{percent(held['conversion_rate'])} of {held['contacts']} held out = "
        f"{points(programme['difference'])} ({level} interval {points(low)} to {points(high)}), "
        f"{_method(programme['method'])} p {programme['p_value']:.3g}"
    )


def _survey(row: dict[str, Any]) -> str:
    if not row["responses"]:
        return "no answers credited"
    if row["kind"] == "nps":
        return (
            f"{row['responses']} answers, NPS {row['nps']:+.0f} ({row['promoters']} promoters, "
            f"{row['passives']} passives, {row['detractors']} detractors)"
        )
    return f"{row['responses']} answers, CSAT {percent(row['csat'])} satisfied"


def _method(method: str) -> str:
    return {"fisher_exact": "Fisher", "two_proportion_z": "z-test"}.get(method, method)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, indent: str) -> list[str]:
    table = [header, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    return [
        (indent + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))).rstrip()
        for cells in table
    ]


def render_csv(report: dict[str, Any]) -> str:
    """One row per journey, step and arm; empty cells where a figure does not apply."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for journey in report["journeys"]:
        low, high = journey["interval"]
        writer.writerow(
            {
                "journey": journey["id"],
                "row": "journey",
                "entered": journey["entered"],
                "sent": journey["sent"],
                "opened": journey["opened"],
                "clicked": journey["clicked"],
                "converted": journey["converted"],
                "conversion_rate": journey["conversion_rate"],
                "interval_low": low,
                "interval_high": high,
                "revenue": _csv_money(journey["revenue"]),
                **render_lifecycle.csv_figures(journey),
            }
        )
        for step in journey["steps"]:
            writer.writerow(
                {
                    "journey": journey["id"],
                    "row": "step",
                    "step": step["step"],
                    "entered": step["entered"],
                    "sent": step["sent"],
                    "opened": step["opened"],
                    "clicked": step["clicked"],
                    "converted": step["conversions"],
                    "revenue": _csv_money(step["revenue"]),
                }
            )
        for split in journey["splits"]:
            for arm in split["arms"]:
                writer.writerow(_arm_row(journey["id"], split["step"], arm))
    for row in render_lifecycle.csv_rows(report):
        writer.writerow(row)
    return out.getvalue()


def _arm_row(journey_id: str, step: str, arm: dict[str, Any]) -> dict[str, Any]:
    low, high = arm["interval"]
    row = {
        "journey": journey_id,
        "row": "holdout" if arm["holdout"] else "arm",
        "step": step,
        "arm": arm["name"],
        "entered": arm["entered"],
        "sent": arm["sent"],
        "opened": arm["opened"],
        "clicked": arm["clicked"],
        "converted": arm["converted"],
        "conversion_rate": arm["conversion_rate"],
        "interval_low": low,
        "interval_high": high,
        "revenue": _csv_money(arm["revenue"]),
        **render_lifecycle.csv_figures(arm),
    }
    versus = arm.get("vs_reference")
    if versus is not None:
        row.update(
            difference=versus["difference"],
            difference_low=versus["interval"][0],
            difference_high=versus["interval"][1],
            method=versus["method"],
            p_value=versus["p_value"],
            always_valid_p=versus["always_valid_p"],
        )
    return row


def _csv_money(amounts: dict[str, float]) -> str:
    return "; ".join(f"{currency} {value:.2f}" for currency, value in amounts.items())

"""How `journey simulate` prints a report: the JSON document and the plain-text table."""

from __future__ import annotations

import json
from collections import Counter

from journey.engine.simulation import SimulationReport
from journey.results.render import percent
from journey.store.abc import StepCounts

SAMPLE_CONTACTS = 5  # contacts whose messages the table shows in full


def _steps_in_plan_order(report: SimulationReport) -> list[tuple[str, StepCounts]]:
    """The journey's own step order reads like the YAML; the store groups alphabetically."""
    steps = report.counts.steps if report.counts else {}
    order = {step_id: n for n, step_id in enumerate(report.step_order)}
    return sorted(steps.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def render_json(report: SimulationReport) -> str:
    counts = report.counts
    return json.dumps(
        {
            "journey": report.journey_id,
            "start": report.start.isoformat(),
            "end": report.end.isoformat(),
            "contacts": report.contacts,
            "timeline": [
                {
                    "at": r.at.isoformat(),
                    "local": r.local,
                    "contact": r.contact_id,
                    "what": r.kind,
                    "step": r.step_id,
                    "locale": r.locale,
                    "channel": r.channel,
                    "detail": r.detail,
                }
                for r in report.timeline
            ],
            "steps": {
                step_id: {
                    "entered": step.entered,
                    "waiting": step.waiting,
                    "outcomes": step.outcomes,
                }
                for step_id, step in _steps_in_plan_order(report)
            },
            "entered": counts.entered if counts else 0,
            "converted": counts.converted if counts else 0,
            "exited": counts.exited if counts else {},
            "sends_per_day": report.sends_per_day,
            "rendered_contacts": report.rendered_contacts,
            "timeline_rows": report.timeline_rows,
            "timeline_contacts": report.timeline_contacts,
            "matched_at_start": report.matched_at_start,
            "splits": report.splits,
        },
        indent=2,
        ensure_ascii=False,
    )


def render_table(report: SimulationReport) -> str:
    lines = [
        f"{report.journey_id}: {report.contacts} contacts, "
        f"{report.start.isoformat()} -> {report.end.isoformat()}",
        "",
        "Timeline (contact-local time)",
    ]
    sample: list[str] = []
    rendered = report.rendered_ids
    for row in report.timeline:
        if rendered is not None and row.contact_id not in rendered:
            continue  # their rows carry placeholders, not the message
        if row.contact_id not in sample and len(sample) < SAMPLE_CONTACTS:
            sample.append(row.contact_id)
    chosen = set(sample)
    shown = sorted(
        (r for r in report.timeline if r.contact_id in chosen),
        key=lambda r: (sample.index(r.contact_id), r.at),
    )
    if len(chosen) < len({r.contact_id for r in report.timeline}):
        lines[-1] += f", the first {len(chosen)} contacts"
    for r in shown:
        what = f"{r.kind} {r.step_id}".ljust(30)
        extra = " ".join(x for x in (r.channel, r.locale) if x)
        lines.append(f"  {r.local:<24} {r.contact_id:<12} {what} {extra:<14} {r.detail}")
    if len(report.timeline) > len(shown):
        kept = "has all" if report.timeline_rows == len(report.timeline) else "has more"
        lines.append(f"  … {report.timeline_rows - len(shown)} more rows (--format json {kept})")
    elif report.timeline_rows > len(shown):
        lines.append(f"  … {report.timeline_rows - len(shown)} more rows")
    counts = report.counts
    if counts is not None:
        lines += ["", "Per step", f"  {'step':<28} {'entered':>8} {'waiting':>8}  outcomes"]
        for step_id, step in _steps_in_plan_order(report):
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(step.outcomes.items()))
            lines.append(f"  {step_id:<28} {step.entered:>8} {step.waiting:>8}  {outcomes}")
        exits = ", ".join(f"{k} {v}" for k, v in sorted(counts.exited.items())) or "none"
        lines += [
            "",
            f"Entered {counts.entered}, converted {counts.converted}, "
            f"in flight {counts.active}; exited: {exits}",
        ]
        if report.matched_at_start:
            lines.append(
                f"{report.matched_at_start} contacts matched the segment already at the start "
                "and stay out, as they would in production; `include_existing: true` on the "
                "trigger lets them in."
            )
        if counts.entered == 0 and report.matched_at_start:
            lines.append(
                "Nobody entered: nobody started to match during the window. A condition on "
                "contact attributes changes only when the contact does, and the contacts "
                "file is not updated during a simulation."
            )
        elif counts.entered == 0:
            lines.append(
                "Nobody entered: the trigger (and its `where`) or the `audience` matched no "
                "contact in this window; check them against the contacts' attributes "
                "(with --enter-all the trigger event's properties are its declared example "
                "and each contact's attributes)."
            )
    lines += error_reasons(report)
    for split in report.splits:
        what = "Variants of send" if split.get("of") == "send" else "Split"
        lines += ["", f"{what} `{split['step']}` per arm"]
        for arm in split["arms"]:
            low, high = arm["interval"]
            label = arm["name"] + (" (holdout)" if arm["holdout"] else "")
            lines.append(
                f"  {label:<28} entered {arm['entered']:>6}  sent {arm['sent']:>6}  "
                f"converted {arm['converted']:>6} ({percent(arm['conversion_rate'])}, "
                f"95% interval {percent(low)} to {percent(high)})"
            )
    if report.rendered_contacts is not None:
        lines += [
            "",
            f"Messages were rendered for the first {report.rendered_contacts} contacts; "
            "--render-all renders every one.",
        ]
        if any(row.kind == "fail" and _is_render_failure(row.detail) for row in report.timeline):
            lines.append(
                "Some of them failed to render (why is below); the other contacts' messages "
                "were not rendered, so the same failure may stop more of them than these "
                "counts say: run with --render-all to count every failure."
            )
    lines += ["", "Sends per day"]
    peak = max(report.sends_per_day.values(), default=0)
    for day, number in report.sends_per_day.items():
        bar = "#" * (round(40 * number / peak) if peak else 0)
        lines.append(f"  {day} {number:>7} {bar}")
    if not report.sends_per_day:
        lines.append("  (no sends)")
    return "\n".join(lines)


_TEMPLATE_FILES = (".txt", ".html", ".md", ".mjml", ".json")


def _is_render_failure(detail: str) -> bool:
    """A failure at a template's line (`templates/cart/reminder/body.txt:3: …`)."""
    return detail.split(":", 1)[0].endswith(_TEMPLATE_FILES)


def error_reasons(report: SimulationReport) -> list[str]:
    """Why contacts exited with `error`: each failure (step, template line or expression,
    error) with how many contacts it stopped, most first."""
    reasons = Counter(
        f"step {r.step_id} failed: {r.detail}" for r in report.timeline if r.kind == "fail"
    )
    if not reasons:
        return []
    lines = ["", "Why contacts exited with error"]
    lines += [f"  {count:>6} × {reason}" for reason, count in reasons.most_common()]
    return lines

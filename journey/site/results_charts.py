"""Inline SVG charts for a journey's results page: funnel, arms with intervals, days, cohorts.

Each function takes one journey of the report (journey.results.report) and
returns markup with every text escaped; the page embeds it as is, so the site
needs no script and no CDN to show a chart. Colours come from site.css classes.
"""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

WIDTH = 760
LABEL = 190  # px left of the bars for their labels
ROW = 26


def _svg(height: float, title: str, body: list[str], css: str) -> Markup:
    return Markup(
        f'<svg class="chart {css}" viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" '
        f'height="{height:.0f}" role="img"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start", css: str = "axis") -> str:
    return (
        f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def funnel(journey: dict[str, Any]) -> Markup:
    """Per step: contacts who entered it (bar) and messages sent there (inner bar)."""
    steps = [s for s in journey["steps"] if s["entered"] or s["sent"]]
    top = max([journey["entered"], *(s["entered"] for s in steps)], default=0) or 1
    span = WIDTH - LABEL - 60
    body = []
    for row, step in enumerate(steps):
        y = 10 + row * ROW
        entered = span * step["entered"] / top
        sent = span * step["sent"] / top
        label = f"{step['step']}: entered {step['entered']}, sent {step['sent']}"
        body.append(_text(LABEL - 8, y + 15, step["step"], "end"))
        body.append(
            f'<rect class="bar entered" x="{LABEL}" y="{y}" width="{entered:.1f}" height="20"'
            f' data-step="{escape(step["step"])}"><title>{escape(label)}</title></rect>'
        )
        if step["sent"]:
            body.append(
                f'<rect class="bar sent" x="{LABEL}" y="{y + 6}" width="{sent:.1f}" height="8">'
                f"<title>{escape(label)}</title></rect>"
            )
        body.append(_text(LABEL + entered + 6, y + 15, str(step["entered"])))
    height = 20 + len(steps) * ROW
    return _svg(height, f"Funnel of {journey['id']}: contacts entering each step", body, "funnel")


def arms(split: dict[str, Any], confidence: float) -> Markup:
    """Per arm: conversion rate as a bar, its interval as a whisker, on one 0–100 % axis."""
    rows = split["arms"]
    highest = max([a["interval"][1] for a in rows], default=0.0)
    scale_top = min(1.0, math.ceil(max(0.01, highest) * 1.05 * 10) / 10)  # a round 10 % step
    span = WIDTH - LABEL - 80
    body = []
    for tick in range(5):
        value = scale_top * tick / 4
        x = LABEL + span * tick / 4
        body.append(
            f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="4" y2="{12 + len(rows) * 34}"/>'
        )
        body.append(_text(x, 24 + len(rows) * 34, f"{100 * value:.0f}%", "middle"))
    for row, arm in enumerate(rows):
        y = 8 + row * 34
        rate = arm["conversion_rate"] or 0.0
        low, high = arm["interval"]
        width = span * rate / scale_top
        x_low = LABEL + span * low / scale_top
        x_high = LABEL + span * min(high, scale_top) / scale_top
        tip = (
            f"{arm['name']}: {arm['converted']} of {arm['entered']} converted "
            f"({100 * rate:.1f}%), {round(100 * confidence)}% interval "
            f"{100 * low:.1f}% to {100 * high:.1f}%"
        )
        css = "bar holdout" if arm["holdout"] else "bar arm"
        label = arm["name"] + (" (holdout)" if arm["holdout"] else "")
        body.append(_text(LABEL - 8, y + 17, label, "end"))
        body.append(
            f'<rect class="{css}" x="{LABEL}" y="{y}" width="{width:.1f}" height="24"'
            f' data-arm="{escape(arm["name"])}"><title>{escape(tip)}</title></rect>'
        )
        mid = y + 12
        body.append(
            f'<path class="whisker" d="M{x_low:.1f},{mid} H{x_high:.1f} M{x_low:.1f},{mid - 6}'
            f' V{mid + 6} M{x_high:.1f},{mid - 6} V{mid + 6}"/>'
        )
        body.append(_text(x_high + 6, y + 17, f"{100 * rate:.1f}%"))
    height = 34 + len(rows) * 34
    title = (
        f"Conversion per arm of split {split['step']}, with {round(100 * confidence)}% intervals"
    )
    return _svg(height, title, body, "arms")


def daily(journey: dict[str, Any]) -> Markup:
    """Messages sent per day (bars) and conversions per day (dots)."""
    days = journey["daily"]
    if not days:
        return Markup("")
    top = max([max(d["sent"], d["converted"]) for d in days], default=0) or 1
    left, bottom, height = 44, 200, 230
    span = WIDTH - left - 10
    step = span / len(days)
    body = []
    for tick in range(5):
        value = top * tick / 4
        y = bottom - 180 * tick / 4
        body.append(f'<line class="grid" x1="{left}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(_text(left - 6, y + 4, f"{value:.0f}", "end"))
    for index, day in enumerate(days):
        x = left + index * step
        h = 180 * day["sent"] / top
        tip = f"{day['date']}: {day['sent']} sent, {day['converted']} converted"
        body.append(
            f'<rect class="bar sent" x="{x + 1:.1f}" y="{bottom - h:.1f}"'
            f' width="{max(1.0, step - 2):.1f}" height="{h:.1f}" data-date="{day["date"]}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        if day["converted"]:
            cy = bottom - 180 * day["converted"] / top
            body.append(
                f'<circle class="dot converted" cx="{x + step / 2:.1f}" cy="{cy:.1f}" r="4">'
                f"<title>{escape(tip)}</title></circle>"
            )
        if index % max(1, len(days) // 8) == 0:
            body.append(_text(x + step / 2, bottom + 16, day["date"][5:], "middle"))
    title = (
        f"Messages sent (bars) and conversions (dots) per day, "
        f"{days[0]['date']} to {days[-1]['date']}"
    )
    return _svg(height, title, body, "daily")


def cohort_map(journey: dict[str, Any]) -> Markup:
    """Weeks of entry × weeks since: the share converted, darker for more."""
    return _heat_map(
        journey["cohorts"],
        "converted_by_week",
        "converted within {n} week(s)",
        "Share converted by weeks since entry, per week of entry",
        "cohorts",
    )


def retention_map(journey: dict[str, Any]) -> Markup:
    """Weeks of entry × weeks since: the share with any activity event in that week."""
    return _heat_map(
        journey.get("retention") or [],
        "active_by_week",
        "active in week {n} since entry",
        "Share active in each week since entry, per week of entry",
        "retention",
    )


def _heat_map(rows: list[dict[str, Any]], key: str, tip_text: str, title: str, css: str) -> Markup:
    weeks = max([len(r[key]) for r in rows], default=0)
    if not rows or not weeks:
        return Markup("")
    cell, left = 52, 150
    body = [_text(left + i * cell + cell / 2, 16, f"week {i + 1}", "middle") for i in range(weeks)]
    for row, cohort in enumerate(rows):
        y = 24 + row * 30
        body.append(_text(left - 8, y + 19, f"{cohort['week']} ({cohort['entered']})", "end"))
        for i, share in enumerate(cohort[key]):
            shade = 0.12 + 0.88 * share
            what = tip_text.format(n=i + 1)
            tip = f"entered week of {cohort['week']}: {100 * share:.0f}% {what}"
            body.append(
                f'<rect class="cell" x="{left + i * cell}" y="{y}" width="{cell - 2}" height="28"'
                f' fill-opacity="{shade:.2f}"><title>{escape(tip)}</title></rect>'
            )
            label = f"{100 * share:.0f}%"
            body.append(_text(left + i * cell + cell / 2, y + 19, label, "middle", "cell-label"))
    height = 34 + len(rows) * 30
    return _svg(height, title, body, css)

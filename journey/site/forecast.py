"""The forecast on a journey page: sends per day and per step over the first 30 days.

A generated population (journey.site.population) runs through the same engine
`journey simulate` uses, on a virtual clock; the chart's bars are computed here
and drawn as inline SVG by the page template (no chart library, no script).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from journey.engine.context import EngineSettings
from journey.engine.simulation import simulate
from journey.model import Duration, Plan, SendStep
from journey.renderer import Renderer
from journey.samples import sample_contacts
from journey.site.population import WINDOW_DAYS, forecast_plan, population
from journey.workspace import Workspace

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
CHART_WIDTH = 1000.0
CHART_HEIGHT = 260.0
PLOT_LEFT = 44.0
PLOT_TOP = 12.0
PLOT_BOTTOM = 36.0


@dataclass(frozen=True, slots=True)
class Bar:
    day: int
    step_id: str
    count: int
    x: float
    y: float
    width: float
    height: float
    colour: str


@dataclass(slots=True)
class Forecast:
    start: datetime
    days: int
    contacts: int
    entered: int = 0
    send_steps: list[str] = field(default_factory=list)
    colours: dict[str, str] = field(default_factory=dict)
    per_step_day: dict[str, list[int]] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    exits: Counter[str] = field(default_factory=Counter)
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[float, int]] = field(default_factory=list)  # (y, value)
    day_labels: list[tuple[float, str]] = field(default_factory=list)  # (x, "d 7")

    @property
    def per_day(self) -> list[int]:
        return [sum(counts[d] for counts in self.per_step_day.values()) for d in range(self.days)]

    @property
    def total(self) -> int:
        return sum(self.per_day)

    def step_total(self, step_id: str) -> int:
        return sum(self.per_step_day.get(step_id, []))


def forecast_journey(
    plan: Plan,
    workspace: Workspace,
    renderer: Renderer,
    settings: EngineSettings,
    start: datetime,
    size: int,
) -> Forecast:
    samples = sample_contacts(workspace.contact_attributes, start)
    plan = forecast_plan(plan)
    contacts, events = population(
        plan, samples, workspace.events, start, size, workspace.event_examples
    )
    report = simulate(
        plan,
        renderer=renderer,
        settings=settings,
        contacts=contacts,
        events=events,
        start=start,
        duration=Duration(calendar_days=WINDOW_DAYS, text=f"{WINDOW_DAYS}d"),
        timeline_contacts=None,  # the chart counts every row
    )
    sends = [s.id for s in plan.steps if isinstance(s, SendStep)]
    result = Forecast(start=start, days=WINDOW_DAYS, contacts=len(contacts), send_steps=sends)
    result.colours = {step: PALETTE[i % len(PALETTE)] for i, step in enumerate(sends)}
    result.per_step_day = {step: [0] * WINDOW_DAYS for step in sends}
    for row in report.timeline:
        day = (row.at - start) // timedelta(days=1)
        if row.kind == "enter":
            result.entered += 1
        elif row.kind == "send" and 0 <= day < WINDOW_DAYS and row.step_id in result.per_step_day:
            result.per_step_day[row.step_id][day] += 1
        elif row.kind == "skip":
            result.skipped[f"{row.step_id} ({row.detail})"] += 1
        elif row.kind == "exit":
            result.exits[row.detail or "completed"] += 1
    _chart(result)
    return result


def _chart(forecast: Forecast) -> None:
    """Stacked bars, one per day, in send-step order from the bottom up."""
    plot_width = CHART_WIDTH - PLOT_LEFT - 8
    plot_height = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    top_value = _nice_max(max(forecast.per_day, default=0))
    slot = plot_width / forecast.days
    base_y = PLOT_TOP + plot_height
    for day in range(forecast.days):
        y = base_y
        for step in forecast.send_steps:
            count = forecast.per_step_day[step][day]
            if not count:
                continue
            height = plot_height * count / top_value
            y -= height
            x = PLOT_LEFT + day * slot + slot * 0.15
            forecast.bars.append(
                Bar(day, step, count, x, y, slot * 0.7, height, forecast.colours[step])
            )
    forecast.ticks = [
        (base_y - plot_height * value / top_value, value)
        for value in range(0, top_value + 1, max(1, top_value // 4))
    ]
    forecast.day_labels = [
        (PLOT_LEFT + (day + 0.5) * slot, str(day + 1))
        for day in range(forecast.days)
        if day == 0 or (day + 1) % 5 == 0
    ]


def _nice_max(value: int) -> int:
    """The smallest 'round' number at least `value` that divides into four whole ticks."""
    magnitude = 1
    while True:
        for mantissa in (1, 2, 3, 4, 5, 6, 8):
            step = mantissa * magnitude
            if value <= step * 4:
                return step * 4
        magnitude *= 10

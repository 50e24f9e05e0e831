"""`journey simulate --sample N`: the forecast of a stratified random sample, scaled up.

The method is in `journey.sampled_simulation`; this runs one simulation per group and
prints the forecast with a 95 % interval on every count.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from journey.engine.simulation import SimulationReport
from journey.ingest.jsonl import read_jsonl_at
from journey.model import Event
from journey.sampled_simulation import (
    Estimate,
    SampleDesign,
    counts_of,
    draw,
    estimate,
    scaled_result,
    shown_name,
)
from journey.simulation_inputs import numbered_contacts

RunGroup = Callable[[Iterable[dict[str, Any]], Iterable[Event]], SimulationReport]
Render = Callable[[SimulationReport], str]


def run_sample(
    contacts_file: Path,
    events: Callable[[list[dict[str, Any]]], Iterable[Event]],
    run_group: RunGroup,
    render_json: Render,
    *,
    sample: int,
    seed: int,
    strata: tuple[str, ...],
) -> tuple[dict[str, Any], dict[tuple[str, ...], Estimate], SampleDesign]:
    """Draw the sample, simulate each group, and combine: (result, estimates, design).

    The contacts file is read twice: every line checked once (a bad line fails the
    forecast as it fails the full run) while the sample is drawn, then the drawn
    contacts' lines alone are parsed again."""
    checked = ((number, record) for number, record, _ in numbered_contacts(contacts_file))
    design = draw(checked, sample, seed=seed, strata=strata)
    chosen = {contact_id: n for n, group in enumerate(design.groups) for contact_id in group}
    records: list[list[dict[str, Any]]] = [[] for _ in design.groups]
    for _, record in read_jsonl_at(contacts_file, design.lines):
        # every line of a drawn contact, in file order (checked in the first pass)
        assert isinstance(record, dict)
        records[chosen[record["id"]]].append(record)
    results = []
    for group_records in records:
        report = run_group(group_records, events(group_records))
        results.append(json.loads(render_json(report)))
    estimates = estimate(
        [counts_of(result) for result in results], [len(ids) for ids in design.groups], design
    )
    combined = scaled_result(results[0], estimates)
    combined["contacts"] = design.population
    combined["sample"] = {
        "contacts": design.size,
        "population": design.population,
        "groups": len(design.groups),
        "seed": design.seed,
        "strata": list(design.strata),
        "method": "proportional stratified sample, random groups, 95% t intervals",
        "timeline": "the first group's contacts",
        "intervals": {
            shown_name(path): [round(found.low), round(found.high)]
            for path, found in estimates.items()
        },
    }
    combined["splits"] = []  # per-arm rates and their tests are not scaled
    return combined, estimates, design


def render_sample_table(
    result: dict[str, Any], estimates: dict[tuple[str, ...], Estimate], design: SampleDesign
) -> str:
    lines = [
        f"{result['journey']}: forecast for {design.population} contacts from a stratified "
        f"random sample of {design.size} (seed {design.seed}, {len(design.groups)} groups), "
        f"{result['start']} -> {result['end']}",
        "",
        f"  {'count':<48} {'forecast':>10}  95% interval",
    ]
    for path, found in sorted(estimates.items(), key=lambda item: _order(item[0])):
        if path == ("contacts",):
            continue
        lines.append(
            f"  {shown_name(path):<48} {round(found.value):>10}  "
            f"{round(found.low)} to {round(found.high)}"
        )
    lines += [
        "",
        "Each count is the mean of the groups' scaled counts; the intervals are per count "
        "(about one in twenty may miss). --format json has the first group's timeline.",
    ]
    return "\n".join(lines)


_SECTIONS = ("entered", "converted", "exited", "steps", "sends_per_day")


def _order(path: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    section = _SECTIONS.index(path[0]) if path[0] in _SECTIONS else len(_SECTIONS)
    return section, path[1:]

"""The sample behind `journey simulate --sample`: proportional, stratified, reproducible."""

from __future__ import annotations

import random
from collections import Counter

from journey.sampled_simulation import allocate, draw, estimate


def _records() -> list[dict[str, str]]:
    return [
        {"id": f"c{n}", "timezone": "Europe/Stockholm" if n % 4 else "Asia/Shanghai"}
        for n in range(1000)
    ]


def test_allocation_is_proportional_and_adds_up() -> None:
    parts = allocate({"a": 750, "b": 250, "c": 1}, 100)
    assert sum(parts.values()) == 100
    assert parts["a"] == 75 and parts["b"] == 25 and parts["c"] == 0


def test_each_stratum_gets_its_share_in_every_group() -> None:
    records = _records()
    design = draw(enumerate(records, 1), 200, seed=9, strata=("timezone",))
    zone = {r["id"]: r["timezone"] for r in records}
    assert design.population == 1000 and design.size == 200 and len(design.groups) == 10
    drawn = Counter(zone[c] for group in design.groups for c in group)
    assert drawn == {"Europe/Stockholm": 150, "Asia/Shanghai": 50}
    for group in design.groups:
        assert Counter(zone[c] for c in group) == {"Europe/Stockholm": 15, "Asia/Shanghai": 5}
    assert len({c for group in design.groups for c in group}) == 200


def test_a_seed_draws_the_same_contacts() -> None:
    records = _records()
    one = draw(enumerate(records, 1), 50, seed=1, strata=("timezone",))
    same = draw(enumerate(records, 1), 50, seed=1, strata=("timezone",))
    other = draw(enumerate(records, 1), 50, seed=2, strata=("timezone",))
    assert one.groups == same.groups
    assert {c for g in one.groups for c in g} != {c for g in other.groups for c in g}


def test_the_intervals_cover_the_population_count_about_95_times_in_100() -> None:
    rng = random.Random(11)
    records = [
        {"id": f"c{n}", "timezone": rng.choice(["Europe/Stockholm", "Asia/Shanghai"])}
        for n in range(1500)
    ]
    # an outcome that differs between the strata and within them
    converts = {
        r["id"]: rng.random() < (0.6 if r["timezone"] == "Asia/Shanghai" else 0.3) for r in records
    }
    truth = sum(converts.values())
    covered = 0
    for seed in range(200):
        design = draw(enumerate(records, 1), 300, seed=seed, strata=("timezone",))
        groups = [{("converted",): float(sum(converts[c] for c in g))} for g in design.groups]
        found = estimate(groups, [len(g) for g in design.groups], design)[("converted",)]
        covered += found.low <= truth <= found.high
    assert 0.88 <= covered / 200 <= 0.99

"""Experiments: a split's `auto_winner:` must be on a split, measure something, and compare arms.

The schema pass checks the block's shape; these are the mistakes it cannot see
(an auto-winner on a `send`, a `goal` metric in a journey without a goal, an
event nobody declared, a split with only one arm that could win).
"""

from __future__ import annotations

from journey.compiler.experiments import parse_metric
from journey.loader import JsonPath
from journey.model import END
from journey.validator.semantic_context import Checker, integer, mapping, sequence, steps, text


def check_auto_winners(checker: Checker) -> None:
    for view in steps(checker.data):
        if "auto_winner" not in view.raw:
            continue
        path: JsonPath = (*view.path, "auto_winner")
        if view.action != "split":
            checker.add(
                "auto-winner-not-on-split",
                f"`auto_winner` is on a `{view.action or 'step'}` step; only a split has arms",
                path,
                hint="Move `auto_winner:` to the split step whose arms it should decide.",
            )
            continue
        block = mapping(view.raw.get("auto_winner"))
        _check_metric(checker, text(block.get("metric")), (*path, "metric"))
        _check_arms(checker, sequence(view.body), path)


def _check_metric(checker: Checker, metric: str | None, path: JsonPath) -> None:
    if metric is None:
        return  # the schema pass reports a missing or non-string metric
    kind, event = parse_metric(metric)
    if kind == "goal" and not isinstance(checker.data.get("goal"), dict):
        checker.add(
            "auto-winner-metric",
            "`metric: goal` but the journey has no `goal:`",
            path,
            hint="Add a `goal: {event, within}` to the journey, or compare on "
            "`conversion:EVENT` or `clicked`.",
        )
    declared = checker.workspace.events if checker.workspace else None
    if kind == "conversion" and event and declared and event not in declared:
        checker.add(
            "auto-winner-metric",
            f"`{metric}` names the event `{event}`, which workspace.yaml does not declare",
            path,
            hint="Declare the event under `events:` in workspace.yaml, or fix its name.",
        )


def _check_arms(checker: Checker, arms: list[object], path: JsonPath) -> None:
    candidates = [
        arm
        for arm in (mapping(a) for a in arms)
        if (integer(arm.get("weight")) or 0) > 0 and arm.get("goto") != END
    ]
    if arms and len(candidates) < 2:
        checker.add(
            "auto-winner-arms",
            "`auto_winner` needs at least two arms that could win (weight above 0, not `end`)",
            path,
            hint="A holdout arm (`goto: end`) never wins; add a second arm to compare, "
            "or remove `auto_winner:`.",
        )

"""A send's variants reported as the arms of an experiment, beside the splits.

An enrollment records its variant as its arm of the send step (as a split
records its arm), so the per-arm figures of `journey report` and `journey
simulate` need only a split-shaped view of the send: one arm per variant, each
leading on to the send's next step, none of them a holdout.
"""

from __future__ import annotations

from journey.model import Plan, SendStep, SplitArm, SplitStep


def experiment_steps(plan: Plan) -> list[SplitStep]:
    """Every split, and every send with variants as a split of its variants, in step order."""
    found: list[SplitStep] = []
    for step in plan.steps:
        if isinstance(step, SplitStep):
            found.append(step)
        elif isinstance(step, SendStep) and step.variants:
            arms = tuple(
                SplitArm(weight=v.weight, goto=step.id, name=v.name) for v in step.variants
            )
            found.append(SplitStep(id=step.id, next=step.next, arms=arms))
    return found

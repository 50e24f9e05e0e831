"""`example:` payloads of declared events must fit the declaration.

Preview, the review site, the forecast and the send-step render check all read
the example; one that names an undeclared property or holds a string where the
declaration says `number` would show messages no real event could produce.
"""

from __future__ import annotations

from journey.event_types import property_problems
from journey.validator.semantic_context import Checker, mapping
from journey.workspace import EXAMPLE_KEY

EVENT_EXAMPLE = "event-example"


def check_event_examples(checker: Checker) -> None:
    for name, declaration in mapping(checker.data.get("events")).items():
        declaration = mapping(declaration)
        example = declaration.get(EXAMPLE_KEY)
        if not isinstance(example, dict):
            continue
        types = {
            str(k): str(v)
            for k, v in declaration.items()
            if k != EXAMPLE_KEY and isinstance(v, str)
        }
        for prop, problem in property_problems(example, types):
            checker.add(
                EVENT_EXAMPLE,
                f"the example of `{name}`: {problem}",
                ("events", name, EXAMPLE_KEY, prop),
                hint="An example holds only declared properties, each of its declared type.",
            )

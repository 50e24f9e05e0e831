"""Benchmark: `EvalScope.holds` per expression kind, closure against sandbox.

Each evaluation gets a fresh scope, as each contact does in the engine (a scope
caches the contact's values once it has built them). The sandbox side is what
`holds` did before expressions had closures: `bool(evaluate(scope.variables()))`.
Reported: CPU microseconds per evaluation (the median of --repeat rounds) and
the ratio, measured alternately in the same process.

    python -m bench.expressions [--evaluations 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from journey.engine.context import EngineSettings, EvalScope
from journey.expressions import compile_expression
from journey.model import Contact, Event

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KINDS = {
    "exit_when attribute": "contact.unsubscribed",
    "trigger where": "event.properties.plan == 'trial'",
    "audience (is not none, in list)": (
        "contact.email is not none and contact.country in ['SE', 'CN', 'US', 'GB', 'DE', 'FI']"
    ),
    "branch (or 0, >=)": "(contact.order_count or 0) >= 1 and contact.plan != 'trial'",
    "has_event within": "has_event('session_started', within='30d')",
    "days_since": "days_since(contact.last_order_at) >= 45",
    "outside the subset (filter)": "contact.plan | length > 3",
}


class _History:
    def count_events(self, name: str, since: datetime | None, until: datetime) -> int:
        return 1


SETTINGS = EngineSettings(declared_attributes=("unsubscribed", "plan", "country"))
CONTACT = Contact(
    id="c1",
    email="c1@example.com",
    locale="sv_SE",
    timezone="Europe/Stockholm",
    consent={"email": True},
    attributes={
        "plan": "monthly",
        "country": "SE",
        "order_count": 3,
        "last_order_at": "2026-01-10T08:00:00+00:00",
        "first_name": "Alex",
        "churn_risk": 0.4,
        "digest_opt_in": True,
    },
)
EVENT = Event(
    id="e1", name="signed_up", contact_id="c1", timestamp=NOW, properties={"plan": "trial"}
)


def _scope() -> EvalScope:
    return EvalScope(
        contact=CONTACT,
        history=_History(),  # type: ignore[arg-type]
        now=NOW,
        zone=ZoneInfo("UTC"),
        settings=SETTINGS,
        event=EVENT,
    )


def _per_evaluation(run: Callable[[], Any], evaluations: int) -> float:
    start = time.process_time()
    for _ in range(evaluations):
        run()
    return (time.process_time() - start) / evaluations * 1e6


def measure(source: str, evaluations: int, repeat: int) -> tuple[float, float]:
    compiled = compile_expression(source)

    def closure_side() -> bool:
        return _scope().holds(source)

    def sandbox_side() -> bool:
        return bool(compiled.evaluate(_scope().variables()))

    assert closure_side() == sandbox_side()
    fast, slow = [], []
    for _ in range(repeat):
        slow.append(_per_evaluation(sandbox_side, evaluations))
        fast.append(_per_evaluation(closure_side, evaluations))
    return statistics.median(fast), statistics.median(slow)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaluations", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"Python {platform.python_version()}, {args.evaluations:,} evaluations x {args.repeat}")
    print("| kind | expression | closure µs | sandbox µs | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for kind, source in KINDS.items():
        closure = compile_expression(source).closure is not None
        fast, slow = measure(source, args.evaluations, args.repeat)
        label = kind if closure else f"{kind} (no closure)"
        print(f"| {label} | `{source}` | {fast:.2f} | {slow:.2f} | {slow / fast:.1f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

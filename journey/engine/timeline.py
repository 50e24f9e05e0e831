"""Driving a shell over virtual time: jump from one due moment to the next.

Used by `simulate`, `test`, the forecast and the benchmark; the daemon drives
the same shell on the real clock (and `journey run --demo` on a virtual one).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from journey.clock import VirtualClock
from journey.engine.shell import Shell

ONE_MICROSECOND = timedelta(microseconds=1)


def run_until(shell: Shell, clock: VirtualClock, end: datetime, *, inclusive: bool = True) -> int:
    """Run all work due up to `end` (or strictly before it); returns steps advanced.

    Timers at an instant run after events at that instant, so callers that feed an
    event at `t` first run `run_until(t, inclusive=False)`.
    """
    limit = end if inclusive else end - ONE_MICROSECOND
    steps = 0
    stuck_at: datetime | None = None
    while True:
        due = shell.next_due_at()
        if due is None or due > limit:
            break
        if due == stuck_at:
            break  # nothing could be done at this instant; move on
        moment = max(due, clock.now())
        clock.advance_to(moment)
        steps += shell.run_due(moment)
        if shell.next_due_at() == due:
            stuck_at = due
    clock.advance_to(end)  # exclusive: the caller feeds what happens at `end` first
    return steps

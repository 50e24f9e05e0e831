"""The gates in front of a send: consent and address, quiet hours, frequency caps.

Pure decisions: given the contact, its recent marketing sends and `now`, say
whether the send goes, is suppressed or capped, or waits until when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from journey.engine.context import EngineSettings, History
from journey.engine.moments import quiet_end, window_end, window_start
from journey.localtime import add_duration
from journey.model import Contact, FrequencyCap, Plan, QuietHours, SendStep
from journey.slotted import quick_init


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Gate:
    verdict: Literal["send", "suppressed", "capped", "defer"]
    until: datetime | None = None
    detail: str = ""


SEND = Gate(verdict="send")  # the usual verdict, made once


def address_for(contact: Contact, message: str) -> str | None:
    """Where a message of this kind goes; push is addressed to the contact itself."""
    if message == "email":
        return contact.email or None
    if message == "sms":
        return contact.phone or None
    return str(contact.attributes.get("push_token") or contact.id)


def quiet_hours_for(plan: Plan, settings: EngineSettings) -> QuietHours | None:
    if plan.category == "transactional" or plan.quiet_hours is False:
        return None
    return plan.quiet_hours or settings.quiet_hours


def caps_for(
    plan: Plan, settings: EngineSettings
) -> tuple[list[FrequencyCap], FrequencyCap | None]:
    """Every cap a send must fit, and the one whose `on_cap`/`max_defer` rule applies."""
    if plan.category == "transactional" or plan.frequency_cap is False:
        return [], None
    caps = [cap for cap in (settings.frequency_cap, plan.frequency_cap) if cap]
    governing = plan.frequency_cap or settings.frequency_cap or None
    return caps, governing


def cap_allows_at(
    caps: list[FrequencyCap], history: History, now: datetime, zone: ZoneInfo
) -> datetime | None:
    """None when every cap has room now, else the earliest moment all of them do."""
    if not caps:
        return None
    starts = {id(cap): window_start(now, cap.per, zone) for cap in caps}
    sent = history.marketing_send_times(min(starts.values()))
    allowed: datetime | None = None
    for cap in caps:
        in_window = [t for t in sent if t > starts[id(cap)]]  # the window is (now-per, now]
        if len(in_window) < cap.max:
            continue
        if cap.max == 0:
            return datetime.max.replace(tzinfo=now.tzinfo)
        oldest_to_expire = in_window[len(in_window) - cap.max]
        frees_at = add_duration(oldest_to_expire, cap.per, zone)
        allowed = frees_at if allowed is None else max(allowed, frees_at)
    return allowed


def gate_send(
    *,
    plan: Plan,
    step: SendStep,
    contact: Contact,
    history: History,
    now: datetime,
    zone: ZoneInfo,
    settings: EngineSettings,
    defer_since: datetime | None,
) -> Gate:
    """Consent and address, then quiet hours, then caps (exit_when is the caller's)."""
    if address_for(contact, step.message) is None:
        return Gate(verdict="suppressed", detail=f"no {step.message} address")
    if plan.category != "transactional" and not contact.has_consent(step.message):
        return Gate(verdict="suppressed", detail=f"no {step.message} consent")
    quiet = quiet_hours_for(plan, settings)
    if quiet is not None:
        until = quiet_end(now, quiet, zone)
        if until is not None:
            return Gate(verdict="defer", until=until, detail="quiet hours")
    caps, governing = caps_for(plan, settings)
    allowed = cap_allows_at(caps, history, now, zone)
    if allowed is None or governing is None:
        return SEND
    if governing.on_cap == "skip":
        return Gate(verdict="capped", detail="frequency cap")
    started = defer_since or now
    if allowed > window_end(started, governing.max_defer, zone):
        return Gate(verdict="capped", detail="frequency cap: deferred past max_defer")
    return Gate(verdict="defer", until=allowed, detail="frequency cap")

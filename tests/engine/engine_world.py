"""A small world for engine stories: the shell every command uses, on a real SQLite store,
a virtual clock and in-memory channels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from journey.assembly import VirtualRun, virtual_shell
from journey.channels.memory import MemoryChannels
from journey.clock import VirtualClock
from journey.compiler.serialize import with_hash
from journey.engine.context import EngineSettings
from journey.engine.inputs import parse_event
from journey.engine.perform import Happening
from journey.engine.runner import Runner
from journey.engine.shell import Shell
from journey.engine.timeline import run_until
from journey.errors import RenderError
from journey.localtime import parse_instant
from journey.model import Contact, Plan
from journey.store.url import open_store


@dataclass(frozen=True)
class StubRendered:
    locale: str
    subject: str | None
    preheader: str | None
    text: str
    html: str | None
    title: str | None


class StubRenderer:
    """Renders `template` as the subject; a template named `broken/*` fails like a bad one."""

    def render(
        self,
        *,
        template: str,
        message: Any,
        contact: Contact,
        locales: Any,
        context: Mapping[str, Any],
        now: datetime,
        timezone: str | None = None,
    ) -> Any:
        if template.startswith("broken/"):
            raise RenderError(f"{template}: 'contact' has no attribute 'nope'")
        return StubRendered(
            locale=locales[0],
            subject=template,
            preheader=None,
            text=f"{template} for {contact.id}",
            html=None,
            title=None,
        )

    def render_string(self, source: str, context: Mapping[str, Any]) -> str:
        return source.replace("{{ contact.id }}", context["contact"].id)


@dataclass
class World:
    tmp: Path
    start: datetime
    settings: EngineSettings = field(default_factory=EngineSettings)
    happenings: list[Happening] = field(default_factory=list)
    runner: Runner | None = None
    shell: Shell | None = None
    renderer: Any = None  # a real Renderer where a story needs real templates
    batch_size: int = 500  # due work claimed at once (trigger states, enrollments)

    def __post_init__(self) -> None:
        self.clock = VirtualClock(self.start)
        self.store = open_store(self.tmp / "state.db")
        self.sink = MemoryChannels(self.clock.now)

    def load(self, *plans: Plan) -> Runner:
        hashed = {p.journey_id: with_hash(p) for p in plans}
        self.shell = virtual_shell(
            hashed,
            self.clock,
            VirtualRun(
                renderer=self.renderer or StubRenderer(),
                settings=self.settings,
                listener=self.happenings.append,
                batch_size=self.batch_size,
            ),
            store=self.store,
            channels=self.sink,
        )
        self.runner = self.shell.runner
        self.runner.activate(self.clock.now())
        return self.runner

    def contact(self, **fields: Any) -> Contact:
        assert self.runner is not None
        fields.setdefault("consent", {"email": True, "sms": True, "push": True})
        fields.setdefault("email", f"{fields['id']}@example.com")
        contact = self.runner.upsert_contact(fields, self.clock.now())
        self.settle()
        return contact

    def settle(self) -> None:
        """What a daemon tick does after an input: the rounds due now (deliveries, outcomes)."""
        assert self.shell is not None
        self.shell.run_due(self.clock.now())

    def advance(self, to: datetime | str | timedelta) -> None:
        assert self.runner is not None
        if isinstance(to, timedelta):
            to = self.clock.now() + to
        elif isinstance(to, str):
            to = parse_instant(to)
        assert self.shell is not None
        run_until(self.shell, self.clock, to, inclusive=False)

    def event(self, name: str, contact_id: str = "c1", **properties: Any) -> None:
        assert self.runner is not None
        now = self.clock.now()
        data = {
            "name": name,
            "contact_id": contact_id,
            "timestamp": now.isoformat(),
            "properties": properties,
            "id": f"{name}-{contact_id}-{now.isoformat()}",
        }
        self.runner.handle_event(parse_event(data, now))
        self.settle()

    def finish(self, to: datetime | str | timedelta) -> None:
        assert self.runner is not None
        if isinstance(to, timedelta):
            to = self.clock.now() + to
        elif isinstance(to, str):
            to = parse_instant(to)
        assert self.shell is not None
        run_until(self.shell, self.clock, to)

    def sends(self, contact_id: str | None = None) -> list[tuple[str, datetime]]:
        return [
            (h.step_id, h.at)
            for h in self.happenings
            if h.kind == "send" and (contact_id is None or h.contact_id == contact_id)
        ]

    def kinds(self, kind: str, contact_id: str = "c1") -> list[tuple[str, str]]:
        return [
            (h.step_id, h.reason)
            for h in self.happenings
            if h.kind == kind and h.contact_id == contact_id
        ]

    def exits(self, contact_id: str = "c1") -> list[str]:
        return [
            h.reason for h in self.happenings if h.kind == "exit" and h.contact_id == contact_id
        ]

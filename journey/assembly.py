"""One workspace, opened into its parts: plans, renderer, settings, store, channels, shell.

Every command and shell gets its parts here, so they are built one way: the
renderer always knows the declared contact attributes, the store comes from
one URL function (journey.store.url), and the runner and delivery worker come
from `journey.engine.shell.build_shell`, whose clock and channels are the only
things a caller chooses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from journey.channels.base import ChannelImpl
from journey.channels.memory import MemoryChannels
from journey.clock import Clock
from journey.engine.context import EngineSettings
from journey.engine.perform import Listener, Renders
from journey.engine.runner import Claims, Runner, StepParts
from journey.engine.shell import Shell, build_shell
from journey.model import Channel, Plan
from journey.store.abc import StateStore
from journey.store.url import open_scratch_store, open_store
from journey.workspace import Workspace

if TYPE_CHECKING:
    from journey.renderer import Renderer
    from journey.store.url import SQLStore


MEMORY = ":memory:"  # a throw-away SQLite store


def workspace_renderer(workspace: Workspace) -> Renderer:
    """The renderer every command uses for this workspace's templates and catalogs."""
    from journey.renderer import Renderer

    return Renderer(
        workspace.templates_dir,
        workspace.locales_dir,
        default_timezone=workspace.default_timezone,
        declared_attributes=tuple(workspace.contact_attributes or ()),
    )


def workspace_settings(workspace: Workspace) -> EngineSettings:
    return EngineSettings.from_workspace(workspace)


def open_workspace_store(workspace: Workspace, database: str | Path | None = None) -> SQLStore:
    """The workspace's store: `--database`, else JOURNEY_DATABASE_URL, else `database:`."""
    return open_store(workspace.store_url(database))


def scratch_store(path: Path) -> SQLStore:
    """A store for one process and one run (`journey simulate`): a file, journal in memory."""
    return open_scratch_store(path)


def memory_store() -> SQLStore:
    """A throw-away store for the virtual-clock shells (test, simulate, the forecast)."""
    return open_store(MEMORY)


def workspace_channels(
    workspace: Workspace,
    *,
    env: Mapping[str, str],
    clock: Clock,
    outbox: Path | None = None,
    message_id_scope: str = "",
) -> dict[str, ChannelImpl]:
    """The workspace's channels, live; with `outbox`, every one writes there instead.

    `message_id_scope` is the store's random id (`StateStore.database_id`), which
    email Message-IDs are made unique across databases with.
    """
    return {
        name: workspace_channel(
            config,
            workspace,
            env=env,
            clock=clock,
            outbox=outbox,
            message_id_scope=message_id_scope,
        )
        for name, config in workspace.channels.items()
    }


def workspace_channel(
    config: Channel,
    workspace: Workspace,
    *,
    env: Mapping[str, str],
    clock: Clock,
    outbox: Path | None = None,
    message_id_scope: str = "",
) -> ChannelImpl:
    from journey.channels import OutboxChannel, build_channel

    if outbox is not None:
        return OutboxChannel(name=config.name, path=outbox, fsync=False, clock=clock)
    return build_channel(
        config,
        root=workspace.root,
        env=env,
        clock=clock,
        unsubscribe_base_url=workspace.unsubscribe_base_url,
        message_id_scope=message_id_scope,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualRun:
    """What a virtual-clock shell needs beside its plans: the shell is the daemon's own."""

    renderer: Renders
    settings: EngineSettings
    listener: Listener | None = None
    batch_size: int = 500


def virtual_shell(
    plans: Mapping[str, Plan],
    clock: Clock,
    run: VirtualRun,
    *,
    store: StateStore | None = None,
    channels: Mapping[str, ChannelImpl] | None = None,
) -> Shell:
    """`journey test`, `simulate`, the forecast: in-memory channels, a throw-away store."""
    return build_shell(
        store=store if store is not None else memory_store(),
        plans=plans,
        clock=clock,
        parts=StepParts(renderer=run.renderer, settings=run.settings),
        channels=channels if channels is not None else MemoryChannels(clock.now, keep=False),
        claims=Claims(worker="runner", batch_size=run.batch_size),
        listener=run.listener,
    )


def valid_plans(root: Path) -> tuple[dict[str, Plan], dict[str, list[str]]]:
    """The journeys that validate, compiled as the daemon runs them; and the broken files."""
    from journey.daemon.catalog import PlanCatalog

    catalog = PlanCatalog(root)
    report = catalog.load()
    return dict(catalog.plans), dict(report.broken)


def workspace_parts(workspace: Workspace, store: StateStore) -> StepParts:
    """Renderer, settings and the store's signing key: steps performed as the daemon does."""
    from journey.daemon.secret import signing_key

    return StepParts(
        renderer=workspace_renderer(workspace),
        settings=workspace_settings(workspace),
        unsubscribe_secret=signing_key(store),
    )


def intake_runner(
    workspace: Workspace, plans: Mapping[str, Plan], store: StateStore, clock: Clock
) -> Runner:
    """`journey ingest` / `contacts import` without a daemon: the runner writes pending
    deliveries (and signs links with the store's key); the daemon delivers them."""
    parts = workspace_parts(workspace, store)
    shell = build_shell(
        store=store,
        plans=plans,
        clock=clock,
        parts=parts,
        channels={},
        claims=Claims(worker="ingest"),
        delivers=False,
    )
    return shell.runner

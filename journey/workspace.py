"""The workspace: a folder holding workspace.yaml, journeys/, templates/ and locales/.

Every key of workspace.yaml has a default, so a bare folder is a workspace.
Building the dataclass is tolerant (a wrong value falls back to its default);
reporting what is wrong is the validator's job, which reads the same document.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from journey.durations import normalise_hhmm, parse_duration
from journey.holdout import Holdout, build_holdout
from journey.ingest.policy import IntakePolicy, build_intake_policy
from journey.loader import Document, load_yaml
from journey.model import Channel, Duration, FrequencyCap, QuietHours
from journey.results.conversions import ConversionSettings, build_conversions
from journey.store.url import is_postgres, sqlite_path
from journey.topics import Topic, build_topics
from journey.tracking.settings import TrackingSettings, build_tracking
from journey.workspace_files import probe_quietly

WORKSPACE_FILE = "workspace.yaml"
# The state store's URL for every command, over workspace.yaml's `database:`.
DATABASE_URL_ENV = "JOURNEY_DATABASE_URL"

DEFAULT_CHANNELS: dict[str, Channel] = {
    name: Channel(name=name, kind="outbox", message=name) for name in ("email", "sms", "push")
}


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8787
    token_env: str = "JOURNEY_TOKEN"
    max_body_bytes: int = 1_048_576
    max_connections: int = 64  # authorised requests served at once, a thread each


@dataclass(frozen=True, slots=True, kw_only=True)
class Workspace:
    root: Path
    config_path: Path | None = None
    default_locale: str = "en"
    default_timezone: str = "UTC"
    channels: dict[str, Channel] = field(default_factory=lambda: dict(DEFAULT_CHANNELS))
    frequency_cap: FrequencyCap | None = None
    quiet_hours: QuietHours | None = None
    # a SQLite path (relative to the workspace), sqlite:///path, or postgresql://…
    database: str = ".journey/state.db"
    contact_attributes: dict[str, str] | None = None
    events: dict[str, dict[str, str]] | None = None
    # `example:` of an event's declaration: the properties preview, site and forecast use
    event_examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    event_retention: Duration = Duration(calendar_days=400, text="400d")  # noqa: RUF009
    max_trigger_age: Duration = Duration(seconds=86400, text="24h")  # noqa: RUF009
    segment_recheck: Duration = Duration(seconds=3600, text="1h")  # noqa: RUF009
    max_defer: Duration = Duration(calendar_days=3, text="3d")  # noqa: RUF009
    http: HttpSettings = HttpSettings()
    unsubscribe_base_url: str | None = None
    conversions: ConversionSettings = ConversionSettings()  # noqa: RUF009 (frozen)
    intake: IntakePolicy = IntakePolicy()  # noqa: RUF009 (frozen)
    tracking: TrackingSettings | None = None  # None: links are sent as written
    holdout: Holdout | None = None  # contacts no marketing journey reaches
    topics: dict[str, Topic] = field(default_factory=dict)  # subscription topics, by name

    @property
    def journeys_dir(self) -> Path:
        return self.root / "journeys"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def locales_dir(self) -> Path:
        return self.root / "locales"

    @property
    def database_url(self) -> str:
        """`database:` as a store location: a PostgreSQL URL as written, a SQLite path made
        absolute against the workspace."""
        if is_postgres(self.database):
            return self.database
        path = sqlite_path(self.database)
        return str(path if path.is_absolute() else self.root / path)

    @property
    def database_path(self) -> Path:
        """The SQLite file (meaningless for a PostgreSQL store: see `store_url`)."""
        return Path(self.database_url)

    def store_url(
        self, given: str | Path | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        """The store to open: `given` (--database), else JOURNEY_DATABASE_URL, else `database:`."""
        if given:
            return str(given)
        from_env = (os.environ if env is None else env).get(DATABASE_URL_ENV, "").strip()
        return from_env or self.database_url


def find_workspace_root(
    override: str | os.PathLike[str] | None = None,
    start: Path | None = None,
    near: Path | None = None,
) -> Path:
    """`--workspace DIR`, else the first folder upwards with workspace.yaml, else the cwd.

    `near` is a file or folder the user named: its own workspace wins over the
    current folder's, so `journey validate ~/repo/journeys/x.yaml` run from
    anywhere checks x.yaml against ~/repo's templates and locales.
    """
    if override is not None:
        return Path(override).resolve()
    here = (start or Path.cwd()).resolve()
    if near is not None:
        named = near.resolve()
        found = _upwards(named if named.is_dir() else named.parent)
        if found is not None:
            return found
    return _upwards(here) or here


def _upwards(here: Path) -> Path | None:
    for folder in (here, *here.parents):
        if (folder / WORKSPACE_FILE).is_file():
            return folder
    return None


def load_workspace_document(root: Path) -> Document | None:
    path = root / WORKSPACE_FILE
    return load_yaml(path, root=root) if probe_quietly(root, path) is not None else None


def load_workspace(root: Path) -> tuple[Workspace, Document | None]:
    """The workspace (defaults where a value is missing or wrong) and its document."""
    doc = load_workspace_document(root)
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    config_path = Path(doc.path) if doc is not None else None
    return build_workspace(root, data, config_path=config_path), doc


def build_workspace(
    root: Path, data: dict[str, Any], *, config_path: Path | None = None
) -> Workspace:
    defaults = Workspace(root=root)
    return Workspace(
        root=root,
        config_path=config_path,
        default_locale=_str(data.get("default_locale"), defaults.default_locale),
        default_timezone=_str(data.get("default_timezone"), defaults.default_timezone),
        channels=build_channels(data.get("channels")),
        frequency_cap=_rule(build_frequency_cap(data.get("frequency_cap"), defaults.max_defer)),
        quiet_hours=_rule(build_quiet_hours(data.get("quiet_hours"))),
        database=_str(data.get("database"), defaults.database),
        contact_attributes=_str_map(data.get("contact_attributes")),
        events=_events(data.get("events")),
        event_examples=_event_examples(data.get("events")),
        event_retention=_duration(data.get("event_retention"), defaults.event_retention),
        max_trigger_age=_duration(data.get("max_trigger_age"), defaults.max_trigger_age),
        segment_recheck=_duration(data.get("segment_recheck"), defaults.segment_recheck),
        max_defer=_duration(data.get("max_defer"), defaults.max_defer),
        http=_http(data.get("http")),
        unsubscribe_base_url=data.get("unsubscribe_base_url")
        if isinstance(data.get("unsubscribe_base_url"), str)
        else None,
        conversions=build_conversions(
            data.get("conversions"),
            data.get("surveys"),
            data.get("churn"),
            data.get("lifetime_value"),
        ),
        intake=build_intake_policy(data.get("intake")),
        tracking=build_tracking(data.get("tracking")),
        holdout=build_holdout(data.get("holdout")),
        topics=build_topics(data.get("topics")),
    )


def build_quiet_hours(value: Any) -> QuietHours | Literal[False] | None:
    """`{start, end}` -> QuietHours; `false`/`off` -> False; anything else -> None."""
    if value is False or (isinstance(value, str) and value.lower() in {"off", "no", "false"}):
        return False
    if not isinstance(value, dict):
        return None
    try:
        start, end = normalise_hhmm(value["start"]), normalise_hhmm(value["end"])
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    return QuietHours(start=start, end=end) if start != end else None


def build_frequency_cap(
    value: Any, default_max_defer: Duration
) -> FrequencyCap | Literal[False] | None:
    """`{max, per, on_cap}` -> FrequencyCap; `false`/`off` -> False; else None."""
    if value is False or (isinstance(value, str) and value.lower() in {"off", "no", "false"}):
        return False
    if not isinstance(value, dict):
        return None
    try:
        maximum = value["max"]
        if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 0:
            return None
        on_cap = value.get("on_cap", "skip")
        return FrequencyCap(
            max=maximum,
            per=parse_duration(value["per"]),
            on_cap=on_cap if on_cap in ("skip", "defer") else "skip",
            max_defer=_duration(value.get("max_defer"), default_max_defer),
        )
    except (KeyError, ValueError, TypeError):
        return None


def _rule(value: Any) -> Any:
    """The workspace has no inherited rule to turn off: `false` means none."""
    return value or None


def build_channels(value: Any) -> dict[str, Channel]:
    """The `channels:` mapping as Channel configs (the daemon's and the validator's)."""
    if not isinstance(value, dict):
        return dict(DEFAULT_CHANNELS)
    channels: dict[str, Channel] = {}
    for name, config in value.items():
        if not isinstance(config, dict):
            continue
        kind = config.get("kind")
        if kind not in ("smtp", "webhook", "outbox"):
            continue
        message = config.get("message", "webhook" if kind == "webhook" else "email")
        settings = {k: v for k, v in config.items() if k not in ("kind", "message", "rate_limit")}
        nested = settings.pop("settings", None)
        if isinstance(nested, dict):
            settings.update(nested)
        channels[str(name)] = Channel(
            name=str(name),
            kind=kind,
            message=message if message in ("email", "sms", "push", "webhook") else "email",
            settings=settings,
            rate_limit=config.get("rate_limit")
            if isinstance(config.get("rate_limit"), str)
            else None,
        )
    return channels


def _http(value: Any) -> HttpSettings:
    if not isinstance(value, dict):
        return HttpSettings()
    base = HttpSettings()
    port = value.get("port", base.port)
    max_body = value.get("max_body_bytes", base.max_body_bytes)
    max_connections = value.get("max_connections", base.max_connections)
    return HttpSettings(
        host=_str(value.get("host"), base.host),
        port=port if isinstance(port, int) and not isinstance(port, bool) else base.port,
        token_env=_str(value.get("token_env"), base.token_env),
        max_body_bytes=max_body
        if isinstance(max_body, int) and max_body > 0
        else base.max_body_bytes,
        max_connections=max_connections
        if isinstance(max_connections, int)
        and not isinstance(max_connections, bool)
        and max_connections > 0
        else base.max_connections,
    )


def _str(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value else default


def _str_map(value: Any) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    return {str(k): str(v) for k, v in value.items()}


# In an event's declaration, `example:` holding a mapping is its example payload;
# (the schema reserves the name; a string there is read as a property type)
EXAMPLE_KEY = "example"


def _events(value: Any) -> dict[str, dict[str, str]] | None:
    if not isinstance(value, dict):
        return None
    return {str(k): _property_types(v) for k, v in value.items()}


def _property_types(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {
        str(k): str(v) for k, v in value.items() if not (k == EXAMPLE_KEY and isinstance(v, dict))
    }


def _event_examples(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        return {}
    found: dict[str, dict[str, Any]] = {}
    for name, declaration in value.items():
        if isinstance(declaration, dict) and isinstance(declaration.get(EXAMPLE_KEY), dict):
            found[str(name)] = dict(declaration[EXAMPLE_KEY])
    return found


def _duration(value: Any, default: Duration) -> Duration:
    if value is None:
        return default
    try:
        return parse_duration(value)
    except ValueError:
        return default

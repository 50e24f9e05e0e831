"""Channel settings: the one parser of each setting, used by `journey validate` and `journey run`.

The daemon builds a channel from its settings once `${VAR}` references are
filled in from the environment; validation builds the very same channel with
the references left unknown (a `Deferred` value, which every parser here takes
as valid). So a setting validation accepts is one the daemon accepts, and one
the daemon refuses is a located diagnostic first. A problem is a SettingError
naming the channel and the setting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from journey.errors import JourneyError

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PERIODS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([smh])\s*$")


class SettingError(JourneyError):
    """A channel setting the channel cannot be built with; `key` is the setting's name."""

    def __init__(
        self,
        channel: str,
        key: str | None,
        problem: str,
        *,
        unknown: bool = False,
        code: str = "invalid-channel-setting",
    ) -> None:
        super().__init__(f"channel '{channel}': {problem}")
        self.channel = channel
        self.key = key
        self.problem = problem
        self.unknown = unknown  # a misspelt key: the schema pass reports it as `unknown-key`
        self.code = code  # the diagnostic `journey validate` reports


class Deferred(str):
    """A setting holding a `${VAR}` reference while validating: known only where the daemon runs."""

    __slots__ = ()


def expand_env(
    settings: Mapping[str, Any], env: Mapping[str, str] | None, *, channel: str
) -> dict[str, Any]:
    """Replace ``${VAR}`` in every string of ``settings`` from ``env``.

    With ``env=None`` (validation) a string holding a reference becomes
    `Deferred`. A missing variable is an environment failure naming the
    variable and the setting, never the value of anything (settings hold secrets).
    """

    def expand(value: Any, where: str) -> Any:
        if isinstance(value, str):
            if env is None:
                return Deferred(value) if _ENV_REFERENCE.search(value) else value
            return _ENV_REFERENCE.sub(lambda m: _lookup(m.group(1), where), value)
        if isinstance(value, Mapping):
            return {k: expand(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [expand(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    def _lookup(variable: str, where: str) -> str:
        assert env is not None
        if variable not in env:
            raise JourneyError(
                f"channel '{channel}': setting '{where}' refers to ${{{variable}}}, "
                f"but the environment variable {variable} is not set"
            )
        return env[variable]

    return {key: expand(value, key) for key, value in settings.items()}


def check_known_settings(
    channel: str, kind: str, settings: Mapping[str, Any], known: set[str]
) -> None:
    """Reject a misspelt setting rather than silently using a default."""
    unknown = sorted(set(settings) - known)
    if unknown:
        raise SettingError(
            channel,
            unknown[0],
            f"({kind}) unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
            unknown=True,
        )


def setting_str(
    channel: str, settings: Mapping[str, Any], key: str, default: str | None = None
) -> str | None:
    value = settings.get(key, default)
    if value is None or isinstance(value, str):
        return value
    raise SettingError(channel, key, f"setting '{key}' must be a string")


def setting_bool(channel: str, settings: Mapping[str, Any], key: str, default: bool) -> bool:
    value = settings.get(key, default)
    if isinstance(value, Deferred):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"  # an expanded ${ENV} is always a string
    raise SettingError(channel, key, f"setting '{key}' must be true or false")


def setting_number(channel: str, settings: Mapping[str, Any], key: str, default: float) -> float:
    value = settings.get(key, default)
    if isinstance(value, Deferred):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingError(channel, key, f"setting '{key}' must be a number") from None
    if not number > 0 or number == float("inf"):
        raise SettingError(
            channel, key, f"setting '{key}' must be positive (a finite number above 0)"
        )
    return number


def setting_port(channel: str, settings: Mapping[str, Any], key: str, default: int) -> int:
    value = settings.get(key, default)
    if isinstance(value, Deferred):
        return default
    try:
        port = int(value) if not isinstance(value, (bool, float)) else -1
    except (TypeError, ValueError):
        port = -1
    if not 0 < port < 65536:
        raise SettingError(channel, key, f"setting '{key}' must be a TCP port number (1-65535)")
    return port


NOT_HTTPS = "unsubscribe-url-not-https"


def check_unsubscribe_base(channel: str, base_url: str | None) -> None:
    """A channel that really sends email needs a public https base for its one-click links.

    RFC 8058 one-click unsubscribe is https only; a link to the daemon's own
    `http://127.0.0.1` address works for nobody who reads the email. A `${VAR}`
    is checked where the daemon runs, with its value.
    """
    if isinstance(base_url, Deferred):
        return
    if not base_url:
        problem = "sends real email but has no unsubscribe_base_url"
    elif not base_url.startswith("https://") or len(base_url) <= len("https://"):
        problem = f"unsubscribe_base_url {base_url!r} is not an https URL"
    elif not base_url.isascii() or any(c in base_url for c in ' <>,"\\'):
        problem = f"unsubscribe_base_url {base_url!r} must be plain ASCII (IDN hosts as punycode)"
    else:
        return
    raise SettingError(
        channel,
        "unsubscribe_base_url",
        problem + " (RFC 8058 one-click links are https, at the daemon's public address)",
        code=NOT_HTTPS,
    )


def parse_rate(text: str) -> tuple[int, float]:
    """`50/s` -> (50, 1.0): that many messages per that many seconds; ValueError otherwise."""
    match = _RATE.match(text)
    if match is None or int(match.group(1)) <= 0:
        raise ValueError(f"rate_limit '{text}' is not a positive number per s, m or h (e.g. 50/s)")
    return int(match.group(1)), _PERIODS[match.group(2)]


def setting_rate(channel: str, text: str | None) -> tuple[int, float] | None:
    """A channel's `rate_limit`, or None when it has none."""
    if text is None:
        return None
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise SettingError(channel, "rate_limit", str(exc)) from None

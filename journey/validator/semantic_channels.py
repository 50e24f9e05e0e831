"""Channels: sends and webhooks must name a channel that exists and carries the right thing;
secrets in channel settings must be `${ENV_VAR}` references, never literal text in git.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from journey.channels import SettingError, check_channel
from journey.loader import JsonPath
from journey.validator.semantic_context import Checker, mapping, steps, text, walk
from journey.validator.suggest import did_you_mean, listing, sentence
from journey.workspace import build_channels

MESSAGE_KINDS = frozenset({"email", "sms", "push"})
_SECRET_KEY = re.compile(
    r"(?:^|[-_ .])(?:password|passwd|pass|secret|token|auth|authorization|credentials?"
    r"|api[-_ ]?key|apikey|private[-_ ]?key|access[-_ ]?key|client[-_ ]?secret)(?:$|[-_ .])",
    re.IGNORECASE,
)
_ENV_ONLY = re.compile(
    r"^(?:(?:Bearer|Basic|Token|Bot|ApiKey)\s+)?\$\{[A-Za-z_][A-Za-z0-9_]*\}$", re.IGNORECASE
)
_URL_PASSWORD = re.compile(r"://[^/@:\s]*:(?P<password>[^/@\s]+)@")


def check_journey_channels(checker: Checker) -> None:
    for view in steps(checker.data):
        if view.action not in ("send", "webhook"):
            continue
        body = mapping(view.body)
        given = body.get("channel")
        at = (*view.body_path, "channel")
        listed = given if isinstance(given, list) and view.action == "send" else [given]
        for index, item in enumerate(listed):
            name = text(item)
            if name is not None:
                path = (*at, index) if listed is given else at
                _check_channel_use(checker, name, view.action, path)
        url = body.get("url")
        if view.action == "webhook" and isinstance(url, str) and _url_has_password(url):
            checker.add(
                "literal-secret",
                "the webhook URL contains a password",
                (*view.body_path, "url"),
                hint="Move the URL to a webhook channel in workspace.yaml and write the "
                "password as a `${ENV_VAR}` reference there.",
            )


def _check_channel_use(checker: Checker, name: str, action: str, path: JsonPath) -> None:
    channels = checker.workspace.channels if checker.workspace else {}
    channel = channels.get(name)
    if channel is None:
        checker.add(
            "unknown-channel",
            f"there is no channel `{name}` in workspace.yaml",
            path,
            hint=sentence(did_you_mean(name, channels), f"channels: {listing(channels)}."),
        )
        return
    if action == "send" and channel.message not in MESSAGE_KINDS:
        fitting = [n for n, c in channels.items() if c.message in MESSAGE_KINDS]
        checker.add(
            "channel-message-mismatch",
            f"channel `{name}` carries {channel.message} calls, not messages a `send` can use",
            path,
            hint=f"Use an email, sms or push channel: {listing(fitting)}.",
        )
    elif action == "webhook" and channel.message != "webhook":
        fitting = [n for n, c in channels.items() if c.message == "webhook"]
        checker.add(
            "channel-message-mismatch",
            f"channel `{name}` carries {channel.message} messages, not webhook calls",
            path,
            hint=f"Use a channel with `message: webhook`: {listing(fitting)}; "
            "or a `send` step for messages.",
        )


def check_channel_settings(checker: Checker, root: Path) -> None:
    """`invalid-channel-setting` wherever `journey run` would refuse a channel: the
    daemon's own builders run here (journey.channels.check_channel)."""
    workspace_base = checker.data.get("unsubscribe_base_url")
    workspace_base = workspace_base if isinstance(workspace_base, str) else None
    for name, config in build_channels(checker.data.get("channels")).items():
        try:
            check_channel(config, root=root, unsubscribe_base_url=workspace_base)
        except SettingError as exc:
            if exc.unknown:
                continue  # the schema pass says `unknown-key`, with a did-you-mean
            if exc.code == "unsubscribe-url-not-https":
                _not_https(checker, name, config.settings, exc.problem, workspace_base)
                continue
            checker.add(
                "invalid-channel-setting",
                exc.problem,
                ("channels", name, exc.key) if exc.key else ("channels", name),
                hint="`journey run` refuses to start with this channel; fix the setting.",
            )


def _not_https(
    checker: Checker,
    name: str,
    settings: dict[str, Any],
    problem: str,
    workspace_base: str | None,
) -> None:
    """Point at the base that is wrong: the channel's own, the workspace's, or the channel."""
    if "unsubscribe_base_url" in settings:
        path: JsonPath = ("channels", name, "unsubscribe_base_url")
    elif workspace_base is not None:
        path = ("unsubscribe_base_url",)
    else:
        path = ("channels", name)
    checker.add(
        "unsubscribe-url-not-https",
        f"channel `{name}` {problem}",
        path,
        hint="Set `unsubscribe_base_url: https://…` (in workspace.yaml or on the channel) to "
        "the public https address that reaches the daemon's /v1/unsubscribe/; the outbox "
        "needs none.",
    )


def check_channel_secrets(checker: Checker) -> None:
    """`literal-secret` for a secret-looking setting that is not an environment reference."""
    for name, config in mapping(checker.data.get("channels")).items():
        for path, value in walk(config, ("channels", name)):
            if isinstance(value, (dict, list)) or value is None or isinstance(value, bool):
                continue
            key = next((part for part in reversed(path) if isinstance(part, str)), "")
            if _is_literal_secret(key, value):
                checker.add(
                    "literal-secret",
                    f"channel `{name}` has a literal secret in `{key}`",
                    path,
                    hint=f"Secrets never go into git: write `${{{_env_name(name, key)}}}` and "
                    "set that environment variable where `journey run` runs.",
                )
            elif isinstance(value, str) and _url_has_password(value):
                checker.add(
                    "literal-secret",
                    f"channel `{name}` has a password inside the URL in `{key}`",
                    path,
                    hint="Write the password as a `${ENV_VAR}` reference.",
                )


def _is_literal_secret(key: str, value: Any) -> bool:
    if not _SECRET_KEY.search(key) or key.lower().endswith("_env"):
        return False
    if isinstance(value, str):
        return bool(value.strip()) and not _ENV_ONLY.match(value.strip())
    return True  # a number as a password or token is still a literal


def _url_has_password(url: str) -> bool:
    match = _URL_PASSWORD.search(url)
    return bool(match and not _ENV_ONLY.match(match.group("password")))


def _env_name(channel: str, key: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", f"{channel}_{key}".upper()).strip("_")

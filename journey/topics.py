"""Subscription topics from workspace.yaml: what a contact may opt out of, by name.

```yaml
topics:
  product_news: { title: { en: Product news, de: Produktneuigkeiten }, default: subscribed }
```

A send naming `topic:` goes only to contacts subscribed to it on that kind of
message (their own choice, else the topic's `default`). The titles are what
the preference centre shows, in the contact's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

TopicDefault = Literal["subscribed", "unsubscribed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Topic:
    name: str
    title: dict[str, str] = field(default_factory=dict)  # locale -> title
    default: TopicDefault = "subscribed"

    @property
    def subscribed_by_default(self) -> bool:
        return self.default == "subscribed"

    def title_in(self, locale: str | None) -> str:
        """The title in the locale closest to `locale`, else the first given, else the name."""
        if not self.title:
            return self.name.replace("_", " ").capitalize()
        if len(self.title) == 1:
            return next(iter(self.title.values()))
        from journey.renderer.locale import negotiate_locale  # Babel: only when asked

        chosen = negotiate_locale(locale, tuple(self.title))
        return self.title.get(chosen) or next(iter(self.title.values()))


def build_topics(value: Any) -> dict[str, Topic]:
    """`topics:` -> name -> Topic; wrong shapes are skipped (the schema pass reports them)."""
    if not isinstance(value, Mapping):
        return {}
    topics = {}
    for name, item in value.items():
        if not isinstance(name, str):
            continue
        item = item if isinstance(item, Mapping) else {}
        title = item.get("title")
        if isinstance(title, str):
            titles = {"": title}
        elif isinstance(title, Mapping):
            titles = {str(k): str(v) for k, v in title.items() if isinstance(v, str)}
        else:
            titles = {}
        default: TopicDefault = (
            "unsubscribed" if item.get("default") == "unsubscribed" else "subscribed"
        )
        topics[name] = Topic(name=name, title=titles, default=default)
    return topics

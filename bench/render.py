"""Benchmark: render a localized email for 10,000 contacts.

The email has 3 parts (subject, HTML body extending a layout, text body), uses
5 Babel filters and 2 translated blocks, and goes to contacts in en_US, en_GB,
sv_SE, zh_CN and de_DE across five time zones. Reported: messages per second
through `journey.renderer.Renderer`, and the ratio to plain Jinja2 rendering
the same template text in the same run, without i18n (an ordinary
`jinja2.Environment`, null translations, no sandbox, formatting with Python's
own str/strftime instead of Babel). A second baseline keeps Babel's filters at
one fixed locale, to show what the sandbox and per-contact locale cost alone.

    python -m bench.render [--contacts 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from babel import dates, numbers

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from journey.model import Contact
from journey.renderer import Renderer

LAYOUT = """<!doctype html>
<html lang="{{ locale }}"><body>
{% block content %}{% endblock %}
<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
</body></html>
"""
SUBJECT = "{% trans name=contact.first_name %}Your order, {{ name }}{% endtrans %}\n"
PLURAL = (
    "{% trans count=entry.properties.bags %}You ordered {{ count }} bag of coffee."
    "{% pluralize %}You ordered {{ count }} bags of coffee.{% endtrans %}"
)
BODY_HTML = """{% extends "layouts/base.html" %}
{% block content %}
<h1>{% trans name=contact.first_name %}Your order, {{ name }}{% endtrans %}</h1>
<p>{PLURAL}</p>
<p>{{ entry.timestamp|format_date('long') }} {{ entry.timestamp|format_time }}</p>
<p>{{ entry.properties.total|format_currency(entry.properties.currency) }}</p>
<p>{{ contact.points|format_number }} · {{ entry.properties.discount|format_percent }}</p>
{% endblock %}
""".replace("{PLURAL}", PLURAL)
BODY_TXT = """{% trans name=contact.first_name %}Your order, {{ name }}{% endtrans %}

{PLURAL}
{{ entry.timestamp|format_date('long') }} {{ entry.timestamp|format_time }}
{{ entry.properties.total|format_currency(entry.properties.currency) }}
{{ contact.points|format_number }} · {{ entry.properties.discount|format_percent }}
""".replace("{PLURAL}", PLURAL)
CATALOGS = {
    "sv": (
        "nplurals=2; plural=(n != 1);",
        [
            ("Your order, %(name)s", "Din beställning, %(name)s"),
            (
                ("You ordered %(count)s bag of coffee.", "You ordered %(count)s bags of coffee."),
                ("Du beställde %(count)s påse kaffe.", "Du beställde %(count)s påsar kaffe."),
            ),
        ],
    ),
    "zh_Hans": (
        "nplurals=1; plural=0;",
        [
            ("Your order, %(name)s", "%(name)s，您的订单"),
            (
                ("You ordered %(count)s bag of coffee.", "You ordered %(count)s bags of coffee."),
                ("您订购了 %(count)s 袋咖啡。",),
            ),
        ],
    ),
}
PEOPLE = [
    ("en_US", "America/New_York", "USD"),
    ("en_GB", "Europe/London", "GBP"),
    ("sv_SE", "Europe/Stockholm", "SEK"),
    ("zh_CN", "Asia/Shanghai", "CNY"),
    ("de_DE", "Europe/Berlin", "EUR"),
]


def write_workspace(root: Path) -> None:
    (root / "templates" / "layouts").mkdir(parents=True)
    (root / "templates" / "orders" / "confirmation").mkdir(parents=True)
    (root / "templates" / "layouts" / "base.html").write_text(LAYOUT, encoding="utf-8")
    folder = root / "templates" / "orders" / "confirmation"
    for name, text in (("subject.txt", SUBJECT), ("body.html", BODY_HTML), ("body.txt", BODY_TXT)):
        (folder / name).write_text(text, encoding="utf-8")
    for locale, (plural_forms, entries) in CATALOGS.items():
        po = root / "locales" / locale / "LC_MESSAGES" / "messages.po"
        po.parent.mkdir(parents=True)
        lines = ['msgid ""', 'msgstr ""', f'"Plural-Forms: {plural_forms}\\n"', ""]
        for msgid, msgstr in entries:
            if isinstance(msgid, tuple):
                lines += [f'msgid "{msgid[0]}"', f'msgid_plural "{msgid[1]}"']
                lines += [f'msgstr[{i}] "{form}"' for i, form in enumerate(msgstr)]
            else:
                lines += [f'msgid "{msgid}"', f'msgstr "{msgstr}"']
            lines.append("")
        po.write_text("\n".join(lines), encoding="utf-8")


def make_contacts(count: int) -> list[tuple[Contact, dict[str, Any]]]:
    start = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    people = []
    for index in range(count):
        locale, zone, currency = PEOPLE[index % len(PEOPLE)]
        contact = Contact(
            id=f"c-{index}",
            email=f"c{index}@example.com",
            locale=locale,
            timezone=zone,
            attributes={"first_name": f"Name{index}", "points": 1000 + index},
        )
        entry = {
            "name": "order_placed",
            "timestamp": start + timedelta(minutes=7 * index),
            "properties": {
                "bags": index % 4 + 1,
                "total": 199.5 + index,
                "currency": currency,
                "discount": 0.15,
            },
        }
        people.append((contact, entry))
    return people


def context_for(entry: dict[str, Any], index: int) -> dict[str, Any]:
    return {
        "entry": entry,
        "journey": {"id": "orders", "name": "Orders", "kind": "loyalty"},
        "unsubscribe_url": f"https://example.com/u/{index}",
        "message_id": f"m-{index}",
    }


def run_journey(root: Path, people: list[tuple[Contact, dict[str, Any]]]) -> float:
    renderer = Renderer(root / "templates", root / "locales")
    now = datetime(2026, 3, 29, 12, tzinfo=UTC)
    started = time.process_time()
    for index, (contact, entry) in enumerate(people):
        renderer.render(
            template="orders/confirmation",
            message="email",
            contact=contact,
            locales=("en", "sv", "zh_Hans"),
            context=context_for(entry, index),
            now=now,
        )
    return time.process_time() - started


def plain_filters() -> dict[str, Callable[..., str]]:
    """What a template author would write without i18n: Python's own formatting."""
    return {
        "format_date": lambda v, f="medium": v.strftime("%B %d, %Y"),
        "format_time": lambda v, f="short": v.strftime("%H:%M"),
        "format_currency": lambda v, c: f"{v:,.2f} {c}",
        "format_number": lambda v: f"{v:,}",
        "format_percent": lambda v: f"{v:.0%}",
    }


def babel_filters() -> dict[str, Callable[..., str]]:
    """Babel at one fixed locale and zone: i18n-free, but the same formatting work."""
    return {
        "format_date": lambda v, f="medium": dates.format_date(v, f, locale="en_US"),
        "format_time": lambda v, f="short": dates.format_time(v, f, tzinfo=UTC, locale="en_US"),
        "format_currency": lambda v, c: numbers.format_currency(v, c, locale="en_US"),
        "format_number": lambda v: numbers.format_decimal(v, locale="en_US"),
        "format_percent": lambda v: numbers.format_percent(v, locale="en_US"),
    }


def run_plain(
    root: Path, people: list[tuple[Contact, dict[str, Any]]], filters: dict[str, Callable[..., str]]
) -> float:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root / "templates")),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.policies["ext.i18n.trimmed"] = True
    env.filters.update(filters)
    parts = [
        env.get_template(f"orders/confirmation/{n}")
        for n in ("subject.txt", "body.html", "body.txt")
    ]
    started = time.process_time()
    for index, (contact, entry) in enumerate(people):
        variables = context_for(entry, index)
        variables.update(contact={"id": contact.id, **contact.attributes}, locale="en", now=None)
        for part in parts:
            part.render(variables)
    return time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    people = make_contacts(args.contacts)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_workspace(root)
        run_journey(root, people[:200])  # warm caches: compiled templates, catalogs, locales
        ours, plain, babel = [], [], []
        for _ in range(args.repeat):
            ours.append(run_journey(root, people))
            plain.append(run_plain(root, people, plain_filters()))
            babel.append(run_plain(root, people, babel_filters()))
    best_ours, best_plain, best_babel = min(ours), min(plain), min(babel)
    rate = args.contacts / best_ours
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print(
        f"journey renderer:       {rate:,.0f} messages/s ({best_ours:.2f} s for {args.contacts:,})"
    )
    print(f"plain Jinja2, no i18n:  {args.contacts / best_plain:,.0f} messages/s")
    print(f"plain Jinja2 + Babel:   {args.contacts / best_babel:,.0f} messages/s (fixed en_US)")
    print(f"overhead vs plain Jinja2:        {best_ours / best_plain:.2f}x (target <= 2x)")
    print(f"overhead vs Jinja2 + fixed Babel: {best_ours / best_babel:.2f}x")
    print(f"median of {args.repeat}: ours {statistics.median(ours):.2f} s")
    return 0 if rate >= 5_000 else 1


if __name__ == "__main__":
    raise SystemExit(main())

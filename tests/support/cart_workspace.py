"""An abandoned-cart workspace as a marketer writes it: an event with an example
payload, a reminder that lists the cart's items, and a German translation."""

from __future__ import annotations

from pathlib import Path

WORKSPACE = """\
default_locale: en
contact_attributes:
  first_name: string
events:
  cart_abandoned:
    items: list
    total: number
    currency: string
    example:
      items: [{ name: Espresso beans, quantity: 2 }, { name: Grinder, quantity: 1 }]
      total: 64.5
      currency: EUR
  order_placed: { total: number }
"""

JOURNEY = """\
id: cart-reminder
name: Cart reminder
kind: reactivation
locales: [en, de]
trigger: { event: cart_abandoned }
exit_when:
  - event: order_placed
steps:
  - id: remind
    send: { channel: email, template: cart/reminder }
"""

SUBJECT = "{% trans %}You left something behind{% endtrans %}\n"
BODY = """\
{% for item in entry.properties.items %}- {{ item.quantity }} × {{ item.name }}
{% endfor %}
{% trans total=entry.properties.total|format_currency(entry.properties.currency) %}\
Your cart comes to {{ total }}.{% endtrans %}
{% trans when=entry.timestamp|format_date('long') %}Saved on {{ when }}.{% endtrans %}
"""

BODY_HTML = """\
<ul>{% for item in entry.properties.items %}
<li>{{ item.quantity }} × {{ item.name }}</li>{% endfor %}</ul>
<p>{% trans total=entry.properties.total|format_currency(entry.properties.currency) %}\
Your cart comes to {{ total }}.{% endtrans %}</p>
"""

CATALOG = """\
msgid ""
msgstr ""
"Language: de\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "You left something behind"
msgstr "Sie haben etwas vergessen"

#, python-format
msgid "Your cart comes to %(total)s."
msgstr "Ihr Warenkorb: %(total)s."

#, python-format
msgid "Saved on %(when)s."
msgstr "Gespeichert am %(when)s."
"""

TEST = """\
journey: cart-reminder
cases:
  - name: the reminder lists the cart
    start: 2026-03-02T10:00:00Z
    contact: { id: c1, email: a@example.com, locale: de, consent: { email: true } }
    events:
      - name: cart_abandoned
        after: 0s
        properties: { items: [{ name: Mug, quantity: 1 }], total: 12.5, currency: EUR }
    expect:
      - { send: remind, at: "2026-03-02T10:00:00Z", text_contains: "1 × Mug" }
      - { exit: completed }
"""


def write_cart_workspace(root: Path, *, catalog: str = CATALOG, body: str = BODY) -> Path:
    """The workspace under `root`; returns the journey file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "workspace.yaml").write_text(WORKSPACE, encoding="utf-8")
    (root / "journeys").mkdir(parents=True, exist_ok=True)
    journey = root / "journeys" / "cart.yaml"
    journey.write_text(JOURNEY, encoding="utf-8")
    folder = root / "templates" / "cart" / "reminder"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "subject.txt").write_text(SUBJECT, encoding="utf-8")
    (folder / "body.txt").write_text(body, encoding="utf-8")
    (folder / "body.html").write_text(BODY_HTML, encoding="utf-8")
    po = root / "locales" / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_text(catalog, encoding="utf-8")
    (root / "journeys" / "cart.test.yaml").write_text(TEST, encoding="utf-8")
    return journey

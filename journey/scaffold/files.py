"""The text of the files `journey init` writes (modelines are added by create.py)."""

from __future__ import annotations

from journey import __version__

WORKSPACE = """\
# The workspace: settings every journey shares. Every key has a default;
# docs/dsl-reference.md lists them all.
default_locale: en
default_timezone: UTC

# With no `channels:` key, email, sms and push write to an outbox file
# (.journey/outbox.jsonl) instead of sending: safe while you try things out.

# Declared attributes and events let `journey validate` catch typos such as
# contact.frist_name or entry.properties.plna before anything is sent.
contact_attributes:
  first_name: string
  plan: string

events:
  signed_up:
    plan: string
    # What a typical event looks like: preview, the review site and the render
    # check of `journey validate` use it.
    example: { plan: trial }
  account_deleted: {}
"""

JOURNEY = """\
id: welcome
name: Welcome
kind: onboarding
owner: you
locales: [en, sv]        # the first is the fallback

trigger:
  event: signed_up
exit_when:
  - event: account_deleted

steps:
  - id: welcome
    send: { channel: email, template: welcome }
"""

JOURNEY_TEST = """\
journey: welcome
cases:
  - name: A Swedish trial user gets the welcome in Swedish at once
    start: 2026-03-02T09:00:00Z
    contact: { id: c1, email: astrid@example.com, locale: sv_SE, consent: { email: true },
               first_name: Astrid }
    events:
      - { after: 0s, name: signed_up, properties: { plan: trial } }
    expect:
      - { send: welcome, at: "2026-03-02T09:00:00Z", locale: sv, subject_contains: "Välkommen" }
      - { exit: completed }

  - name: A contact without email consent is not sent anything
    start: 2026-03-02T09:00:00Z
    contact: { id: c2, email: sam@example.com, locale: en }
    events:
      - { after: 0s, name: signed_up }
    expect:
      - { skip: welcome, reason: suppressed }
      - { exit: completed }
"""

SUBJECT = "{% trans %}Welcome aboard{% endtrans %}\n"
PREHEADER = "{% trans %}Three things to try first.{% endtrans %}\n"
BODY_TEXT = """\
{% if contact.first_name %}{% trans name=contact.first_name %}Hi {{ name }},\
{% endtrans %}{% else %}{% trans %}Hi there,{% endtrans %}{% endif %}

{% trans plan=entry.properties.plan|default('trial', true) %}\
Thank you for starting your {{ plan }}. Here is what to try first.{% endtrans %}

{% trans %}Unsubscribe{% endtrans %}: {{ unsubscribe_url }}
"""
BODY_HTML = """\
<!doctype html>
<html lang="{{ locale|replace('_', '-') }}">
<body>
<p>{% if contact.first_name %}{% trans name=contact.first_name %}Hi {{ name }},\
{% endtrans %}{% else %}{% trans %}Hi there,{% endtrans %}{% endif %}</p>
<p>{% trans plan=entry.properties.plan|default('trial', true) %}\
Thank you for starting your {{ plan }}. Here is what to try first.{% endtrans %}</p>
<p><a href="{{ unsubscribe_url }}">{% trans %}Unsubscribe{% endtrans %}</a></p>
</body>
</html>
"""

CATALOG_SV = """\
# Swedish translations of the workspace's messages. Regenerate the template
# with `journey i18n extract`; check coverage with `journey i18n check`.
msgid ""
msgstr ""
"Language: sv\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Welcome aboard"
msgstr "Välkommen ombord"

msgid "Three things to try first."
msgstr "Tre saker att prova först."

#, python-format
msgid "Hi %(name)s,"
msgstr "Hej %(name)s,"

msgid "Hi there,"
msgstr "Hej,"

#, python-format
msgid "Thank you for starting your %(plan)s. Here is what to try first."
msgstr "Tack för att du har börjat din %(plan)s. Här är vad du kan prova först."

msgid "Unsubscribe"
msgstr "Avregistrera"
"""

GITIGNORE = """\
# The state store holds contacts' addresses and history: never commit it.
.journey/
state.db
state.db-*
*.db-journal
# The review site (`journey site --out site`)
/site/
"""

PRE_COMMIT = """\
# `pip install pre-commit && pre-commit install` once per clone; then every
# commit is validated and tested with the journey installed in your shell.
repos:
  - repo: local
    hooks:
      - id: journey-validate
        name: journey validate
        entry: journey validate
        language: system
        files: ^(journeys/.*\\.ya?ml|templates/.*|locales/.*\\.po|workspace\\.yaml)$
        pass_filenames: false
      - id: journey-test
        name: journey test
        entry: journey test
        language: system
        files: ^(journeys/.*\\.ya?ml|templates/.*|locales/.*\\.po|workspace\\.yaml)$
        pass_filenames: false
"""

WORKFLOW = f"""\
# Validates every journey (problems appear as annotations on the pull request's
# files) and runs the journey tests, on every push and pull request.
name: journeys
on: [push, pull_request]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {{ python-version: "3.12" }}
      - name: Install journey
        run: python -m pip install "journey=={__version__}"
      - name: journey validate
        run: journey validate --format github
      - name: journey test
        run: journey test
"""

README = """\
# Journeys

Customer-lifecycle journeys, validated and tested before they reach anyone.

    journey validate                  # every journey, template and translation
    journey test                      # the *.test.yaml files, on a virtual clock
    journey preview journeys/welcome.yaml --step welcome \\
        --contact '{"id": "c1", "email": "a@example.com", "locale": "sv"}'
    journey run --once                # do what is due now (outbox channels)

`.journey/` holds the state store and the outbox; it is in `.gitignore`.
"""

"""Valid documents that use every key of each schema; tests mutate and break them."""

KITCHEN_SINK = """\
id: onboarding-welcome
name: Welcome series
kind: onboarding
category: marketing
description: First two weeks of a new trial user.
owner: growth-team
status: active
locales: [en, sv, zh_Hans]
timezone: UTC
trigger:
  event: signed_up
  where: event.properties.plan == 'trial'
audience: contact.country in ['SE', 'CN', 'US']
reentry: 90d
exit_when:
  - event: account_deleted
  - event: plan_changed
    where: event.properties.plan == 'free'
  - contact.unsubscribed
goal: { event: subscription_started, within: 14d, exit: no }
quiet_hours: { start: "21:00", end: "08:00" }
frequency_cap: { max: 3, per: 7d, on_cap: defer, max_defer: 2d }
max_trigger_age: 12h
on_change: migrate
steps:
  - id: welcome
    name: Welcome mail
    description: Sent at once.
    send: { channel: email, template: onboarding/welcome }
  - id: pause
    wait: 1d12h
  - id: morning
    wait_until: { time: 9:30, days: [mon, tue, wed, thu, fri] }
  - id: activated
    branch:
      - if: has_event('project_created')
        goto: celebrate
      - else: nudge
  - id: nudge
    wait_for: { event: project_created, where: "event.properties.size > 1", timeout: 3d,
                on_timeout: reminder }
    next: celebrate
  - id: reminder
    send: { channel: sms, template: onboarding/reminder }
    next: end
  - id: celebrate
    split:
      - { weight: 90, goto: congrats }
      - { weight: 10, goto: end, name: control }
  - id: congrats
    send: { channel: push, template: onboarding/congrats }
  - id: tag
    update: { lifecycle_stage: activated, vip: true, legacy: null, tags: [a, b],
              points: { expr: "contact.points + 50" } }
  - id: crm
    webhook: { channel: crm, path: /hooks/activated, body: { contact: "{{ contact.id }}" },
               on_failure: exit }
  - id: notify
    webhook: { url: "https://hooks.example.com/x" }
  - id: bye
    exit: not_interested
"""

OTHER_TRIGGERS = [
    "trigger: { event: signed_up }",
    "trigger: { segment: contact.plan == 'trial', include_existing: yes, recheck: 30m }",
    "trigger: { date: { attribute: birthday, offset: -7d, at: '09:00', repeat: yearly,"
    " catch_up: 2d } }",
    "trigger: { schedule: { cron: '0 9 * * MON', timezone: contact } }\naudience: 'true'",
    "trigger: { inactivity: { event: session_started, for: 30d } }",
]

WORKSPACE = """\
default_locale: en
default_timezone: Europe/Stockholm
channels:
  email: { kind: smtp, message: email, host: smtp.example.com, port: 587, starttls: yes,
           ssl: false, username: "${SMTP_USER}", password: "${SMTP_PASSWORD}",
           from: "Acme <hello@acme.example>", reply_to: help@acme.example, timeout: 5,
           unsubscribe_base_url: "https://acme.example/u", rate_limit: 50/s }
  crm: { kind: webhook, url: "https://crm.example/api", headers: { Authorization: "Bearer ${T}" },
         timeout: "${CRM_TIMEOUT}" }
  sms: { kind: outbox, message: sms, path: .journey/sms.jsonl, fsync: off }
frequency_cap: off
quiet_hours: { start: "21:00", end: "08:00" }
database: .journey/state.db
contact_attributes: { first_name: string, points: number, vip: boolean, birthday: date,
                      trial_ends_at: datetime, tags: list }
events:
  signed_up: { plan: string }
  order_placed: { total: number, items: list, address: object }
event_retention: 400d
max_trigger_age: 24h
segment_recheck: 1h
max_defer: 3d
http: { host: 127.0.0.1, port: 8080, token_env: JOURNEY_API_TOKEN, max_body_bytes: 1048576,
        max_connections: 64 }
unsubscribe_base_url: "https://acme.example/unsubscribe"
"""

JOURNEY_TEST = """\
journey: onboarding-welcome
description: The welcome series.
cases:
  - name: Swedish trial user gets the welcome mail at once and the reminder after DST
    start: 2026-03-27T08:00:00Z
    contact: { id: c1, email: a@example.com, phone: "+46701234567", locale: sv_SE,
               timezone: Europe/Stockholm, created_at: 2026-03-01T10:00:00Z,
               consent: { email: yes, sms: no }, country: SE, vip: yes }
    events:
      - { after: -3d, name: session_started }
      - { after: 0s, name: signed_up, id: evt-1, properties: { plan: trial } }
      - { after: 2d, contact: { plan: paid, vip: null } }
    run_for: 30d
    match: subsequence
    expect:
      - { send: welcome, at: "2026-03-27T09:00:00+01:00", locale: sv, channel: email,
          subject_contains: "Välkommen", text_contains: Hej }
      - { skip: reminder, reason: capped }
      - { in_flight: nudge }
      - { exit: completed }
"""

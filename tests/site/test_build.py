"""The built site: one page per journey, self-contained, localized, escaped."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from journey.model import SendStep
from journey.samples import SampleContact, sample_contacts
from journey.site import SiteReport, build_site
from tests.site.conftest import BUILT_AT, ROOT
from tests.site.html_facts import PageFacts, all_urls, leaves_the_site

EXAMPLES = sorted(
    p for p in (ROOT / "journeys" / "examples").glob("*.yaml") if not p.name.endswith(".test.yaml")
)


def page(report: SiteReport, slug: str) -> str:
    return (report.out_dir / "journeys" / f"{slug}.html").read_text(encoding="utf-8")


def test_one_page_per_example_journey_and_an_index(example_site: SiteReport) -> None:
    pages = sorted(p.name for p in (example_site.out_dir / "journeys").glob("*.html"))
    assert len(pages) == len(EXAMPLES) == 9
    assert pages == sorted(f"{j.slug}.html" for j in example_site.journeys)
    index = (example_site.out_dir / "index.html").read_text(encoding="utf-8")
    for info in example_site.journeys:
        assert f'href="journeys/{info.slug}.html"' in index
    assert example_site.problem_count == 0


def test_no_page_refers_to_anything_outside_the_site(example_site: SiteReport) -> None:
    files = [example_site.out_dir / "index.html", *(example_site.out_dir / "journeys").glob("*")]
    checked = 0
    for file in files:
        urls = all_urls(file.read_text(encoding="utf-8"))
        outside = [u for u in urls if leaves_the_site(u)]
        assert outside == [], f"{file.name} refers to {outside[:3]}"
        checked += len(urls)
    assert checked > 100  # the parser did see the links (and the disarmed email links)
    for asset in (example_site.out_dir / "assets").iterdir():
        assert not re.search(r"https?://|//[a-z]", asset.read_text(encoding="utf-8")), asset


def test_email_links_and_tracking_pixel_are_disarmed_but_shown() -> None:
    from journey.site.offline import BLANK_IMAGE, offline_html

    html = (
        '<p><a href="https://shop.example/x?a=1&amp;b=2" style="color:red">Buy</a>'
        '<a href="#top">Top</a><img src="https://t.example/o.gif" width="1">'
        '<td style="background:url(https://x.example/bg.png)">x</td></p>'
    )
    result = offline_html(html)
    assert all(not leaves_the_site(u) for u in all_urls(result))
    assert 'title="Links to https://shop.example/x?a=1&amp;b=2"' in result
    assert '<a href="#top">Top</a>' in result and BLANK_IMAGE in result
    assert ">Buy</a>" in result and 'style="color:red"' in result


def test_every_send_step_has_a_preview_per_locale_with_its_lang(example_site: SiteReport) -> None:
    info = next(j for j in example_site.journeys if j.journey_id == "onboarding-welcome")
    assert info.plan is not None
    html = page(example_site, info.slug)
    sends = [s for s in info.plan.steps if isinstance(s, SendStep)]
    for step in sends:
        assert f'id="message-{step.id}"' in html
    facts = PageFacts()
    facts.feed(html)
    bodies = [lang for cls, lang in facts.langs if "preview-body" in cls]
    # three sample contacts in each of en, sv, zh_Hans, for every send step
    assert sorted(set(bodies)) == ["en", "sv", "zh-Hans"]
    assert bodies.count("zh-Hans") == bodies.count("sv") == bodies.count("en") == 3 * len(sends)
    assert re.search(r'<html lang="en">', html)
    groups = re.findall(r'data-preview-locale="([^"]+)"', html)
    assert groups.count("zh_Hans") == len(sends)
    assert "Välkommen" in html and "欢迎" in html


def test_each_step_is_a_node_in_the_diagram(example_site: SiteReport) -> None:
    for info in example_site.journeys:
        assert info.plan is not None and info.diagram is not None
        svg = page(example_site, info.slug).split('<svg class="diagram"')[1].split("</svg>")[0]
        nodes = re.findall(r'data-step="([^"]+)"', svg)
        assert sorted(nodes) == sorted(s.id for s in info.plan.steps)
        assert svg.count("<title>") >= len(nodes)
        assert 'data-node="trigger"' in svg


def test_tests_and_forecast_are_on_the_page(example_site: SiteReport) -> None:
    info = next(j for j in example_site.journeys if j.journey_id == "onboarding-welcome")
    assert info.tests is not None and info.tests.failed == 0 and info.tests.passed >= 3
    assert info.forecast is not None and info.forecast.total > 0
    html = page(example_site, info.slug)
    assert html.count('class="case pass"') == info.tests.passed
    assert f"<strong>{info.forecast.total}</strong> messages were sent" in html
    bars = re.findall(r'<rect [^>]*data-step="([^"]+)"><title>Day', html)
    assert set(bars) <= {s.id for s in info.plan.steps if isinstance(s, SendStep)} and bars


def test_contact_data_is_escaped_in_page_text(tmp_path: Path) -> None:
    evil = "<img src=x onerror=alert(1)>"
    samples = sample_contacts({"first_name": "string", "country": "string"}, BUILT_AT)[:1]
    contact = samples[0].contact
    hostile = type(contact)(
        id=contact.id,
        email=contact.email,
        locale=contact.locale,
        timezone=contact.timezone,
        consent=contact.consent,
        attributes={**contact.attributes, "first_name": evil},
    )
    report = build_site(
        ROOT,
        tmp_path,
        [ROOT / "journeys" / "examples" / "onboarding.yaml"],
        now=BUILT_AT,
        samples=[SampleContact(hostile, evil, "en-US")],
        population=5,
    )
    html = page(report, report.journeys[0].slug)
    assert evil not in html
    assert "For &lt;img src=x onerror=alert(1)&gt;" in html  # the sample's name
    assert "Hi &lt;img src=x onerror=alert(1)&gt;," in html  # the plain-text part
    facts = PageFacts()
    facts.feed(html)
    assert not any(evil in doc for doc in facts.srcdocs)  # the email escaped it too


def test_a_broken_journey_gets_a_page_listing_its_problems(tmp_path: Path) -> None:
    for name in ("workspace.yaml", "templates", "locales"):
        source = ROOT / name
        target = tmp_path / name
        shutil.copytree(source, target) if source.is_dir() else shutil.copy(source, target)
    journeys = tmp_path / "journeys"
    journeys.mkdir()
    text = (ROOT / "journeys" / "examples" / "loyalty_birthday.yaml").read_text(encoding="utf-8")
    (journeys / "birthday.yaml").write_text(text.replace("next: end", "next: nowhere"))
    (journeys / "typo.yaml").write_text("id: typo\nname: Typo\nkind: loyalty\nstepz: []\n")
    report = build_site(tmp_path, tmp_path / "out", now=BUILT_AT, population=5)
    broken = next(j for j in report.journeys if j.journey_id == "typo")
    assert broken.plan is None and broken.errors
    html = page(report, broken.slug)
    assert "cannot be compiled" in html and broken.errors[0].code in html
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert f"<code>{broken.errors[0].code}</code>" in index

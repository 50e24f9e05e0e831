"""The built site in a real headless Chromium (Debian's, driven by Playwright).

Never `playwright install`: the browser is /usr/bin/chromium, which .ci/run
installs. In CI a missing browser fails the run instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from journey.model import SendStep
from journey.site import SiteReport
from journey.site.serve import SiteServer
from tests.site.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_browser() -> Any:
    if os.environ.get("CI"):
        assert CHROMIUM.exists(), "CI needs /usr/bin/chromium (apt-get install chromium)"
        from playwright.sync_api import sync_playwright
    else:
        sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
        sync_playwright = sync_api.sync_playwright
        if not CHROMIUM.exists():
            pytest.skip("no /usr/bin/chromium here: apt-get install chromium")
    return sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def served(example_site: SiteReport) -> Iterator[str]:
    server = SiteServer(example_site.out_dir, port=0).start()
    yield server.url
    server.stop()


class PageWatch:
    """Console errors, page errors, failed requests and requests leaving the site."""

    def __init__(self, page: Any, origin: str) -> None:
        self.problems: list[str] = []
        self.origin = origin
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        page.on("response", self._response)
        page.on("request", self._request)

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _request(self, request: Any) -> None:
        if not request.url.startswith((self.origin, "data:", "about:")):
            self.problems.append(f"left the site: {request.url}")


@pytest.fixture(scope="module")
def visits(browser: Any, served: str, example_site: SiteReport) -> dict[str, Any]:
    """Every page loaded once: what went wrong, and the step ids its diagram shows."""
    page = browser.new_page()
    watch = PageWatch(page, served)
    nodes: dict[str, list[str]] = {}
    page.goto(served + "index.html", wait_until="load")
    links = page.locator("table.journeys a").count()
    for info in example_site.journeys:
        page.goto(f"{served}journeys/{info.slug}.html", wait_until="load")
        shown = page.locator("svg.diagram [data-step]")
        nodes[info.slug] = sorted(shown.evaluate_all("ns => ns.map(n => n.dataset.step)"))
    page.close()
    return {"problems": watch.problems, "links": links, "nodes": nodes}


def test_every_page_loads_without_errors_or_failed_requests(
    visits: dict[str, Any], example_site: SiteReport
) -> None:
    assert visits["problems"] == []
    assert visits["links"] == len(example_site.journeys) == len(visits["nodes"])


def test_the_site_works_from_file_urls(browser: Any, example_site: SiteReport) -> None:
    page = browser.new_page()
    watch = PageWatch(page, "file://")
    page.goto((example_site.out_dir / "index.html").as_uri())
    page.locator("table.journeys a", has_text="Trial welcome series").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Trial welcome series"
    header = page.locator(".site-header").evaluate("h => getComputedStyle(h).backgroundColor")
    assert header == "rgb(36, 41, 47)"  # the stylesheet loaded from file://
    assert watch.problems == []
    page.close()


def test_the_diagram_has_a_node_per_step(
    visits: dict[str, Any], browser: Any, served: str, example_site: SiteReport
) -> None:
    for info in example_site.journeys:
        assert info.plan is not None
        assert visits["nodes"][info.slug] == sorted(s.id for s in info.plan.steps)
    page = browser.new_page()
    page.goto(f"{served}journeys/loyalty-birthday.html", wait_until="domcontentloaded")
    page.locator('svg.diagram [data-step="treat-reminder"] a').click()
    assert page.evaluate("location.hash") == "#step-treat-reminder"
    assert page.locator("#step-treat-reminder").is_visible()
    page.close()


def _visible_text(page: Any, selector: str) -> str:
    return str(page.locator(selector).inner_text())


def test_the_locale_switch_shows_swedish_and_chinese(browser: Any, served: str) -> None:
    page = browser.new_page()
    page.goto(f"{served}journeys/onboarding-welcome.html")
    welcome = "#message-welcome"
    assert "Welcome to Fika" in _visible_text(page, welcome)
    assert page.locator(f'{welcome} [data-preview-locale="sv"]').is_hidden()
    page.get_by_role("radio", name="svenska").check()
    swedish = _visible_text(page, welcome)
    assert "Välkommen" in swedish and "Welcome to Fika" not in swedish
    assert (
        page.locator(f'{welcome} [data-preview-locale="sv"] .preview-body').first.get_attribute(
            "lang"
        )
        == "sv"
    )
    page.get_by_role("radio", name="中文").check()
    chinese = _visible_text(page, welcome)
    assert "欢迎" in chinese and "Välkommen" not in chinese
    page.get_by_role("radio", name="All languages").check()
    everything = _visible_text(page, welcome)
    assert all(text in everything for text in ("Welcome to Fika", "Välkommen", "欢迎"))
    page.close()


def test_without_javascript_every_locale_is_shown(browser: Any, served: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{served}journeys/onboarding-welcome.html")
    text = _visible_text(page, "#message-welcome")
    assert all(t in text for t in ("Welcome to Fika", "Välkommen", "欢迎"))
    assert page.locator("[data-locale-switch]").is_hidden()
    context.close()


def test_keyboard_reaches_the_skip_link_and_the_diagram(browser: Any, served: str) -> None:
    page = browser.new_page()
    page.goto(f"{served}journeys/onboarding-welcome.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    focused: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.closest('[data-step]')?.dataset.step"))
    assert "welcome" in focused  # the diagram's nodes are real, focusable links
    page.close()


def test_screenshot_of_a_journey_page_is_kept(
    browser: Any, served: str, example_site: SiteReport
) -> None:
    info = next(j for j in example_site.journeys if j.journey_id == "onboarding-welcome")
    sends = [s for s in info.plan.steps if isinstance(s, SendStep)] if info.plan else []
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(f"{served}journeys/{info.slug}.html")
    ARTIFACTS.mkdir(exist_ok=True)
    top = ARTIFACTS / "site-journey-page.png"
    page.screenshot(path=str(top))
    page.get_by_role("radio", name="中文").check()
    page.evaluate("document.getElementById('messages').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / "site-journey-messages-zh.png"))
    page.close()
    assert top.stat().st_size > 20_000 and sends

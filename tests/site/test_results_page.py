"""`journey site --database`: a results page per journey, with inline SVG charts, in Chromium."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from journey.cli.main import main
from journey.site import SiteReport, build_site
from journey.site.serve import SiteServer
from tests.site.conftest import ROOT
from tests.site.test_browser import ARGS, CHROMIUM, PageWatch, _require_browser


@pytest.fixture(scope="module")
def results_site(tmp_path_factory: pytest.TempPathFactory) -> SiteReport:
    root = tmp_path_factory.mktemp("ws")
    for name in ("journeys", "templates", "locales"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "workspace.yaml", root / "workspace.yaml")
    with pytest.raises(SystemExit) as exit_info:
        main(["--workspace", str(root), "run", "--demo", "--days", "21"])
    assert exit_info.value.code in (0, None)
    out = tmp_path_factory.mktemp("site")
    examples = root / "journeys" / "examples"
    return build_site(
        root,
        out,
        [examples / "reactivation.yaml", examples / "engagement.yaml"],
        now=datetime(2026, 3, 16, 9, 0, tzinfo=UTC),
        population=20,
        database=root / ".journey" / "demo.db",
    )


def page_text(site: SiteReport, slug: str) -> str:
    return (site.out_dir / "journeys" / f"{slug}-results.html").read_text("utf-8")


def test_every_journey_gets_a_results_page_linked_from_its_own(results_site: SiteReport) -> None:
    for info in results_site.journeys:
        assert info.results is not None
        assert (results_site.out_dir / "journeys" / f"{info.slug}-results.html").exists()
        own = (results_site.out_dir / "journeys" / f"{info.slug}.html").read_text("utf-8")
        assert f'href="{info.slug}-results.html"' in own


def test_the_results_page_draws_funnel_arms_and_days_inline_without_a_cdn(
    results_site: SiteReport,
) -> None:
    html = page_text(results_site, "reactivation-winback")
    assert 'class="chart funnel"' in html and 'class="chart arms"' in html
    assert 'class="chart daily"' in html
    assert not re.search(r'(src|href)="https?://', html)
    assert 'data-arm="holdout"' in html and 'data-arm="treatment"' in html
    assert "Uplift over the holdout" in html and "Decision:" in html


def test_the_results_page_shows_churn_lifetime_value_and_a_retention_heat_map(
    results_site: SiteReport,
) -> None:
    html = page_text(results_site, "reactivation-winback")
    assert "Churned</th>" in html and "no order_placed or session_started for 30d" in html
    assert "Lifetime value (14 days)" in html and "Lifetime value per contact</th>" in html
    assert 'class="chart retention"' in html and "Monday to Sunday in Europe/Stockholm" in html


def test_without_a_database_there_is_no_results_page(
    example_site: SiteReport,
) -> None:
    assert not list((example_site.out_dir / "journeys").glob("*-results.html"))


def test_a_missing_database_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--workspace", str(ROOT), "site", "--out", str(tmp_path / "s"),
              "--database", str(tmp_path / "nothing.db")])  # fmt: skip
    assert exit_info.value.code == 2
    assert "no state store at" in capsys.readouterr().err


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def test_results_pages_render_in_chromium_with_a_bar_and_whisker_per_arm(
    browser: Any, results_site: SiteReport
) -> None:
    server = SiteServer(results_site.out_dir, port=0).start()
    try:
        page = browser.new_page()
        watch = PageWatch(page, server.url)
        for info in results_site.journeys:
            page.goto(f"{server.url}journeys/{info.slug}-results.html", wait_until="load")
            assert page.locator("h1").inner_text() == f"Results: {info.name}"
            assert page.locator("svg.chart.funnel").is_visible()
            assert info.results is not None
            for split in info.results["splits"]:
                chart = page.locator(f"#split-{split['step']} svg.chart.arms")
                names = chart.locator("[data-arm]").evaluate_all("ns => ns.map(n => n.dataset.arm)")
                assert names == [arm["name"] for arm in split["arms"]]
                assert chart.locator("path.whisker").count() == len(split["arms"])
                box = chart.bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 50
        assert watch.problems == []
        page.close()
    finally:
        server.stop()

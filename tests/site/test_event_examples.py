"""The review site renders messages with the declared event example, and its index
flags in red a journey whose messages or forecast fail although it validates."""

from __future__ import annotations

from pathlib import Path

from journey.samples import sample_contacts
from journey.site import build_site
from tests.site.conftest import BUILT_AT
from tests.support.cart_workspace import BODY, write_cart_workspace


def index_row(out: Path, journey_id: str) -> str:
    index = (out / "index.html").read_text(encoding="utf-8")
    start = index.index(f'data-journey="{journey_id}"')
    return index[start : index.index("</tr>", start)]


def test_cart_messages_render_from_the_example_and_the_forecast_has_no_errors(
    tmp_path: Path,
) -> None:
    write_cart_workspace(tmp_path / "ws")
    report = build_site(tmp_path / "ws", tmp_path / "site", now=BUILT_AT, population=20)
    (info,) = report.journeys
    assert info.render_failures == 0
    assert info.forecast_errors == 0
    assert info.forecast is not None and info.forecast.total > 0
    page = (tmp_path / "site" / "journeys" / f"{info.slug}.html").read_text(encoding="utf-8")
    assert "Espresso beans" in page and "Could not render" not in page
    assert "✓ valid" in index_row(tmp_path / "site", "cart-reminder")


def test_a_journey_whose_messages_fail_is_red_in_the_index(tmp_path: Path) -> None:
    """Validation renders for one sample contact; this template fails for every other."""
    first = sample_contacts({"first_name": "string"}, BUILT_AT)[0].contact.id
    broken = BODY + f"{{% if contact.id != '{first}' %}}{{{{ 1 // 0 }}}}{{% endif %}}\n"
    write_cart_workspace(tmp_path / "ws", body=broken)
    report = build_site(tmp_path / "ws", tmp_path / "site", now=BUILT_AT, population=20)
    (info,) = report.journeys
    assert info.problems == []  # validation alone does not see it
    assert info.render_failures > 0 and info.forecast_errors > 0
    row = index_row(tmp_path / "site", "cart-reminder")
    assert "✓ valid" not in row
    assert 'class="bad" data-sends-fail' in row
    assert f"{info.render_failures} previews could not render" in row
    assert f"forecast: {info.forecast_errors} contacts exit with error" in row

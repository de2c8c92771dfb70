"""The street map in Chromium: a server configured with a .pmtiles extract (built here) draws its
streets, parks and water through the pmtiles protocol, by byte ranges."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import harness
from tests.e2e.pages import map_url, open_map, pixels
from tests.fixtures.streets import write_street_archive

# The centre of the archive's one tile per zoom (not the street corner: tiles would split there).
HERE = (40.7200, -74.0100)
LAYER = "streets-test-city-{}"


@pytest.fixture(scope="module")
def street_server(
    e2e_database: str, frontend_dist: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[harness.Server]:
    archive = write_street_archive(tmp_path_factory.mktemp("streets") / "test-city.pmtiles", *HERE)
    with harness.run_server(e2e_database, frontend_dist, HAPPENINGS_BASEMAP__PMTILES_PATH=str(archive)) as running:
        yield running


@pytest.fixture
def page(browser: Any, street_server: harness.Server) -> Iterator[Any]:
    context = harness.browser_context(browser, street_server.base_url, viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def kinds(page: Any, layer: str) -> set[str]:
    features = page.evaluate(
        "(layer) => window.happenings.map.queryRenderedFeatures({layers: [layer]}).map((f) => f.properties.kind)",
        LAYER.format(layer),
    )
    return set(features)


def test_the_street_layers_draw_from_the_extract(page: Any, screenshots: Path) -> None:
    ranges: list[tuple[int, str | None]] = []
    page.on(
        "response",
        lambda r: ranges.append((r.status, r.headers.get("content-range"))) if ".pmtiles" in r.url else None,
    )
    open_map(page, map_url(*HERE, 14))
    style = page.evaluate("() => window.happenings.map.getStyle()")
    source = style["sources"]["streets-test-city"]
    assert source["type"] == "vector" and source["url"].endswith("/basemap/streets/test-city.pmtiles")
    assert kinds(page, "roads_major") == {"major_road"}
    assert kinds(page, "roads_minor") == {"minor_road"}
    assert kinds(page, "landuse_park") == {"park"}
    assert kinds(page, "water") == {"water"}
    # Every read of the archive was a byte range.
    assert ranges and all(status == 206 and (span or "").startswith("bytes ") for status, span in ranges)
    drawn = pixels(page)
    assert drawn["colours"] > 10, drawn  # land, water, park, roads, events: not a blank canvas
    page.screenshot(path=screenshots / "desktop-street-map.png")


def test_outside_the_extract_the_offline_map_still_draws(page: Any) -> None:
    open_map(page, map_url(20, 0, 3))
    assert pixels(page)["colours"] > 10
    assert kinds(page, "roads_major") == set()

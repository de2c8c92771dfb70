"""The "For you" tab and similar events in a real browser.

The service ranks what is upcoming by its own clock, so the events here start a few days after the
real time of the run (whatever day that is); the browser's clock stays pinned as in every e2e test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e import harness
from tests.e2e.pages import map_url, open_map

PLACE = (64.1466, -21.9426)  # Reykjavík: far from the seeded cities, so these events are the list


def test_for_you_tab_shows_reasons_and_the_detail_shows_similar_events(desktop: Any, e2e_database: str) -> None:
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    harness.add_events(
        e2e_database,
        [
            {
                "title": f"Harbour jazz {n}",
                "category": "music",
                "tags": ["jazz"],
                "starts_at": soon + timedelta(days=n),
                "ends_at": soon + timedelta(days=n, hours=2),
                "timezone": "Atlantic/Reykjavik",
                "status": "published",
                "is_free": True,
                "location": {"lat": PLACE[0] + 0.002 * n, "lon": PLACE[1]},
            }
            for n in range(3)
        ],
        organizer="Harbour Jazz Club",
    )
    open_map(desktop, map_url(PLACE[0], PLACE[1], 13))
    desktop.locator("#view-foryou").click()
    items = desktop.locator("#for-you-list .recommendation")
    items.first.wait_for()
    assert desktop.locator("#results-count").inner_text().startswith("Popular near here now")
    assert items.count() == 3
    assert "from here" in items.first.locator(".card-reasons").inner_text()
    assert desktop.locator("#event-list").is_hidden()
    items.first.locator("button").click()
    similar = desktop.locator("#detail .similar").first
    similar.wait_for()
    assert "Harbour jazz" in similar.inner_text()
    assert "also by Harbour Jazz Club" in similar.inner_text()
    desktop.locator("#view-list").click()
    assert desktop.locator("#for-you-list").is_hidden()

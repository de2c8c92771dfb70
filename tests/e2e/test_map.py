"""The map in a real browser (headless Chromium) against the real server and seeded data."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.calendar_cases import CASES, CalendarCase
from tests.e2e.harness import ANCHOR, BROWSER_ZONE
from tests.e2e.pages import (
    EVENTS_API,
    TILE,
    TILEJSON,
    map_url,
    map_view,
    open_map,
    pixels,
    project,
    query,
    rendered,
    top_at,
    wait_map_idle,
)

PARIS = ZoneInfo(BROWSER_ZONE)  # the browser's zone in every context (conftest)
FILTER_KEYS = {"category", "q", "starts_after", "starts_before", "free", "price_max"}


def filter_params(url: str) -> dict[str, list[str]]:
    return {k: v for k, v in query(url).items() if k in FILTER_KEYS}


def clickable(page: Any, features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Features whose point is on the visible map, away from the overlays (buttons, time slider)."""
    box = page.locator("#map").bounding_box()
    out = []
    for f in features:
        x, y = project(page, f["lon"], f["lat"])
        if box["x"] + 60 < x < box["x"] + box["width"] - 60 and box["y"] + 80 < y < box["y"] + box["height"] - 180:
            out.append({**f, "x": x, "y": y})
    return out


def test_map_draws_the_basemap_and_clusters(desktop: Any, hotspot: tuple[float, float], screenshots: Path) -> None:
    lat, lon = hotspot
    open_map(desktop, map_url(lat, lon, 5))
    drawn = pixels(desktop)
    assert drawn["colours"] > 20, drawn  # land, coast, borders, labels, clusters — not a blank canvas
    assert drawn["background"] < 0.95 * drawn["samples"], drawn
    clusters = rendered(desktop, "events-clusters")
    assert clusters, "no clusters rendered at zoom 5 around the densest place"
    assert all(c["cluster"] is True and int(c["count"]) >= 1 for c in clusters)
    desktop.screenshot(path=screenshots / "desktop-clusters.png")


def test_past_its_true_zoom_natural_earth_fades_out(desktop: Any) -> None:
    # Over New York at zoom 11 the 1:50m coastline would put Manhattan in the sea: no water is drawn.
    open_map(desktop, map_url(40.7831, -73.9712, 11))
    drawn = pixels(desktop)
    assert drawn["background"] == 0, drawn
    open_map(desktop, map_url(40.7831, -73.9712, 5))
    assert pixels(desktop)["background"] > 0


def test_a_hash_link_opens_the_same_view_as_map(desktop: Any) -> None:
    for link, view in [
        ("/#12/40.7128/-74.0060", (12, 40.7128, -74.006)),  # MapLibre's hash
        ("/#13/48.8566/2.3522/0/0", (13, 48.8566, 2.3522)),  # ... with bearing and pitch
        ("/?cat=music#map=15/51.5074/-0.1278", (15, 51.5074, -0.1278)),  # OpenStreetMap's
    ]:
        open_map(desktop, link)
        shown = map_view(desktop)
        assert (round(shown["zoom"], 2), round(shown["lat"], 4), round(shown["lon"], 4)) == view, link
        desktop.wait_for_url(lambda url: "#" not in url and "map=" in url)  # written as ?map= instead
        written = [float(n) for n in query(desktop.url)["map"][0].split("/")]
        assert [round(n, 4) for n in written] == list(view), link
    assert query(desktop.url)["cat"] == ["music"]
    desktop.evaluate("() => { location.hash = '#10/35.6762/139.6503'; }")
    desktop.wait_for_function("() => Math.abs(window.happenings.map.getCenter().lng - 139.6503) < 1e-3")
    desktop.wait_for_url(lambda url: "#" not in url and "map=10/35.6762" in url)


def test_clicking_a_cluster_zooms_to_where_it_splits(desktop: Any, hotspot: tuple[float, float]) -> None:
    lat, lon = hotspot
    open_map(desktop, map_url(lat, lon, 7))
    candidates = clickable(desktop, rendered(desktop, "events-clusters"))
    assert candidates, "no cluster to click"
    largest = max(candidates, key=lambda c: int(c["count"]))
    # Circles of neighbouring clusters can overlap: the click goes to the one drawn on top there.
    cluster = top_at(desktop, "events-clusters", largest["x"], largest["y"])
    assert cluster is not None
    before = map_view(desktop)["zoom"]
    desktop.mouse.click(largest["x"], largest["y"])
    target = min(float(cluster["expansion_zoom"]), before + 2) - 0.01
    # The camera eases there; on a busy machine the ease can outlast the first idle of the map.
    desktop.wait_for_function(f"() => window.happenings.map.getZoom() >= {target}")
    wait_map_idle(desktop)
    after = map_view(desktop)
    assert after["zoom"] >= target
    assert rendered(desktop, "events-clusters") or rendered(desktop, "events-points")


def test_hover_shows_a_popup_and_click_opens_the_detail(
    desktop: Any, hotspot: tuple[float, float], screenshots: Path
) -> None:
    lat, lon = hotspot
    open_map(desktop, map_url(lat, lon, 13))
    points = clickable(desktop, rendered(desktop, "events-points"))
    assert points, "no event points at zoom 13"
    assert all(p["cluster"] is False for p in points)
    point = points[0]
    desktop.mouse.move(point["x"], point["y"])
    popup = desktop.locator(".event-popup")
    popup.wait_for()
    assert popup.locator(".popup-title").inner_text() == point["title"]
    assert re.search(r"\d{1,2}:\d{2}", popup.locator(".popup-meta").inner_text())
    desktop.mouse.click(point["x"], point["y"])
    title = desktop.locator("#detail h2")
    desktop.wait_for_function("(t) => document.querySelector('#detail h2')?.textContent === t", arg=point["title"])
    assert title.is_visible()
    assert query(desktop.url)["event"] == [str(point["id"])]
    desktop.screenshot(path=screenshots / "desktop-detail.png")


def test_a_filter_change_updates_both_list_and_tiles(desktop: Any, hotspot: tuple[float, float]) -> None:
    lat, lon = hotspot
    open_map(desktop, map_url(lat, lon, 12))
    desktop.locator("#event-list .card").first.wait_for()
    with (
        desktop.expect_request(lambda r: EVENTS_API in r.url and "category=music" in r.url) as list_request,
        desktop.expect_request(lambda r: TILEJSON in r.url and "category=music" in r.url) as tilejson_request,
        desktop.expect_request(lambda r: TILE.search(r.url) is not None and "category=music" in r.url) as tile_request,
    ):
        desktop.get_by_role("button", name="Music", exact=True).click()
    # The list and the tiles ask with the very same filters.
    assert filter_params(list_request.value.url) == filter_params(tilejson_request.value.url)
    assert filter_params(list_request.value.url) == filter_params(tile_request.value.url)
    wait_map_idle(desktop)
    desktop.wait_for_function("() => !document.querySelector('#event-list').hasAttribute('aria-busy')")
    tags = desktop.locator("#event-list .card .card-tags .tag:first-child").all_inner_texts()
    assert tags and set(tags) == {"Music"}
    assert {p["category"] for p in rendered(desktop, "events-points")} <= {"music"}


def test_the_url_round_trips_and_back_forward_work(desktop: Any, hotspot: tuple[float, float]) -> None:
    lat, lon = hotspot
    open_map(desktop, map_url(lat, lon, 12))
    desktop.get_by_role("button", name="Food & Drink", exact=True).click()
    desktop.locator("label[for=when-week]").click()
    desktop.get_by_label("Free only").check()
    desktop.wait_for_url(re.compile(r"cat=food.*when=week.*free=1"))
    link = desktop.url
    view = map_view(desktop)

    other = desktop.context.new_page()
    open_map(other, link)
    assert other.get_by_role("button", name="Food & Drink", exact=True).get_attribute("aria-pressed") == "true"
    assert other.locator("#when-week").is_checked()
    assert other.get_by_label("Free only").is_checked()
    again = map_view(other)
    assert abs(again["lat"] - view["lat"]) < 1e-4 and abs(again["lon"] - view["lon"]) < 1e-4
    assert abs(again["zoom"] - view["zoom"]) < 0.01
    other.close()

    desktop.go_back()
    desktop.wait_for_function("() => !document.querySelector('#free-only').checked")
    assert desktop.locator("#when-week").is_checked()
    desktop.go_back()
    desktop.wait_for_function("() => document.querySelector('#when-upcoming').checked")
    desktop.go_forward()
    desktop.wait_for_function("() => document.querySelector('#when-week').checked")
    assert "when=week" in desktop.url


def test_detail_panel_share_calendar_and_directions(new_context: Any, hotspot: tuple[float, float]) -> None:
    lat, lon = hotspot
    page = new_context(permissions=["clipboard-read", "clipboard-write"]).new_page()
    open_map(page, map_url(lat, lon, 12))
    card = page.locator("#event-list .card").first
    card_title = card.locator(".card-title").inner_text()
    card.click()
    heading = page.locator("#detail h2")
    page.wait_for_function("() => !document.querySelector('#detail').hasAttribute('aria-busy')")
    assert card_title.startswith(heading.inner_text())
    assert page.locator("#detail .facts").inner_text().count("\n") >= 4

    page.get_by_role("button", name="Share").click()
    page.get_by_text("Link copied").wait_for()
    link = page.evaluate("() => navigator.clipboard.readText()")
    event_id = query(page.url)["event"][0]
    assert f"/e/{event_id}-" in link  # the event's own page, which unfurls in chats
    page_link = page.get_by_role("link", name="Event page").get_attribute("href")
    assert page_link == link

    with page.expect_download() as download:
        page.get_by_role("button", name="Add to calendar").click()
    ics = Path(download.value.path()).read_bytes().decode()
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and "BEGIN:VEVENT" in ics and f"UID:{event_id}@happenings" in ics

    assert page.get_by_role("link", name="Directions").get_attribute("href").startswith("geo:")
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('#detail').hidden")
    assert "event=" not in page.url


def test_the_time_slider_changes_what_is_shown(desktop: Any, hotspot: tuple[float, float], screenshots: Path) -> None:
    lat, lon = hotspot
    open_map(desktop, map_url(lat, lon, 12))
    before = {p["id"] for p in rendered(desktop, "events-points")}
    slider = desktop.locator("#ts-range")
    slider.focus()
    shown: list[dict[str, Any]] = []
    today = ANCHOR.astimezone(PARIS).date()  # the browser's clock (conftest)
    day = today
    for offset in range(1, 14):
        with desktop.expect_request(lambda r: TILE.search(r.url) is not None and "starts_before" in r.url) as tile:
            desktop.keyboard.press("ArrowRight")
        wait_map_idle(desktop)
        day = today + timedelta(days=offset)
        shown = rendered(desktop, "events-points")
        if shown:
            break
    assert shown, "no events on any of the next 13 days"
    params = query(tile.value.url)
    start = datetime.fromisoformat(params["starts_after"][0])
    assert start == datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
    for point in shown:
        starts = datetime.fromisoformat(str(point["starts_at"]).replace("Z", "+00:00")).astimezone(PARIS)
        assert starts.date() == day, (point, day)
    assert {p["id"] for p in shown} != before
    assert f"from={day.isoformat()}" in desktop.url
    assert str(day.day) in desktop.locator("#ts-value").inner_text()
    desktop.screenshot(path=screenshots / "desktop-time-slider.png")


def test_near_me_flies_there_and_sorts_by_distance(new_context: Any, hotspot: tuple[float, float]) -> None:
    lat, lon = hotspot
    page = new_context(geolocation={"latitude": lat, "longitude": lon}, permissions=["geolocation"]).new_page()
    open_map(page, map_url(lat + 2, lon - 3, 6))
    with page.expect_request(lambda r: EVENTS_API in r.url and "sort=distance" in r.url, timeout=20_000) as request:
        page.get_by_role("button", name="Near me").click()
    asked = query(request.value.url)
    assert abs(float(asked["lat"][0]) - lat) < 0.01 and abs(float(asked["lon"][0]) - lon) < 0.01
    wait_map_idle(page)
    view = map_view(page)
    assert abs(view["lat"] - lat) < 0.01 and abs(view["lon"] - lon) < 0.01 and view["zoom"] > 12
    assert page.locator("#sort").input_value() == "distance"
    page.wait_for_function("() => !document.querySelector('#event-list').hasAttribute('aria-busy')")
    distances = page.locator("#event-list .card .card-tags .tag:last-child").all_inner_texts()
    metres = [float(d.split()[0].replace(",", "")) * (1000 if d.endswith("km") else 1) for d in distances]
    assert metres and metres == sorted(metres)


def test_near_me_says_clearly_when_location_is_denied(new_context: Any, hotspot: tuple[float, float]) -> None:
    lat, lon = hotspot
    page = new_context().new_page()  # no geolocation permission granted
    open_map(page, map_url(lat, lon, 10))
    page.get_by_role("button", name="Near me").click()
    alert = page.get_by_role("alert").filter(has_text="Location access was denied")
    alert.wait_for()
    assert "browser settings" in alert.inner_text()


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _local_date(item: dict[str, Any]) -> date:
    return _instant(item["starts_at"]).astimezone(ZoneInfo(item["timezone"])).date()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_calendar_counts_days_where_the_map_is(new_context: Any, case: CalendarCase, screenshots: Path) -> None:
    """At any hour, in any browser zone: the month of today at the place on the map, and the week
    view from today there, every event on its own local date and nothing outside the window."""
    page = new_context(now=case.now, timezone_id=case.browser_zone).new_page()
    open_map(page, map_url(case.place.lat, case.place.lon, 11))
    calendar = page.locator("#calendar")
    with page.expect_response(lambda r: EVENTS_API in r.url and "limit=500" in r.url):
        page.get_by_role("button", name="Calendar", exact=True).click()
    page.wait_for_function("() => document.querySelector('#calendar').getAttribute('aria-busy') === 'false'")
    assert calendar.locator("#calendar-title").inner_text() == f"{case.today:%B %Y}"
    assert calendar.locator("td[aria-current=date]").get_attribute("data-date") == case.today.isoformat()

    with page.expect_response(lambda r: EVENTS_API in r.url and "limit=500" in r.url) as answer:
        calendar.get_by_role("button", name="Week view").click()
    page.wait_for_url(re.compile(r"cal=week"))
    page.wait_for_function("() => document.querySelector('#calendar').getAttribute('aria-busy') === 'false'")
    asked = query(answer.value.url)
    start, end = case.window
    assert (_instant(asked["starts_after"][0]), _instant(asked["starts_before"][0])) == (start, end)
    days = calendar.locator("tbody td").evaluate_all("(cells) => cells.map((c) => c.dataset.date)")
    assert days == [day.isoformat() for day in case.week]

    items = answer.value.json()["items"]
    placed = calendar.locator(".cal-event").evaluate_all(
        "(buttons) => buttons.map((b) => [b.dataset.id, b.closest('td').dataset.date])"
    )
    expected = [[item["id"], _local_date(item).isoformat()] for item in items if _local_date(item) in case.week]
    assert sorted(placed) == sorted(expected)
    titles = {item["title"] for item in items}
    for edge in case.edges:
        assert (case.title(edge) in titles) is edge.shown, (edge, case.starts_at(edge))
    assert any(case.title(edge) in titles for edge in case.edges if edge.day == 0 and edge.shown)
    page.screenshot(path=screenshots / f"calendar-week-{case.id}.png")


def test_the_calendar_opens_an_event_and_closes(desktop: Any, hotspot: tuple[float, float]) -> None:
    lat, lon = hotspot
    open_map(desktop, map_url(lat, lon, 11))
    with desktop.expect_request(lambda r: EVENTS_API in r.url and "limit=500" in r.url):
        desktop.get_by_role("button", name="Calendar", exact=True).click()
    calendar = desktop.locator("#calendar")
    calendar.locator(".cal-event").first.wait_for()
    assert "view=calendar" in desktop.url
    calendar.get_by_role("button", name="Week view").click()
    desktop.wait_for_url(re.compile(r"cal=week"))
    assert calendar.locator("tbody tr").count() == 1
    calendar.locator(".cal-event").first.click()
    desktop.wait_for_function("() => !document.querySelector('#detail').hasAttribute('aria-busy')")
    assert "event=" in desktop.url
    desktop.keyboard.press("Escape")
    calendar.get_by_role("button", name="Close calendar").click()
    assert calendar.is_hidden()


def test_empty_and_too_wide_states_say_what_to_do(desktop: Any, hotspot: tuple[float, float]) -> None:
    lat, lon = hotspot
    open_map(desktop, map_url(lat, lon, 12, q="zzqxxjjvvnothingmatches"))
    desktop.locator("#list-state").get_by_text("Nothing here").wait_for()
    assert "Zoom out or change filters" in desktop.locator("#list-state").inner_text()
    open_map(desktop, map_url(20, 0, 1.5))
    desktop.locator("#list-state").get_by_text("Zoom in to see the list").wait_for()


def test_phone_layout(phone: Any, hotspot: tuple[float, float], screenshots: Path) -> None:
    lat, lon = hotspot
    open_map(phone, map_url(lat, lon, 12))
    phone.locator("#event-list .card").first.wait_for()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    sheet = phone.locator("#results")
    peek = sheet.bounding_box()
    assert peek["y"] > 844 * 0.7, "the list starts as a bottom sheet peeking above the map"
    # Touch targets are at least 44 px high.
    for selector in ["#category-chips .chip", "#near-me", "#filters-toggle", "#search", "#sort"]:
        for box in [el.bounding_box() for el in phone.locator(selector).all()[:4]]:
            assert box["height"] >= 44, (selector, box)
    phone.screenshot(path=screenshots / "phone-map.png")

    phone.locator("#sheet-handle").tap()
    phone.wait_for_function("() => document.querySelector('#app').dataset.sheet === 'half'")
    phone.wait_for_timeout(300)  # the sheet's height transition
    assert sheet.bounding_box()["y"] < peek["y"] - 200
    phone.screenshot(path=screenshots / "phone-sheet.png")

    phone.locator("#filters-toggle").tap()
    assert phone.locator("#more-filters").is_visible()
    phone.screenshot(path=screenshots / "phone-filters.png")
    phone.locator("#filters-toggle").tap()

    phone.locator("#event-list .card").first.tap()
    phone.wait_for_function("() => !document.querySelector('#detail').hasAttribute('aria-busy')")
    detail = phone.locator("#detail").bounding_box()
    assert detail["width"] == 390 and detail["y"] <= 1
    phone.screenshot(path=screenshots / "phone-detail.png")

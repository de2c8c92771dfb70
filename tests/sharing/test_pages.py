"""The event page: canonical address, OpenGraph/Twitter meta and schema.org JSON-LD, read back from the HTML."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import httpx
from fastapi import FastAPI

from tests.profiles.world import event, organizer


class PageReader(HTMLParser):
    """The page's meta tags, canonical link and JSON-LD blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.json_ld: list[Any] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and (values.get("property") or values.get("name")):
            self.meta[str(values.get("property") or values.get("name"))] = str(values.get("content"))
        if tag == "link" and values.get("rel") == "canonical":
            self.canonical = values.get("href")
        self._in_ld = tag == "script" and values.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.json_ld.append(json.loads(data))

    def handle_endtag(self, tag: str) -> None:
        self._in_ld = False


def read(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    return reader


async def test_a_wrong_or_missing_slug_redirects_to_the_canonical_page(app: FastAPI, client: httpx.AsyncClient) -> None:
    row = await event(app, await organizer(app), title="Jazz à la Cave")
    canonical = f"/e/{row['id']}-jazz-a-la-cave"
    for wrong in (f"/e/{row['id']}", f"/e/{row['id']}-old-title", f"/e/{str(row['id']).upper()}-jazz-a-la-cave"):
        response = await client.get(wrong)
        assert response.status_code == 301, wrong
        assert response.headers["location"].endswith(canonical)
    page = await client.get(canonical)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert read(page.text).canonical == f"http://test{canonical}"


async def test_the_page_unfurls_with_time_in_the_events_zone_and_schema_org_event(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(
            "INSERT INTO venues (organizer_id, name, address, city, country_code, timezone, geom) "
            "VALUES (%s, 'Le Duc des Lombards', '42 rue des Lombards', 'Paris', 'FR', 'Europe/Paris', "
            "ST_SetSRID(ST_MakePoint(2.3488, 48.8590), 4326)) RETURNING id, organizer_id",
            (await organizer(app, "Paris Jazz Club"),),
        )
        venue = await cur.fetchone()
    assert venue is not None
    row = await event(
        app, venue["organizer_id"], venue_id=venue["id"], location=None, is_free=False,
        price_min=1500, price_max=2500, currency="EUR", title="Late set", description="Trio & guests",
    )  # fmt: skip
    page = read((await client.get(f"/e/{row['id']}-late-set")).text)
    # EPOCH + 10 days is 2030-03-24 09:26:53 UTC: 10:26 in Paris (CET, before the change of hour)
    assert page.meta["og:title"] == "Late set"
    assert "Sunday 24 March 2030, 10:26 to 13:26 CET" in page.meta["og:description"]
    assert "Le Duc des Lombards" in page.meta["og:description"]
    assert page.meta["og:type"] == "event" and page.meta["twitter:card"] == "summary"
    (document,) = page.json_ld
    assert document["@type"] == "Event" and document["name"] == "Late set"
    assert document["startDate"] == "2030-03-24T10:26:53+01:00"
    assert document["eventStatus"] == "https://schema.org/EventScheduled"
    assert document["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    location = document["location"]
    assert location["name"] == "Le Duc des Lombards"
    assert location["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "42 rue des Lombards",
        "addressLocality": "Paris",
        "addressCountry": "FR",
    }
    assert location["geo"] == {"@type": "GeoCoordinates", "latitude": 48.859, "longitude": 2.3488}
    assert document["offers"]["price"] == "15.00" and document["offers"]["priceCurrency"] == "EUR"
    assert document["offers"]["availability"] == "https://schema.org/InStock"
    assert document["organizer"] == {"@type": "Organization", "name": "Paris Jazz Club"}


async def test_a_cancelled_event_says_so(app: FastAPI, client: httpx.AsyncClient) -> None:
    row = await event(app, await organizer(app), status="cancelled")
    page = await client.get(f"/e/{row['id']}-jazz-on-the-river")
    assert "This event is cancelled." in page.text
    assert read(page.text).json_ld[0]["eventStatus"] == "https://schema.org/EventCancelled"


async def test_an_approximate_location_shows_only_its_city(app: FastAPI, client: httpx.AsyncClient) -> None:
    row = await event(app, await organizer(app), lat=48.85661, lon=2.35222)
    async with app.state.pool.connection() as conn:
        await conn.execute("UPDATE events SET location_approximate = true WHERE id = %s", (row["id"],))
    page = await client.get(f"/e/{row['id']}-jazz-on-the-river")
    assert "48.85" not in page.text and "2.35" not in page.text
    assert "geo" not in read(page.text).json_ld[0]["location"]
    calendar = await client.get(f"/api/v1/events/{row['id']}.ics")
    assert b"GEO:" not in calendar.content and b"48.85" not in calendar.content


async def test_text_from_the_organizer_cannot_break_out_of_the_page(app: FastAPI, client: httpx.AsyncClient) -> None:
    title = '</script><script>alert(1)</script>"><img src=x>'
    row = await event(app, await organizer(app), title=title, description="<b>bold</b> & </script>")
    page = await client.get(f"/e/{row['id']}-script-script-alert-1-script-img-src-x")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "<img src=x>" not in page.text and "<b>bold" not in page.text
    reader = read(page.text)
    assert reader.json_ld[0]["name"] == title  # intact once parsed
    assert reader.meta["og:title"] == title


async def test_unknown_drafts_and_malformed_addresses_are_not_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    draft = await event(app, await organizer(app), status="draft")
    for path in (f"/e/{draft['id']}-jazz-on-the-river", "/e/00000000-0000-0000-0000-000000000000-x", "/e/not-an-id"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Event not found" in response.text


async def test_pages_revalidate_with_their_etag(app: FastAPI, client: httpx.AsyncClient) -> None:
    row = await event(app, await organizer(app))
    first = await client.get(f"/e/{row['id']}-jazz-on-the-river")
    again = await client.get(f"/e/{row['id']}-jazz-on-the-river", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304

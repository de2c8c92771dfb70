"""HTTP: the contract's shapes, GeoJSON negotiation, ETag/304, and the detail endpoint."""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from app.events import derived
from app.events.discovery_schemas import EventDetail, EventPage
from app.events.endpoints import wants_geojson
from tests.events.conftest import World, bbox_param, ids

PARIS_BOX = bbox_param(2.2, 48.8, 2.5, 48.9)
GEOJSON = "application/geo+json"


async def test_list_and_nearby_match_the_documented_model(client, world: World) -> None:
    venue = await world.venue(48.86, 2.34)
    await world.event(None, None, venue_id=venue, tags=["a", "b"], price_min=0, price_max=900, currency="EUR")
    await world.event(48.85, 2.35, is_free=True)

    listed = await client.get("/api/v1/events", params={"bbox": PARIS_BOX})
    nearby = await client.get("/api/v1/events/nearby", params={"lat": 48.85, "lon": 2.35})

    assert listed.headers["content-type"] == "application/json"
    page = EventPage.model_validate_json(listed.content)
    assert len(page.items) == 2 and all(item.distance_m is None for item in page.items)
    near = EventPage.model_validate_json(nearby.content)
    assert all(item.distance_m is not None for item in near.items)


async def test_geojson_feature_collection_with_the_same_items_and_paging(client, world: World) -> None:
    for n in range(3):
        await world.event(48.85 + n / 1000, 2.35, starts_in=timedelta(hours=n + 1))
    params = {"bbox": PARIS_BOX, "limit": 2}

    plain = (await client.get("/api/v1/events", params=params)).json()
    response = await client.get("/api/v1/events", params=params, headers={"accept": GEOJSON})

    assert response.headers["content-type"] == GEOJSON
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert ids(collection) == ids(plain)
    for feature, item in zip(collection["features"], plain["items"], strict=True):
        assert feature["type"] == "Feature" and feature["id"] == item["id"]
        assert feature["geometry"] == {"type": "Point", "coordinates": [item["lon"], item["lat"]]}
        assert feature["properties"] == item
    following = await client.get(
        "/api/v1/events", params={**params, "cursor": collection["next_cursor"]}, headers={"accept": GEOJSON}
    )
    assert len(following.json()["features"]) == 1


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, False),
        ("application/json", False),
        ("application/geo+json", True),
        ("application/geo+json, application/json;q=0.5", True),
        ("application/json, application/geo+json;q=0.5", False),
        ("application/geo+json;q=0", False),
        ("*/*", False),
    ],
)
def test_content_negotiation(accept: str | None, expected: bool) -> None:
    assert wants_geojson(accept) is expected


async def test_etag_and_if_none_match(client, world: World) -> None:
    event = await world.event()
    params = {"bbox": PARIS_BOX}

    first = await client.get("/api/v1/events", params=params)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    assert "Accept" in first.headers["vary"]

    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await client.get("/api/v1/events", params=params, headers={"if-none-match": header})
        assert again.status_code == 304, header
        assert again.content == b"" and again.headers["etag"] == etag
    geojson = await client.get("/api/v1/events", params=params, headers={"if-none-match": etag, "accept": GEOJSON})
    assert geojson.status_code == 200 and geojson.headers["etag"] != etag

    retitle = "UPDATE events SET title = 'Changed' WHERE id = %s"
    await derived.write_rows(world.conn, [(event["cell"], event["id"])], retitle, (event["id"],))
    changed = await client.get("/api/v1/events", params=params, headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag

    detail = await client.get(f"/api/v1/events/{event['id']}")
    not_modified = await client.get(f"/api/v1/events/{event['id']}", headers={"if-none-match": detail.headers["etag"]})
    assert not_modified.status_code == 304


@pytest.mark.parametrize(
    "query",
    [{"bbox": PARIS_BOX}, {"lat": "48.85", "lon": "2.35"}, {"bbox": PARIS_BOX, "q": "jazz"}],
    ids=["start", "distance", "relevance"],
)
async def test_equal_pages_have_equal_etags_and_revalidate(client, world: World, query) -> None:
    """The cursor continues from the data, not from the request's clock: polling a view gets 304s."""
    events = [await world.event(48.85 + n / 1000, 2.35, title=f"Jazz {n}", starts_in=timedelta(days=n + 1))
              for n in range(5)]  # fmt: skip
    path = "/api/v1/events/nearby" if "lat" in query else "/api/v1/events"
    params = {**query, "limit": 2}

    first = await client.get(path, params=params)
    cursor = first.json()["next_cursor"]
    assert first.status_code == 200 and cursor is not None
    again = await client.get(path, params=params)
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    revalidated = await client.get(path, params=params, headers={"if-none-match": first.headers["etag"]})
    assert revalidated.status_code == 304 and revalidated.content == b""

    second = [await client.get(path, params={**params, "cursor": cursor}) for _ in range(2)]
    assert second[0].headers["etag"] == second[1].headers["etag"]
    assert second[0].json()["next_cursor"] == second[1].json()["next_cursor"] is not None

    # A change in the data is a new answer: a new validator, and no 304.
    await world.conn.execute("UPDATE events SET popularity = 7 WHERE id = ANY(%s)", ([e["id"] for e in events],))
    changed = await client.get(path, params=params, headers={"if-none-match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]


async def test_detail_has_venue_organizer_times_price_and_status(client, world: World) -> None:
    venue = await world.venue(48.87, 2.33, name="Salle Pleyel")
    event = await world.event(
        None, None, venue_id=venue, title="Récital", description="Chopin", capacity=1900,
        price_min=2_000, price_max=9_000, currency="EUR", status="cancelled",
    )  # fmt: skip

    response = await client.get(f"/api/v1/events/{event['id']}")

    assert response.status_code == 200
    detail = EventDetail.model_validate_json(response.content)
    assert detail.venue is not None and detail.venue.name == "Salle Pleyel" and detail.venue.city == "Paris"
    assert (detail.venue.lat, detail.venue.lon) == (48.87, 2.33) == (detail.lat, detail.lon)
    assert detail.organizer.name == "Ville Lumière Events"
    assert (detail.description, detail.capacity, detail.status) == ("Chopin", 1900, "cancelled")
    assert (detail.price_min, detail.price_max, detail.currency) == (2000, 9000, "EUR")
    paris_offset = detail.starts_at.astimezone(ZoneInfo("Europe/Paris")).utcoffset()
    assert detail.local_starts_at == detail.starts_at and detail.local_starts_at.utcoffset() == paris_offset


async def test_detail_of_unknown_draft_or_malformed_ids(client, world: World) -> None:
    draft = await world.event(status="draft")

    for path, status in [
        (f"/api/v1/events/{uuid.uuid4()}", 404),
        (f"/api/v1/events/{draft['id']}", 404),
        ("/api/v1/events/not-a-uuid", 422),
        ("/api/v1/events/12345", 422),
    ]:
        response = await client.get(path)
        assert response.status_code == status, path
        assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/v1/events/not-a-uuid")).json()["param"] == "event_id"


def test_the_public_contract_is_documented(app) -> None:
    """Clients outside this repository build on these names: changing them must be deliberate."""
    paths = app.openapi()["paths"]
    listed = {p["name"] for p in paths["/api/v1/events"]["get"]["parameters"]}
    assert listed == {
        "bbox", "lat", "lon", "radius_m", "category", "tag", "q", "starts_after", "starts_before", "free",
        "price_max", "min_popularity", "sort", "limit", "cursor",
    }  # fmt: skip
    nearby = {p["name"] for p in paths["/api/v1/events/nearby"]["get"]["parameters"]}
    assert {"lat", "lon", "radius_m", "limit"} <= nearby and "bbox" not in nearby
    assert "application/geo+json" in paths["/api/v1/events"]["get"]["responses"]["200"]["content"]
    assert "/api/v1/events/{event_id}" in paths

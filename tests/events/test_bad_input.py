"""Bad input is refused with problem+json naming the parameter, before any query runs or anything is written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.events.conftest import World

EVENTS = "/api/v1/events"
NEARBY = "/api/v1/events/nearby"
PARIS = {"bbox": "2.2,48.8,2.5,48.9"}
HERE = {"lat": "48.85", "lon": "2.35"}

# (path, query, the parameter the problem must name)
CASES: list[tuple[str, dict[str, Any], str]] = [
    # latitude / longitude out of range, NaN, Infinity
    (EVENTS, {"lat": "90.5", "lon": "2", "radius_m": "1000"}, "lat"),
    (EVENTS, {"lat": "-91", "lon": "2", "radius_m": "1000"}, "lat"),
    (EVENTS, {"lat": "48", "lon": "180.01", "radius_m": "1000"}, "lon"),
    (NEARBY, {"lat": "48", "lon": "-181"}, "lon"),
    (NEARBY, {"lat": "NaN", "lon": "2"}, "lat"),
    (NEARBY, {"lat": "48", "lon": "Infinity"}, "lon"),
    (NEARBY, {"lat": "48", "lon": "-inf"}, "lon"),
    (EVENTS, {"bbox": "2,48,3,91"}, "bbox"),
    (EVENTS, {"bbox": "-181,48,3,49"}, "bbox"),
    (EVENTS, {"bbox": "2,nan,3,49"}, "bbox"),
    (EVENTS, {"bbox": "2,48,Infinity,49"}, "bbox"),
    # malformed or inconsistent boxes
    (EVENTS, {"bbox": "2,49,3,48"}, "bbox"),  # south > north
    (EVENTS, {"bbox": "2,48,3"}, "bbox"),
    (EVENTS, {"bbox": "a,b,c,d"}, "bbox"),
    (EVENTS, {"bbox": "-100,-30,100,30"}, "bbox"),  # 12,000 square degrees: zoom in or use the tiles
    (EVENTS, {"bbox": "170,-30,10,30"}, "bbox"),  # across the antimeridian, 200 degrees wide
    # where is missing, doubled or half given
    (EVENTS, {}, "bbox"),
    (EVENTS, {**PARIS, **HERE}, "bbox"),
    (EVENTS, {"lat": "48"}, "lon"),
    (EVENTS, {"lon": "2", "radius_m": "10"}, "lat"),
    (NEARBY, {"lon": "2"}, "lat"),
    # radius
    (NEARBY, {**HERE, "radius_m": "200001"}, "radius_m"),
    (NEARBY, {**HERE, "radius_m": "0"}, "radius_m"),
    (NEARBY, {**HERE, "radius_m": "-5"}, "radius_m"),
    (NEARBY, {**HERE, "radius_m": "NaN"}, "radius_m"),
    # limit
    (EVENTS, {**PARIS, "limit": "0"}, "limit"),
    (EVENTS, {**PARIS, "limit": "501"}, "limit"),
    (NEARBY, {**HERE, "limit": "-1"}, "limit"),
    (EVENTS, {**PARIS, "limit": "ten"}, "limit"),
    # cursor
    (EVENTS, {**PARIS, "cursor": "garbage"}, "cursor"),
    (EVENTS, {**PARIS, "cursor": "eyJ4IjoxfQ.AAAAAAAAAAAAAAAAAAAAAA"}, "cursor"),
    (NEARBY, {**HERE, "cursor": "x" * 600}, "cursor"),
    # dates
    (EVENTS, {**PARIS, "starts_after": "yesterday"}, "starts_after"),
    (EVENTS, {**PARIS, "starts_before": "2026-13-01T00:00:00Z"}, "starts_before"),
    (EVENTS, {**PARIS, "starts_after": "2026-06-01T20:00:00"}, "starts_after"),  # no offset: ambiguous
    (EVENTS, {**PARIS, "starts_after": "2026-06-02T00:00Z", "starts_before": "2026-06-01T00:00Z"}, "starts_before"),
    # sort
    (EVENTS, {**PARIS, "sort": "price"}, "sort"),
    (EVENTS, {**PARIS, "sort": "distance"}, "sort"),  # no centre to measure from
    (EVENTS, {**PARIS, "sort": "relevance"}, "sort"),  # no text to be relevant to
    # filters
    (EVENTS, {**PARIS, "price_max": "-1"}, "price_max"),
    (EVENTS, {**PARIS, "min_popularity": "lots"}, "min_popularity"),
    (EVENTS, {**PARIS, "free": "maybe"}, "free"),
    (EVENTS, {**PARIS, "category": "Not A Slug"}, "category"),
    (EVENTS, {**PARIS, "tag": "x" * 41}, "tag"),
    (EVENTS, {**PARIS, "q": "x" * 201}, "q"),
    (EVENTS, {**PARIS, "radius": "5000"}, "radius"),  # a typo of radius_m is not silently ignored
    (NEARBY, {**HERE, "bbox": "2,48,3,49"}, "bbox"),
    # ids
    ("/api/v1/events/not-a-uuid", {}, "event_id"),
]


class PoolProbe:
    """Stands in for the connection pool and records whether anything asked it for a connection."""

    def __init__(self) -> None:
        self.asked = 0

    def connection(self, *args: object, **kwargs: object) -> Any:
        self.asked += 1
        raise AssertionError("the database was reached")


@pytest.fixture
async def probe(app):
    real, probe = app.state.pool, PoolProbe()
    app.state.pool = probe
    yield probe
    app.state.pool = real


@pytest.mark.parametrize(("path", "query", "param"), CASES, ids=[f"{p}?{q}" for p, q, _ in CASES])
async def test_bad_input_is_refused_before_any_query(client, probe: PoolProbe, path, query, param) -> None:
    response = await client.get(path, params=query)

    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["param"] == param, problem
    assert problem["status"] == response.status_code and problem["detail"]
    assert probe.asked == 0


async def test_the_probe_does_see_a_valid_request(client, probe: PoolProbe) -> None:
    """Without this, a probe that never records would make the test above pass vacuously."""
    with pytest.raises(AssertionError, match="database was reached"):  # the test transport re-raises
        await client.get(EVENTS, params=PARIS)
    assert probe.asked == 1


async def test_a_too_large_bbox_tells_the_client_what_to_do(client, probe: PoolProbe) -> None:
    detail = (await client.get(EVENTS, params={"bbox": "-100,-30,100,30"})).json()["detail"]
    assert "zoom in" in detail and "tiles" in detail


async def test_nothing_is_written_by_bad_or_good_requests(client, world: World, db) -> None:
    await world.event()

    async def snapshot() -> tuple[int, ...]:
        cur = await db.execute(
            "SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM venues) AS v, "
            "(SELECT count(*) FROM organizers) AS o, (SELECT max(updated_at) FROM events) AS u"
        )
        row = await cur.fetchone()
        return tuple(row.values())

    before = await snapshot()
    for path, query, _ in CASES:
        await client.get(path, params=query)
    await client.get(EVENTS, params={**PARIS, "q": "'; DELETE FROM events; --"})
    assert await snapshot() == before

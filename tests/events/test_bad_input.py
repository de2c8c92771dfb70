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
    (EVENTS, {**PARIS, "starts_after": "2026-06-02T00:00:00Z", "starts_before": "2026-06-01T09:00:00+09:00"},
     "starts_before"),
    (EVENTS, {**PARIS, "starts_after": "2026-06-02T00:00Z"}, "starts_after"),  # RFC 3339 has seconds
    (EVENTS, {**PARIS, "starts_after": "1780000000"}, "starts_after"),  # not a Unix time
    (EVENTS, {**PARIS, "starts_before": "2026-06-01"}, "starts_before"),
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
    (EVENTS, {**PARIS, "filters": "x"}, "filters"),  # the model's name for the filters, not a parameter
    (EVENTS, {**PARIS, "filters": "x", "category": "music"}, "filters"),
    # ids
    ("/api/v1/events/not-a-uuid", {}, "event_id"),
    ("/api/v1/events/18446744073709551616", {}, "event_id"),
    ("/api/v1/events/%00", {}, "event_id"),
    ("/api/v1/events/%ED%A0%80", {}, "event_id"),
]

# Raw query strings: NUL bytes, lone surrogates, control characters, huge numbers, and their neighbours.
B = "bbox=2.2,48.8,2.5,48.9"
H = "lat=48.85&lon=2.35"
HUGE = "18446744073709551616"  # 2**64: past every integer type, and past the cursor's JSON encoder
# fmt: off
RAW_CASES: list[tuple[str, str, str | None]] = [
    # text PostgreSQL would refuse (NUL), or that no search means (control characters)
    *[(path, f"{where}&{name}={value}", name)
      for path, where in ((EVENTS, B), (NEARBY, H)) for name in ("q", "tag")
      for value in ("%00", "a%00b", "%01", "a%1Fb", "%7F", "%C2%85", "%C2%9F", "x%0D%0Ay")],
    (EVENTS, f"{B}&category=%00", "category"),
    # percent-escapes that are not UTF-8: lone surrogates, a truncated sequence, a stray continuation byte
    *[(EVENTS, f"{B}&{name}={value}", name)
      for name in ("q", "tag", "category", "starts_after", "cursor", "sort")
      for value in ("%ED%A0%80", "%ED%B0%80", "%E2%82", "%80")],
    (NEARBY, f"{H}&q=%ED%A0%80x", "q"),
    (EVENTS, f"{B}&%ED%A0%80=1", None),
    # lenient matching: a slug followed by a newline, an empty slug
    (EVENTS, f"{B}&category=music%0A", "category"),
    (EVENTS, f"{B}&category=", "category"),
    (EVENTS, f"{B}&category=music%00", "category"),
    (EVENTS, f"{B}&sort=start%0A", "sort"),
    (EVENTS, f"{B}&free=true%00", "free"),
    (EVENTS, f"{B}&starts_after=2030-01-01T00:00:00Z%00", "starts_after"),
    (EVENTS, f"{B}&cursor=%00", "cursor"),
    (EVENTS, "bbox=2.2,48.8,2.5,48.9%0A", "bbox"),
    (EVENTS, "bbox=2.2,48.8,2.5,48.9%00", "bbox"),
    # huge integers and floats in every numeric parameter
    *[(path, f"{where}&{name}={value}", name)
      for path, where in ((EVENTS, B), (NEARBY, H)) for name in ("price_max", "min_popularity", "limit")
      for value in (HUGE, "-" + HUGE, "2147483648", "9" * 5000, "1e3", "1.5", "inf", "nan")],
    *[(path, f"{where}&{name}={value}", name)
      for path, where, name in ((EVENTS, "lon=2.35", "lat"), (NEARBY, "lon=2.35", "lat"),
                                (EVENTS, "lat=48.85", "lon"), (NEARBY, "lat=48.85", "lon"),
                                (EVENTS, H, "radius_m"), (NEARBY, H, "radius_m"))
      for value in ("1e309", "-1e309", "inf", "-Infinity", "nan", HUGE, "9" * 400)],
    *[(EVENTS, f"bbox={value}", "bbox")
      for value in (f"{HUGE},48,3,49", "2,48,1e309,49", "2,48,3,4.9e1", "2,-inf,3,49", "-0x1,48,3,49",
                    "2,48,3,49,", "2,,3,49", "2%2048,3,49", "2,48,3," + "9" * 400)],
    # a thin box: almost no area, but as long as the globe is high (and wide)
    (EVENTS, "bbox=0,-90,0,90", "bbox"),
    (EVENTS, "bbox=-170,0,170,1", "bbox"),
    (EVENTS, "bbox=179,-60,-179,0", "bbox"),  # across the antimeridian: 2 degrees wide, 60 high
    # a single-valued parameter given twice
    (EVENTS, f"{B}&q=a&q=b", "q"),
    (EVENTS, f"{B}&limit=1&limit=2", "limit"),
    (EVENTS, f"{B}&bbox=1,1,2,2", "bbox"),
]
# fmt: on


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


async def _get(client, path: str, query: dict[str, Any] | str):
    return await client.get(f"{path}?{query}") if isinstance(query, str) else await client.get(path, params=query)


def _refusal(response, param: str | None) -> str | None:
    """What is wrong with the answer to a bad request, or None when it is the right refusal."""
    if response.status_code not in (400, 422):
        return f"status {response.status_code}"
    if response.headers["content-type"] != "application/problem+json":
        return response.headers["content-type"]
    problem = response.json()
    if problem.get("param") != param:
        return f"param {problem.get('param')!r}, not {param!r}"
    if problem["status"] != response.status_code or not problem["detail"]:
        return "status or detail"
    return None


@pytest.mark.parametrize(("path", "query", "param"), CASES, ids=[f"{p}?{q}" for p, q, _ in CASES])
async def test_bad_input_is_refused_before_any_query(client, probe: PoolProbe, path, query, param) -> None:
    response = await _get(client, path, query)

    assert _refusal(response, param) is None, response.text
    assert probe.asked == 0


async def test_hostile_input_is_refused_before_any_query(client, probe: PoolProbe) -> None:
    """NUL bytes, invalid UTF-8, control characters and huge numbers: every one a 4xx naming its parameter."""
    wrong = []
    for path, query, param in RAW_CASES:
        response = await _get(client, path, query)
        if (reason := _refusal(response, param)) is not None:
            wrong.append((path, query[:80], reason))
    assert not wrong
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
    for path, query, _ in [*CASES, *RAW_CASES]:
        await _get(client, path, query)
    await client.get(EVENTS, params={**PARIS, "q": "'; DELETE FROM events; --"})
    assert await snapshot() == before

"""HTTP behaviour of the tile endpoint: validation before any query, gzip, ETag/304, caching headers."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.tiles.conftest import Event, EventStore, decode, get_tile
from tiles.filters import parse_filters
from tiles.grid import Tile, tile_of

PARIS = (48.8566, 2.3522)


class NoDatabase:
    """Stands in for a pool: any attempt to take a connection fails the test."""

    def __init__(self) -> None:
        self.asked = 0

    def connection(self, *args: Any, **kwargs: Any) -> Any:
        self.asked += 1
        raise AssertionError("a bad request reached the database")


def _cut_off(app: FastAPI, monkeypatch: pytest.MonkeyPatch, probe: NoDatabase) -> None:
    """Every pool a request could take a connection from: the API's and both of the tiles'."""
    monkeypatch.setattr(app.state, "pool", probe)
    monkeypatch.setattr(app.state.tiles.pools, "custom", probe)
    monkeypatch.setattr(app.state.tiles.pools, "generic", probe)


BAD_TILES = [
    "-1/0/0", "0/-1/0", "0/0/-1", "23/0/0", "99/0/0", "1/2/0", "1/0/2", "3/8/1", "a/0/0", "1/x/0", "1/0/y",
    "1.5/0/0", "1/0.0/0", "1/0/1e0", "01/0/0", "%2B1/0/0", "18446744073709551617/0/0",
]
BAD_FILTERS = [
    "free=maybe", "starts_after=yesterday", "starts_after=2030-01-01T00:00:00", "price_max=-1", "price_max=ten",
    "category=Not%20A%20Slug", "starts_after=2030-01-02T00:00:00Z&starts_before=2030-01-01T00:00:00Z",
    "min_popularity=-3", "q=" + "a" * 201, "q=one&q=two", "tag=" + "t" * 41,
]
# Cheap hostile input, checked in one app each (test_hostile_input_is_a_4xx_problem_without_a_query).
HOSTILE_TILES = [
    "99999999999/0/0", "3/99999999999/0", "3/0/18446744073709551616", "0/0/0%0A", "0%00/0/0", "%D9%A3/0/0",
    "1/%C2%B9/0", "1/0/%ED%A0%80", "inf/0/0", "nan/0/0", "1e309/0/0",
]
HOSTILE_FILTERS = [
    # NUL bytes, lone surrogates and other invalid UTF-8, control characters
    *[f"{name}={value}" for name in ("q", "tag") for value in (
        "%00", "a%00b", "%01", "x%0D%0Ay", "%7F", "%C2%85", "%ED%A0%80", "%ED%B0%80", "%E2%82", "%80")],
    "category=%00", "category=%ED%A0%80", "category=music%0A", "category=", "free=true%00",
    "starts_after=2030-01-01T00:00:00Z%00", "starts_after=%ED%A0%80",
    # huge integers and floats in every numeric parameter
    *[f"{name}={value}" for name in ("price_max", "min_popularity") for value in (
        "18446744073709551616", "-18446744073709551616", "2147483648", "9" * 5000, "1e3", "1.5", "inf", "nan")],
    # parameters that are not filters: a misspelt filter would show everything, junk would fill the memo
    "categroy=music", "zoom=3", "junk=" + "j" * 60_000,
]  # fmt: skip


@pytest.mark.parametrize("address", BAD_TILES)
async def test_bad_tile_addresses_are_4xx_problems_without_a_query(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    probe = NoDatabase()
    _cut_off(app, monkeypatch, probe)
    response = await client.get(f"/tiles/events/{address}.mvt")
    assert response.status_code in (400, 404), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == response.status_code
    assert probe.asked == 0


@pytest.mark.parametrize("query", BAD_FILTERS)
async def test_bad_filters_are_400_problems_without_a_query(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    probe = NoDatabase()
    _cut_off(app, monkeypatch, probe)
    for path in ("/tiles/events/3/4/2.mvt", "/tiles/events.json", "/tiles/events/style.json"):
        path = f"{path}?{query}"
        response = await client.get(path)
        assert response.status_code == 400, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["param"]
    assert probe.asked == 0


async def test_hostile_input_is_a_4xx_problem_without_a_query(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = NoDatabase()
    _cut_off(app, monkeypatch, probe)
    wrong = []
    for address in HOSTILE_TILES:
        response = await client.get(f"/tiles/events/{address}.mvt")
        if response.status_code not in (400, 404) or response.json()["status"] != response.status_code:
            wrong.append((address, response.status_code))
    for query in [*HOSTILE_FILTERS, "%ED%A0%80=1"]:
        for path in ("/tiles/events/3/4/2.mvt", "/tiles/events.json", "/tiles/events/style.json"):
            response = await client.get(f"{path}?{query}")
            problem = response.json() if response.headers["content-type"] == "application/problem+json" else {}
            name = query.partition("=")[0]
            if response.status_code != 400 or problem.get("param") != (None if name.startswith("%") else name):
                wrong.append((path, query[:60], response.status_code, problem.get("param")))
    assert not wrong
    assert probe.asked == 0


def test_the_parse_memo_keeps_only_short_query_strings() -> None:
    """A map's query string is memoised; long ones are parsed each time, so junk cannot fill memory."""
    from app.errors import InvalidParameter
    from tiles import filters

    filters._memo.cache_clear()
    assert parse_filters("category=music" + "&" * 70_000).categories == ("music",)
    with pytest.raises(InvalidParameter):
        parse_filters("junk=" + "j" * 65_536)
    assert filters._memo.cache_info().currsize == 0
    assert parse_filters(b"category=music") is parse_filters("category=music")
    assert filters._memo.cache_info().currsize == 1


async def test_tiles_are_gzipped_once_with_a_strong_etag(client: httpx.AsyncClient, store: EventStore) -> None:
    await store.add([Event(*PARIS), Event(PARIS[0] + 0.001, PARIS[1])])
    tile = tile_of(*PARIS, 14)
    first = await get_tile(client, tile, **{"accept-encoding": "gzip, br"})
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert first.headers["content-encoding"] == "gzip"
    assert first.headers["vary"] == "Accept-Encoding"
    assert first.headers["cache-control"] == "public, max-age=60"
    assert first.headers["access-control-allow-origin"] == "*"
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert len(decode(first.content)) == 2  # httpx undid the gzip
    again = await get_tile(client, tile, **{"accept-encoding": "gzip"})  # from the cache: the same bytes
    assert again.headers["etag"] == etag and again.content == first.content

    not_modified = await get_tile(client, tile, **{"if-none-match": f'"other", {etag}'})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    weak = await get_tile(client, tile, **{"if-none-match": f"W/{etag}"})
    assert weak.status_code == 304


async def test_clients_without_gzip_get_plain_bytes(client: httpx.AsyncClient, store: EventStore) -> None:
    await store.add([Event(*PARIS)])
    tile = tile_of(*PARIS, 14)
    gzipped = await client.get(f"/tiles/events/{tile}.mvt", headers={"accept-encoding": "gzip"})
    plain = await client.get(f"/tiles/events/{tile}.mvt", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == gzipped.content  # httpx decoded the first one
    assert plain.headers["etag"] != gzipped.headers["etag"]  # another representation, another validator
    refused = await client.get(f"/tiles/events/{tile}.mvt", headers={"accept-encoding": "gzip;q=0, *;q=1"})
    assert "content-encoding" not in refused.headers


async def test_the_gzip_bytes_are_stored_once(app: FastAPI, store: EventStore) -> None:
    await store.add([Event(*PARIS)])
    tile = tile_of(*PARIS, 14)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as raw:
        bodies = []
        for _ in range(2):
            request = raw.build_request("GET", f"/tiles/events/{tile}.mvt", headers={"accept-encoding": "gzip"})
            response = await raw.send(request, stream=True)
            bodies.append(b"".join([chunk async for chunk in response.aiter_raw()]))
    cached = (await app.state.tiles.cache.lookup(tile, parse_filters("").digest)).tile
    assert cached is not None
    assert bodies == [cached.gzipped, cached.gzipped]  # the miss and the hit serve the stored bytes
    assert len(decode(gzip.decompress(bodies[0]))) == 1


async def test_unknown_routes_are_problems(client: httpx.AsyncClient) -> None:
    for path in ("/tiles/events/1/0/0.pbf", "/tiles/events/1/0/0", "/tiles/events/1/0.mvt"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "header,expected",
    [(None, False), ("gzip", True), ("GZIP", True), ("deflate, gzip;q=0.5", True), ("gzip;q=0", False),
     ("*", True), ("identity", False), ("br;q=1, *;q=0", False), ("x-gzip", True), ("gzip;q=abc", False)],
)
def test_accept_encoding(header: str | None, expected: bool) -> None:
    from app.kit.encoding import accepts_gzip

    assert accepts_gzip(header) is expected


async def test_tile_zero_and_the_deepest_zoom(client: httpx.AsyncClient, store: EventStore) -> None:
    await store.add([Event(*PARIS), Event(-33.86, 151.21)])
    world = decode((await get_tile(client, Tile(0, 0, 0))).content)
    assert sum(f["properties"]["count"] for f in world) == 2
    deepest = await get_tile(client, tile_of(*PARIS, 22))
    assert [f["properties"]["cluster"] for f in decode(deepest.content)] == [False]


async def test_tiles_go_through_the_request_context(app: FastAPI, client: httpx.AsyncClient, store: EventStore) -> None:
    await store.add([Event(*PARIS)])
    response = await get_tile(client, tile_of(*PARIS, 10), **{"x-request-id": "tile-req-1"})
    assert response.headers["x-request-id"] == "tile-req-1"
    metrics = (await client.get("/metrics")).text
    assert 'route="/tiles/events/{z}/{x}/{y}.mvt",status="200"' in metrics
    bad = await client.get("/tiles/events/99/0/0.mvt")
    assert bad.headers["x-request-id"]
    assert 'route="/tiles/events/{z}/{x}/{y}.mvt",status="404"' in (await client.get("/metrics")).text


async def test_only_get_reads_tiles(client: httpx.AsyncClient) -> None:
    response = await client.post("/tiles/events/1/0/0.mvt")
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.headers["content-type"] == "application/problem+json"


async def test_tiles_are_served_behind_a_root_path(app: FastAPI, store: EventStore) -> None:
    await store.add([Event(*PARIS)])
    transport = httpx.ASGITransport(app=app, root_path="/maps")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as mounted:
        response = await mounted.get(f"/maps/tiles/events/{tile_of(*PARIS, 12)}.mvt")
        assert response.status_code == 200 and len(decode(response.content)) == 1
        template = (await mounted.get("/maps/tiles/events.json")).json()["tiles"][0]
    assert template.startswith("http://test/maps/tiles/events/{z}/")

"""TileJSON and the events style: what a map client reads before its first tile."""

from __future__ import annotations

import json

import httpx
import psycopg

from tests.tiles.conftest import Event, EventStore, decode
from tiles.tilejson import CLUSTER_FIELDS, POINT_FIELDS, STYLE_PATH


async def test_tilejson_carries_the_normalised_filters(client: httpx.AsyncClient) -> None:
    response = await client.get("/tiles/events.json?free=1&category=music&category=arts&category=music")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    doc = response.json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == ["http://test/tiles/events/{z}/{x}/{y}.mvt?category=arts&category=music&free=true"]
    assert (doc["minzoom"], doc["maxzoom"]) == (0, 22)
    west, south, east, north = doc["bounds"]
    assert (west, east) == (-180, 180) and -85.06 < south < -85.05 and 85.05 < north < 85.06
    (layer,) = doc["vector_layers"]
    assert layer["id"] == "events" and (layer["minzoom"], layer["maxzoom"]) == (0, 22)
    assert set(layer["fields"]) == set(CLUSTER_FIELDS) | set(POINT_FIELDS)
    assert {"count", "expansion_zoom", "id", "title", "starts_at", "timezone", "is_free", "price_min", "currency",
            "popularity"} <= set(layer["fields"])
    again = await client.get("/tiles/events.json?category=arts&free=true&category=music")
    assert again.json() == doc  # stable: no timestamp, same filters same document
    assert again.headers["etag"] == response.headers["etag"]
    cached = await client.get("/tiles/events.json?category=arts&free=true&category=music",
                              headers={"if-none-match": response.headers["etag"]})
    assert cached.status_code == 304


async def test_tilejson_without_filters_and_behind_a_root_path(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/tiles/events.json")).json()
    assert doc["tiles"] == ["http://test/tiles/events/{z}/{x}/{y}.mvt"]
    async with httpx.AsyncClient(transport=client._transport, base_url="https://maps.example.org") as other:
        doc = (await other.get("/tiles/events.json?q=caf%C3%A9%20%7Bz%7D")).json()
    assert doc["tiles"] == ["https://maps.example.org/tiles/events/{z}/{x}/{y}.mvt?q=caf%C3%A9%20%7Bz%7D"]


async def test_the_template_fetches_the_filtered_tiles(client: httpx.AsyncClient, store: EventStore) -> None:
    await store.add([Event(48.85, 2.35, category="arts"), Event(48.85, 2.351, category="music")])
    template = (await client.get("/tiles/events.json?category=arts")).json()["tiles"][0]
    url = template.replace("http://test", "").replace("{z}", "3").replace("{x}", "4").replace("{y}", "2")
    features = decode((await client.get(url)).content)
    assert [f["properties"]["count"] for f in features] == [1]


async def test_the_style_points_at_the_tilejson(client: httpx.AsyncClient, clean_db: str) -> None:
    response = await client.get("/tiles/events/style.json?category=music")
    assert response.status_code == 200
    style = response.json()
    assert style["version"] == 8
    assert style["sources"]["events"] == {"type": "vector", "url": "http://test/tiles/events.json?category=music"}
    assert {layer["source-layer"] for layer in style["layers"]} == {"events"}
    assert json.loads(STYLE_PATH.read_text())["sources"]["events"]["url"] == "/tiles/events.json"  # file unchanged
    with psycopg.connect(clean_db) as conn:
        colours = dict(conn.execute("SELECT slug, color FROM categories").fetchall())
    for layer in style["layers"]:
        for prop in ("circle-color", "circle-stroke-color"):
            expression = layer.get("paint", {}).get(prop)
            if isinstance(expression, list) and expression[0] == "match":
                pairs = dict(zip(expression[2:-1:2], expression[3:-1:2], strict=True))
                assert pairs == colours  # every category, in the colour the database gives it


async def test_tilejson_refuses_parameters_that_are_not_filters(client: httpx.AsyncClient) -> None:
    for path in ("/tiles/events.json", "/tiles/events/style.json", "/tiles/events/3/4/2.mvt"):
        response = await client.get(f"{path}?category=music&foo=bar")
        assert response.status_code == 400 and response.json()["param"] == "foo", path


"""Serving the built front end and the offline basemap (app/web), over real HTTP."""

from __future__ import annotations

import asyncio
import gzip
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import mapbox_vector_tile
import pytest

from app.main import create_app
from app.web import places
from config.settings import Settings
from tests.e2e.harness import DIST, Server


def test_index_is_revalidated_and_honours_etags(server: Server) -> None:
    response = httpx.get(f"{server.base_url}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    again = httpx.get(f"{server.base_url}/", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_hashed_assets_are_immutable_gzipped_and_typed(server: Server) -> None:
    index = httpx.get(f"{server.base_url}/").text
    scripts = re.findall(r'(?:src|href)="(/assets/[^"]+\.js)"', index)
    assert scripts, index
    with httpx.Client(base_url=server.base_url, headers={"Accept-Encoding": "gzip"}) as client:
        response = client.get(scripts[0])
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-type"].startswith("text/javascript")
        worker = next(p for p in (DIST / "assets").iterdir() if p.name.endswith(".mjs"))
        typed = client.get(f"/assets/{worker.name}")
        assert typed.headers["content-type"].startswith("text/javascript")  # module workers require it
        decoder = next(p for p in (DIST / "assets").iterdir() if p.suffix == ".wasm")  # the door's QR reader
        wasm = client.get(f"/assets/{decoder.name}")
        assert wasm.headers["content-type"] == "application/wasm"  # compiled while it streams
        assert wasm.headers["content-encoding"] == "gzip"


@pytest.mark.parametrize(
    "path", ["/assets/../../pyproject.toml", "/assets/%2e%2e/%2e%2e/pyproject.toml", "/assets/nope.js"]
)
def test_nothing_outside_the_build_is_served(server: Server, path: str) -> None:
    response = httpx.get(f"{server.base_url}{path}")
    assert response.status_code == 404
    assert "[project]" not in response.text


def test_the_offline_style_points_at_data_we_serve(server: Server) -> None:
    style = httpx.get(f"{server.base_url}/basemap/style.json").json()
    assert style["version"] == 8
    assert "glyphs" not in style  # labels are drawn with local fonts: no glyph server needed
    basemap, places = style["sources"]["basemap"], style["sources"]["places"]
    assert basemap["type"] == "vector" and basemap["tiles"][0].startswith(f"{server.base_url}/basemap/tiles/")
    world = httpx.get(basemap["tiles"][0].format(z=0, x=0, y=0), headers={"Accept-Encoding": "gzip"})
    assert world.status_code == 200 and world.headers["content-type"] == "application/x-protobuf"
    assert len(world.content) > 10_000  # httpx has undone the gzip: this is the tile itself
    assert httpx.get(basemap["tiles"][0].format(z=9, x=0, y=0)).status_code == 404  # above the tiles' maxzoom
    assert places["type"] == "vector" and places["tiles"][0].startswith(f"{server.base_url}/basemap/places/")
    # Zoom 2 tile 1/1 spans the North Atlantic: London and New York (over 5 million people) are labelled.
    europe = httpx.get(places["tiles"][0].format(z=2, x=1, y=1), headers={"Accept-Encoding": "gzip"})
    assert europe.status_code == 200 and europe.headers["content-encoding"] == "gzip"
    names = {f["properties"]["name"] for f in mapbox_vector_tile.decode(europe.content)["places"]["features"]}
    assert {"London", "New York City"} <= names
    layer_ids = {layer["id"] for layer in style["layers"]}
    assert {"land", "coastline", "borders", "country-labels", "place-labels"} <= layer_ids


def test_open_ocean_has_no_basemap_tile(server: Server) -> None:
    # Zoom 6 tile 0/0 is the Arctic Ocean north of the Bering Strait: nothing to draw.
    response = httpx.get(f"{server.base_url}/basemap/tiles/6/0/0.pbf")
    assert response.status_code == 204


def test_timezones_give_a_start_near_the_viewer(server: Server) -> None:
    zones = httpx.get(f"{server.base_url}/basemap/timezones.json").json()
    lon, lat = zones["Europe/Paris"]
    assert abs(lat - 48.85) < 0.1 and abs(lon - 2.35) < 0.1


def _get(path: str, **settings: object) -> httpx.Response:
    """GET from the app in-process with other settings (no lifespan: these routes need no database).

    Run in a thread of its own: the session's Playwright keeps an event loop busy on this one.
    """
    app = create_app(Settings(environment="test", log_json=False, **settings))  # type: ignore[arg-type]

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.get(path)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, get()).result()


def test_a_missing_build_is_a_clear_503(tmp_path: Path) -> None:
    response = _get("/", frontend_dist=str(tmp_path / "dist"))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "frontend/build.sh" in response.json()["detail"]


def test_an_external_basemap_style_is_honoured_with_an_offline_fallback() -> None:
    external = "https://tiles.example.org/styles/liberty"
    redirected = _get("/basemap/style.json", basemap_style_url=external)
    offline = _get("/basemap/style.json?offline=1", basemap_style_url=external)
    assert redirected.status_code == 307 and redirected.headers["location"] == external
    assert offline.status_code == 200 and offline.json()["metadata"]["happenings:offline"] is True


def test_a_tile_holds_only_the_places_labelled_at_its_zoom() -> None:
    world = places.places_tile(2, 1, 1)
    town = places.places_tile(places.PLACES_MAX_ZOOM, 518, 352)  # around Paris: every place of 50k+
    assert world is not None and town is not None
    assert gzip.decompress(world[1]) == world[0]
    world_places = mapbox_vector_tile.decode(world[0])["places"]["features"]
    assert all(f["properties"]["z"] <= 3 for f in world_places)
    assert any(f["properties"]["z"] == 8.5 for f in mapbox_vector_tile.decode(town[0])["places"]["features"])
    assert places.places_tile(0, 0, 0) is None  # nothing is labelled at zoom 0

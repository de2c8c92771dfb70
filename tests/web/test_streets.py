"""The street map: a .pmtiles extract served by byte ranges, and the style that draws it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from app.errors import ConfigurationError
from app.main import create_app
from app.web import basemap, streets
from config.settings import BasemapSettings, Settings
from tests.fixtures.streets import write_street_archive

NEW_YORK = (40.7128, -74.0060)
LAYERS = [
    {"id": "background", "type": "background", "paint": {"background-color": "#cccccc"}},
    {"id": "earth", "type": "fill", "source": "protomaps", "source-layer": "earth", "paint": {"fill-color": "#e2dfda"}},
    {"id": "roads_major", "type": "line", "source": "protomaps", "source-layer": "roads", "paint": {}},
]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return write_street_archive(tmp_path / "new-york.pmtiles", *NEW_YORK)


@pytest.fixture
def data(archive: Path) -> bytes:
    return archive.read_bytes()


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A built front end as far as the style needs one: index.html and the Protomaps layer list."""
    root = tmp_path / "dist"
    (root / "basemap").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html>")
    (root / "basemap" / "protomaps-layers.json").write_text(json.dumps(LAYERS))
    return root


@asynccontextmanager
async def _client(pmtiles_path: Path | None, dist: Path | None = None) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        environment="test",
        log_json=False,
        freeze_gc_at_startup=False,
        basemap=BasemapSettings(pmtiles_path=str(pmtiles_path) if pmtiles_path else None),
        **({"frontend_dist": str(dist)} if dist else {}),  # type: ignore[arg-type]
    )
    app = create_app(settings)  # no lifespan: these routes need no database
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


@pytest.fixture
async def client(archive: Path, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(archive, dist) as c:
        yield c


URL = "/basemap/streets/new-york.pmtiles"


async def test_the_whole_archive_and_byte_ranges(client: httpx.AsyncClient, data: bytes) -> None:
    size = len(data)
    whole = await client.get(URL)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["etag"].startswith('"')
    assert whole.headers["content-length"] == str(size)

    # What the browser's pmtiles reader asks first: 16 KiB, more than this small archive holds.
    first = await client.get(URL, headers={"Range": "bytes=0-16383"})
    assert first.status_code == 206 and first.content == data
    assert first.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    assert first.headers["etag"] == whole.headers["etag"]
    for asked, start, end in [("bytes=7-7", 7, 7), ("bytes=-10", size - 10, size - 1), ("bytes=100-", 100, size - 1)]:
        part = await client.get(URL, headers={"Range": asked})
        assert part.status_code == 206, asked
        assert part.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert part.content == data[start : end + 1] and part.headers["content-length"] == str(end + 1 - start)
    assert (await client.get(URL, headers={"Range": "bytes=7-7"})).content == b"\x03"  # PMTiles spec version 3


@pytest.mark.parametrize(
    "asked", ["bytes=999999999-", "bytes=5-2", "bytes=0-1,4-5", "bytes=abc", "bytes=-0", "bytes=-", "bytes= 1-2-3"]
)
async def test_bad_ranges_are_416_with_the_size(client: httpx.AsyncClient, data: bytes, asked: str) -> None:
    response = await client.get(URL, headers={"Range": asked})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(data)}"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["param"] == "Range"


async def test_other_units_are_ignored(client: httpx.AsyncClient, data: bytes) -> None:
    response = await client.get(URL, headers={"Range": "items=0-5"})
    assert response.status_code == 200 and response.content == data


async def test_validators(client: httpx.AsyncClient, archive: Path, data: bytes) -> None:
    whole = await client.get(URL)
    etag, modified = whole.headers["etag"], whole.headers["last-modified"]
    assert (await client.get(URL, headers={"If-None-Match": etag})).status_code == 304
    ranged = {"Range": "bytes=0-9"}
    assert (await client.get(URL, headers={**ranged, "If-Range": etag})).status_code == 206
    assert (await client.get(URL, headers={**ranged, "If-Range": modified})).status_code == 206
    # A changed archive, or a weak validator: the whole (current) archive instead of a piece of it.
    for stale in ['"0123456789abcdef01234567"', f"W/{etag}", "Thu, 01 Jan 1970 00:00:00 GMT"]:
        response = await client.get(URL, headers={**ranged, "If-Range": stale})
        assert response.status_code == 200 and response.content == data, stale
    await asyncio.to_thread(archive.write_bytes, data + b"\0")  # a new extract: a new validator
    assert (await client.get(URL)).headers["etag"] != etag


async def test_a_range_is_bounded(tmp_path: Path, dist: Path) -> None:
    big = write_street_archive(tmp_path / "big.pmtiles", *NEW_YORK)
    with big.open("ab") as f:
        f.truncate(streets.MAX_RANGE_BYTES + 1_000_000)
    size = big.stat().st_size
    async with _client(big, dist) as client:
        response = await client.get("/basemap/streets/big.pmtiles", headers={"Range": "bytes=0-"})
        assert response.status_code == 206
        assert response.headers["content-range"] == f"bytes 0-{streets.MAX_RANGE_BYTES - 1}/{size}"
        assert len(response.content) == streets.MAX_RANGE_BYTES


async def test_unknown_extracts_are_404(client: httpx.AsyncClient) -> None:
    for path in ["/basemap/streets/paris.pmtiles", "/basemap/streets/..%2Fnew-york.pmtiles"]:
        response = await client.get(path)
        assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"


async def test_the_style_draws_streets_between_land_and_labels(client: httpx.AsyncClient) -> None:
    style = (await client.get("/basemap/style.json")).json()
    assert "glyphs" not in style and "sprite" not in style
    source = style["sources"]["streets-new-york"]
    assert source == {
        "type": "vector",
        "url": "pmtiles://http://test/basemap/streets/new-york.pmtiles",
        "attribution": streets.PROTOMAPS,
    }
    ids = [layer["id"] for layer in style["layers"]]
    assert ids.index("land") < ids.index("streets-new-york-earth") < ids.index("streets-new-york-roads_major")
    assert ids.index("streets-new-york-roads_major") < ids.index("place-dots") < ids.index("place-labels")
    assert "streets-new-york-background" not in ids  # the world outside the extract stays drawn
    earth = style["layers"][ids.index("streets-new-york-earth")]
    assert earth["source"] == "streets-new-york" and earth["paint"]["fill-color"] == basemap.LAND
    assert style["metadata"]["happenings:streets"] == ["new-york"]


async def test_without_the_setting_there_is_no_street_map(dist: Path) -> None:
    async with _client(None, dist) as client:
        style = (await client.get("/basemap/style.json")).json()
        assert not [name for name in style["sources"] if name.startswith("streets-")]
        assert (await client.get(URL)).status_code == 404


def test_a_folder_holds_one_extract_per_region(tmp_path: Path) -> None:
    for name in ["paris", "new-york"]:
        write_street_archive(tmp_path / f"{name}.pmtiles", *NEW_YORK)
    (tmp_path / "notes.txt").write_text("not an extract")
    assert [r.name for r in streets.load_regions(str(tmp_path))] == ["new-york", "paris"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"PK\x03\x04 a zip file, not an archive" + bytes(200), "city.pmtiles", "not a PMTiles v3 archive"),
        (b"PMTiles", "short.pmtiles", "not a PMTiles v3 archive"),
        (None, "new york.pmtiles", "letters, digits"),
        (None, "missing", "neither a file nor a folder"),
    ],
)
def test_a_bad_extract_stops_start_up_with_one_clear_line(
    tmp_path: Path, content: bytes | None, name: str, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    elif name.endswith(".pmtiles"):
        write_street_archive(path, *NEW_YORK)
    with pytest.raises(ConfigurationError, match=message):
        create_app(Settings(environment="test", log_json=False, basemap=BasemapSettings(pmtiles_path=str(path))))


def test_raster_extracts_are_refused(tmp_path: Path) -> None:
    path = write_street_archive(tmp_path / "raster.pmtiles", *NEW_YORK)
    data = bytearray(path.read_bytes())
    data[99] = 2  # tile type PNG
    path.write_bytes(bytes(data))
    with pytest.raises(ConfigurationError, match="PNG tiles"):
        streets.load_regions(str(path))


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"no \.pmtiles files"):
        streets.load_regions(str(tmp_path))


async def test_a_build_without_the_street_layers_is_a_clear_503(archive: Path, dist: Path) -> None:
    await asyncio.to_thread((dist / "basemap" / "protomaps-layers.json").unlink)
    async with _client(archive, dist) as client:
        response = await client.get("/basemap/style.json")
    assert response.status_code == 503 and "frontend/build.sh" in response.json()["detail"]

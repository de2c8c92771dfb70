"""Front-end files and basemap data (app/web): gzip only when asked for, one validator per encoding, safe names."""

from __future__ import annotations

import pytest

from tests.web.conftest import BASEMAP_TILE, INDEX, SCRIPT, ClientMaker

# (path, plain bytes or None when made by Python): files from dist, and data made in memory.
FILES = [
    ("/", INDEX), ("/assets/app-1a2b.js", SCRIPT), ("/basemap/tiles/0/0/0.pbf", BASEMAP_TILE),
    ("/basemap/timezones.json", None), ("/basemap/places/2/1/1.pbf", None), ("/docs/swagger-ui.css", None),
]
GZIP = ["gzip", "GZIP", "deflate, gzip;q=0.5", "*", "br;q=1, *;q=0.5", "x-gzip"]
PLAIN = [None, "identity", "gzip;q=0", "gzip;q=0, *;q=1", "br", "br;q=1, *;q=0", "gzip;q=abc", "gzip;q=0.000"]


@pytest.mark.parametrize(("path", "plain"), FILES)
async def test_gzip_only_when_the_client_takes_it(client_with: ClientMaker, path: str, plain: bytes | None) -> None:
    async with client_with() as client:
        reference = await client.get(path, headers={"accept-encoding": "identity"})
        assert reference.status_code == 200 and "content-encoding" not in reference.headers
        if plain is not None:
            assert reference.content == plain
        for accepted in GZIP:
            response = await client.get(path, headers={"accept-encoding": accepted})
            assert response.headers.get("content-encoding") == "gzip", accepted
            assert response.content == reference.content  # httpx undid the gzip
            assert response.headers["vary"] == "Accept-Encoding"
        for refused in PLAIN:
            headers = {"accept-encoding": refused} if refused else {}
            if refused is None:
                client.headers.pop("accept-encoding", None)
            response = await client.get(path, headers=headers)
            assert "content-encoding" not in response.headers, refused
            assert response.content == reference.content
            assert response.headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize(("path", "plain"), FILES)
async def test_each_encoding_has_its_own_validator(client_with: ClientMaker, path: str, plain: bytes | None) -> None:
    async with client_with() as client:
        gzipped = await client.get(path, headers={"accept-encoding": "gzip"})
        identity = await client.get(path, headers={"accept-encoding": "identity"})
        gz_tag, plain_tag = gzipped.headers["etag"], identity.headers["etag"]
        assert gz_tag != plain_tag and not gz_tag.startswith("W/") and not plain_tag.startswith("W/")
        for accepted, tag, expected in [("gzip", gz_tag, 304), ("identity", plain_tag, 304),
                                        ("identity", gz_tag, 200), ("gzip", plain_tag, 200)]:
            response = await client.get(path, headers={"accept-encoding": accepted, "if-none-match": tag})
            assert response.status_code == expected, (accepted, tag)
            assert response.headers["vary"] == "Accept-Encoding"
        star = await client.get(path, headers={"accept-encoding": "gzip", "if-none-match": "*"})
        assert star.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/assets/%2e%2e/index.html", "/assets/%2E%2E/index.html", "/assets/%2e/app-1a2b.js", "/assets//app-1a2b.js",
        "/assets/app-1a2b.js.gz", "/assets/%2e%2e/%2e%2e/pyproject.toml", "/assets/..%2fbasemap/tiles/0/0/0.pbf",
        "/assets/a%00b.js", "/assets/%00", "/assets/" + "a" * 300 + ".js", "/assets/" + "a/" * 600 + "b.js",
        "/assets/%ed%a0%80.js", "/assets/a%0ab.js", "/assets/a%5c..%5cindex.html", "/assets/",
    ],
)
async def test_only_files_inside_assets_are_served_from_assets(client_with: ClientMaker, path: str) -> None:
    async with client_with() as client:
        response = await client.get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert response.headers["content-type"] == "application/problem+json"
    assert "immutable" not in response.headers.get("cache-control", "")


async def test_index_is_served_at_the_root_only_and_never_as_immutable(client_with: ClientMaker) -> None:
    async with client_with() as client:
        index = await client.get("/")
        asset = await client.get("/assets/app-1a2b.js")
    assert index.headers["cache-control"] == "no-cache"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"

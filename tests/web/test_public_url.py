"""TileJSON and the events and basemap styles point at the configured address, whatever the request says."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from config.settings import HttpSettings, Settings
from tests.web.conftest import ClientMaker

BASE = "https://maps.example.org/happenings"
DOCUMENTS = ["/tiles/events.json?category=music", "/tiles/events/style.json?category=music", "/basemap/style.json"]
FORGED = [
    {"host": "evil.example"},
    {"x-forwarded-host": "evil.example", "x-forwarded-proto": "http", "x-forwarded-prefix": "/evil"},
    {"forwarded": "for=1.2.3.4;host=evil.example;proto=http", "x-forwarded-for": "1.2.3.4"},
    {"host": "evil.example:666", "x-forwarded-proto": "https", "x-forwarded-port": "666"},
]


def _urls(document: dict[str, object]) -> list[str]:
    """Every URL a map client would follow from the document."""
    if "tiles" in document:
        return list(document["tiles"])  # type: ignore[call-overload]
    sources = document["sources"]
    assert isinstance(sources, dict)
    return [url for source in sources.values() for url in [source.get("url"), *source.get("tiles", [])] if url]


@pytest.mark.parametrize("path", DOCUMENTS)
async def test_forged_host_and_forwarded_headers_change_nothing(client_with: ClientMaker, path: str) -> None:
    async with client_with(http=HttpSettings(public_base_url=BASE + "/")) as client:
        honest = await client.get(path)
        assert honest.status_code == 200
        urls = _urls(honest.json())
        assert urls and all(url.startswith(f"{BASE}/") for url in urls), urls
        for forged in FORGED:
            response = await client.get(path, headers=forged)
            assert response.content == honest.content, forged
            assert response.headers.get("etag") == honest.headers.get("etag")


async def test_in_development_the_request_stands_in_for_the_address(client_with: ClientMaker) -> None:
    async with client_with() as client:
        tiles = (await client.get("/tiles/events.json")).json()["tiles"]
    assert tiles == ["http://test/tiles/events/{z}/{x}/{y}.mvt"]


def test_production_refuses_to_start_without_a_public_address() -> None:
    secret, key = {"cursor_secret": "a-real-secret"}, {"jwt_private_key_file": "/run/secrets/jwt-ed25519.pem"}
    with pytest.raises(ValidationError, match="HAPPENINGS_HTTP__PUBLIC_BASE_URL must be set"):
        Settings(environment="production", discovery=secret, auth=key)  # type: ignore[arg-type]
    settings = Settings(environment="production", discovery=secret, auth=key, http={"public_base_url": BASE})  # type: ignore[arg-type]
    assert settings.http.public_base_url == BASE


@pytest.mark.parametrize("value", ["maps.example.org", "ftp://maps.example.org", "https://maps.example.org/?a=1",
                                   "https://maps.example.org/#top", "https:///path"])
def test_a_public_address_is_an_absolute_http_url(value: str) -> None:
    with pytest.raises(ValidationError):
        HttpSettings(public_base_url=value)


def test_origin_lists_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAPPENINGS_HTTP__CORS_ORIGINS", "https://App.example, http://localhost:5173/")
    monkeypatch.setenv("HAPPENINGS_HTTP__FORWARDED_ALLOW_IPS", '["10.0.0.1", "10.0.0.2"]')
    http = Settings().http
    assert http.cors_origins == ["https://app.example", "http://localhost:5173"]
    assert http.forwarded_allow_ips == ["10.0.0.1", "10.0.0.2"]
    with pytest.raises(ValidationError):
        HttpSettings(cors_origins="*")  # type: ignore[arg-type]

"""A small built front end of the tests' own, and apps made with other settings (no lifespan needed)."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.main import create_app
from config.settings import Settings
from tests.conftest import make_settings

INDEX = b"<!doctype html><title>Happenings</title><script type=module src=/assets/app-1a2b.js></script>\n" * 20
SCRIPT = b"console.log('the map');\n" * 200
BASEMAP_TILE = b"\x1a\x0b\x0a\x04land\x78\x02" * 40


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(body, mtime=0))


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """What ``frontend/build.sh`` makes, in small: index.html, one hashed asset, one basemap tile (each with .gz)."""
    root = tmp_path / "dist"
    _write(root / "index.html", INDEX)
    _write(root / "assets" / "app-1a2b.js", SCRIPT)
    _write(root / "basemap" / "tiles" / "0" / "0" / "0.pbf", BASEMAP_TILE)
    (root / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    return root


@pytest.fixture
def settings(clean_db: str, redis_prefix: str, dist: Path) -> Settings:
    return make_settings(clean_db, redis_prefix, frontend_dist=str(dist))


ClientMaker = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_with(dist: Path) -> ClientMaker:
    """``async with client_with(**settings) as client``: an app with those settings, without its lifespan.

    For the routes that need no database or Redis (documents, files, docs, health, metrics).
    """

    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        values: dict[str, Any] = {"environment": "test", "log_json": False, "frontend_dist": str(dist), **overrides}
        app = create_app(Settings(**values))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client

    return make


@pytest.fixture(scope="module")
def module_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A front end for a server process shared by a module's tests."""
    root = tmp_path_factory.mktemp("served") / "dist"
    _write(root / "index.html", INDEX)
    _write(root / "assets" / "app-1a2b.js", b"console.log(1);\n")
    return root

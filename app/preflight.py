"""Start-up checks that turn bad configuration into one clear line instead of a traceback."""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg
import redis
from psycopg import sql

from app.errors import ConfigurationError
from app.web.streets import load_regions
from config.settings import Settings


def check_database(url: str, *, create_missing: bool = True) -> None:
    """The server answers, the database exists (created if allowed) and PostGIS can be enabled."""
    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    name = parts.path.lstrip("/") or "postgres"
    try:
        conn = psycopg.connect(url, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if f'database "{name}" does not exist' in str(exc) and create_missing:
            _create_database(url, name)
            conn = psycopg.connect(url, connect_timeout=3)
        else:
            reason = _first_reason(str(exc)) or type(exc).__name__
            raise ConfigurationError(
                f"cannot reach PostgreSQL at {where} ({reason}): start it, or set DATABASE_URL to a reachable server"
            ) from None
    with conn:
        row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
        if row is None:
            major = conn.execute("SHOW server_version_num").fetchone()
            version = str(major[0])[:2] if major else "<major>"
            raise ConfigurationError(
                f"PostGIS is not installed on the PostgreSQL server at {where}: "
                f"install postgresql-{version}-postgis-3 (or run `make run`, which does)"
            )


def _first_reason(message: str) -> str:
    """libpq's reason ("Connection refused", "password authentication failed ...") without the preamble."""
    for line in message.splitlines():
        if "failed:" in line:
            return line.rsplit("failed:", 1)[1].strip()
    return message.strip().splitlines()[0] if message.strip() else ""


def _create_database(url: str, name: str) -> None:
    admin = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise ConfigurationError(
            f"database {name!r} does not exist and could not be created ({type(exc).__name__}): create it by hand"
        ) from None


def check_redis(url: str, timeout_s: float) -> None:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
        client.ping()
        client.close()
    except (OSError, redis.RedisError, ValueError) as exc:
        raise ConfigurationError(
            f"cannot reach Redis at {_redact(url)} ({type(exc).__name__}: {exc}): start Redis or fix REDIS_URL"
        ) from None


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def run_preflight(settings: Settings) -> None:
    check_database(settings.database.url)
    check_redis(settings.redis.url, max(settings.redis.socket_timeout_s, 1.0))
    load_regions(settings.basemap.pmtiles_path)  # the street map's extracts, when configured

"""Settings, one small class per concern, read from the environment (prefix ``HAPPENINGS_``).

``DATABASE_URL`` and ``REDIS_URL`` are also accepted without the prefix because every
platform (Heroku, Render, docker-compose) hands them over under those names.
Nothing here is read at import time: ``Settings()`` is built by whoever starts the app.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "HAPPENINGS_"


class DatabaseSettings(BaseModel):
    url: str = "postgresql://postgres@127.0.0.1:5432/happenings"
    pool_min: int = Field(2, ge=1)
    pool_max: int = Field(10, ge=1)
    # Every statement a request runs is cut off after this: no request can run away.
    statement_timeout_ms: int = Field(5000, ge=100)
    # A lost database is a fast 503 (app.kit.database_breaker): the longest wait for a pooled connection,
    # for a new connection to open (libpq's minimum is 2 s), and the 503's Retry-After.
    acquire_timeout_s: float = Field(2.0, gt=0)
    connect_timeout_s: int = Field(2, ge=2)
    retry_after_s: int = Field(2, ge=1)

    @field_validator("url")
    @classmethod
    def _plain_libpq_url(cls, value: str) -> str:
        # Accept SQLAlchemy-style URLs too; psycopg wants the libpq form.
        return value.replace("postgresql+psycopg://", "postgresql://", 1)

    @property
    def sqlalchemy_url(self) -> str:
        return self.url.replace("postgresql://", "postgresql+psycopg://", 1)


class RedisSettings(BaseModel):
    url: str = "redis://127.0.0.1:6379/0"
    # Every key this service writes starts with this, so tests and tenants can share a server.
    key_prefix: str = "hp:"
    socket_timeout_s: float = Field(0.5, gt=0)


class DiscoverySettings(BaseModel):
    default_limit: int = Field(50, ge=1)
    # At most the API contract's bounds (app.events.discovery_schemas: 500 items, 200 km).
    max_limit: int = Field(500, ge=1, le=500)
    # A bbox bigger than this is refused: the client should zoom in or use the tiles.
    max_bbox_area_deg2: float = Field(400.0, gt=0)
    # ... and so is a long thin one (little area, but a partition cover as long as the box).
    max_bbox_width_deg: float = Field(90.0, gt=0, le=360)
    max_bbox_height_deg: float = Field(45.0, gt=0, le=180)
    max_radius_m: float = Field(200_000.0, gt=0, le=200_000)
    cursor_secret: str = "dev-cursor-secret-change-me"


class TileSettings(BaseModel):
    max_zoom: int = Field(22, ge=0, le=22)
    cluster_below_zoom: int = Field(12, ge=0, le=22)
    max_features: int = Field(10_000, ge=1)
    cache_ttl_s: int = Field(3600, ge=1)
    browser_max_age_s: int = Field(60, ge=0)
    # tile_rollup's horizon (tiles.rollup): how far ahead of the clock, and how often it is checked.
    rollup_lead_s: int = Field(1800, ge=60)
    rollup_check_s: float = Field(60.0, gt=0)
    # Connections for the wide cluster tiles (z0-z5, and up to z8 where a rollup serves them), beside the
    # database pool's size for every other tile (tiles.service.TilePools).
    wide_pool_max: int = Field(4, ge=1)


class BasemapSettings(BaseModel):
    # A Protomaps .pmtiles extract, or a folder of them (one per region): the map then draws
    # streets, parks and water from it (app.web.streets). Unset: the offline Natural Earth map.
    pmtiles_path: str | None = None


def _origin(value: str) -> str:
    """``scheme://host[:port]``, lower-case, as browsers send it in ``Origin``."""
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"} or parts.query:
        raise ValueError(f"{value!r} is not an origin (scheme://host[:port], no path)")
    if not parts.netloc.isascii():
        raise ValueError(f"{value!r}: write the host in its ASCII (punycode) form, as browsers send it")
    return f"{parts.scheme}://{parts.netloc}".lower()


# Read from the environment as comma-separated values (or a JSON array), not only as JSON.
CommaList = Annotated[list[str], NoDecode]


class HttpSettings(BaseModel):
    """The HTTP surface: the public address, trusted proxies, CORS, request limits, the metrics token."""

    # The absolute URL this service is reached at (scheme, host, optional path prefix). TileJSON and the
    # styles build their URLs from it, never from the request's Host. Required outside development.
    public_base_url: str | None = None
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's forwarded_allow_ips).
    forwarded_allow_ips: CommaList = []
    # Origins that may call the account routes with credentials (cookies, Authorization). None by default.
    cors_origins: CommaList = []
    # Origins the map may fetch from besides this one (an external basemap's tiles, sprites, glyphs): CSP.
    csp_connect_origins: CommaList = []
    # A request with more header fields, or a bigger head (request line and fields), is refused with 431.
    max_header_count: int = Field(100, ge=10, le=10_000)
    max_header_bytes: int = Field(32_768, ge=4_096, le=1_048_576)
    # A client has this long to send a request's head (slow-header attacks); then 408 and the connection closes.
    header_timeout_s: float = Field(10.0, gt=0, le=300)
    # When set, /metrics answers only to ``Authorization: Bearer <token>``; outside development, unset, it is off.
    metrics_token: SecretStr | None = Field(None, min_length=16)

    @field_validator("forwarded_allow_ips", "cors_origins", "csp_connect_origins", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [p.strip() for p in text.split(",") if p.strip()]
        return value

    @field_validator("cors_origins", "csp_connect_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [_origin(origin) for origin in value]

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"{value!r} is not an absolute http(s) URL without query or fragment")
        return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


class Settings(BaseSettings):
    """Everything the service needs to start, assembled from the environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="ignore", case_sensitive=False
    )

    environment: str = "development"
    log_level: str = "INFO"
    log_json: bool = True
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    discovery: DiscoverySettings = DiscoverySettings()
    tiles: TileSettings = TileSettings()
    basemap: BasemapSettings = BasemapSettings()


    http: HttpSettings = HttpSettings()
    database_url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_URL", "HAPPENINGS_DATABASE_URL"))
    redis_url: str | None = Field(None, validation_alias=AliasChoices("REDIS_URL", "HAPPENINGS_REDIS_URL"))
    frontend_dist: str = "frontend/dist"
    # After start-up, keep its objects out of later garbage collections (app.main); off in tests,
    # which make many apps in one process.
    freeze_gc_at_startup: bool = True
    basemap_style_url: str | None = None

    def model_post_init(self, __context: object) -> None:
        if self.database_url:
            url = DatabaseSettings._plain_libpq_url(self.database_url)
            self.database = self.database.model_copy(update={"url": url})
        if self.redis_url:
            self.redis = self.redis.model_copy(update={"url": self.redis_url})
        self._refuse_default_secrets()

    @property
    def is_development(self) -> bool:
        return self.environment in {"development", "test"}

    def _refuse_default_secrets(self) -> None:
        if self.is_development:
            return
        if self.discovery.cursor_secret.startswith("dev-"):
            raise ValueError(
                "HAPPENINGS_DISCOVERY__CURSOR_SECRET must be set outside development "
                "(the default is public)."
            )
        if not self.http.public_base_url:
            raise ValueError(
                "HAPPENINGS_HTTP__PUBLIC_BASE_URL must be set outside development "
                "(the absolute URL clients reach this service at; documents never trust the request's Host)."
            )

"""The OpenAPI document against the server: schemathesis with every check, a bounded, seeded run.

Every operation of ``/openapi.json`` (the tile URL included) is called in-process with examples,
boundary cases and fuzzed values (valid and invalid by the schema) against a real database with a
few events and a real Redis. It must find no 5xx, no answer outside the document (status,
content type, body schema, headers), no invalid request accepted, and no valid request refused,
except the refusals listed in ``INEXPRESSIBLE``: rules OpenAPI cannot state, each with its reason
(docs/adr-discovery.md lists them too).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from pydantic import TypeAdapter
from redis import Redis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.python import asgi

from app.events import derived
from app.events.filters import Instant
from app.main import create_app
from config.settings import DiscoverySettings
from geo.bbox import BBox
from geo.cells import cell_of
from tests.conftest import REDIS_URL, make_settings
from tests.fixtures.database import DATA_TABLES

pytestmark = pytest.mark.contract

SEED = 20_160_316
MAX_EXAMPLES = 40  # fuzzed cases per operation, besides the examples and boundary cases
PARIS = (48.8566, 2.3522)
INSTANT = TypeAdapter(Instant)


@dataclass(frozen=True)
class Inexpressible:
    """A refusal of a request that is valid by the document: a rule OpenAPI 3.1 cannot state."""

    operations: tuple[str, ...]
    status: int
    param: str | None
    reason: str
    applies: Callable[[dict[str, Any]], bool]


def _given(query: dict[str, Any], *names: str) -> bool:
    return any(query.get(name) is not None for name in names)


def _blank(value: Any) -> bool:
    return value is None or not str(value).strip()


def _bbox_beyond_its_rules(query: dict[str, Any]) -> bool:
    """South above north, or wider, higher or larger than the default settings allow."""
    if not _given(query, "bbox"):
        return False
    west, south, east, north = (float(part) for part in str(query["bbox"]).split(","))
    if south > north:
        return True
    box, limits = BBox(west, south, east, north), DiscoverySettings()
    return (
        box.width_deg > limits.max_bbox_width_deg
        or box.north - box.south > limits.max_bbox_height_deg
        or box.area_deg2 > limits.max_bbox_area_deg2
    )


def _window_reversed(query: dict[str, Any]) -> bool:
    if not _given(query, "starts_after") or not _given(query, "starts_before"):
        return False
    after, before = (INSTANT.validate_python(query[name]) for name in ("starts_after", "starts_before"))
    return bool(before <= after)


LIST, NEARBY = "GET /api/v1/events", "GET /api/v1/events/nearby"
SEARCH_FEED = "GET /api/v1/calendars/search.ics"  # the list's area, filters and cursor, as a calendar
AREA_QUERIES, PAGED = (LIST, SEARCH_FEED), (LIST, NEARBY, SEARCH_FEED)
REGISTER, VERIFY = "POST /api/v1/auth/register", "POST /api/v1/auth/verify"
RESET_CONFIRM, APP_TOKEN = "POST /api/v1/auth/password-reset/confirm", "POST /api/v1/auth/oidc/token"
ORGANIZERS, INVITATIONS = "POST /api/v1/organizers", "POST /api/v1/organizers/{organizer_id}/invitations"
FOR_YOU, POPULAR_NEAR = "GET /api/v1/me/recommendations", "GET /api/v1/recommendations"
TILES = ("GET /tiles/events.json", "GET /tiles/events/style.json", "GET /tiles/events/{z}/{x}/{y}.mvt")

INEXPRESSIBLE = [
    Inexpressible(
        AREA_QUERIES, 400, "bbox", "bbox excludes lat/lon/radius_m: a parameter cannot exclude another",
        lambda q: _given(q, "bbox") and _given(q, "lat", "lon", "radius_m"),
    ),
    Inexpressible(
        AREA_QUERIES, 400, "bbox", "bbox or lat/lon is required: 'one of two parameter groups' is not expressible",
        lambda q: not _given(q, "bbox", "lat", "lon", "radius_m"),
    ),
    Inexpressible(
        AREA_QUERIES, 400, "lat", "lat and lon go together (radius_m needs both): parameters cannot require others",
        lambda q: not _given(q, "bbox") and not (_given(q, "lat") and _given(q, "lon")),
    ),
    Inexpressible(
        AREA_QUERIES, 400, "lon", "lat and lon go together: parameters cannot require others",
        lambda q: not _given(q, "bbox") and _given(q, "lat") and not _given(q, "lon"),
    ),
    Inexpressible(
        AREA_QUERIES, 400, "bbox", "south at most north, and the caps on width, height and area: relations between "
        "the four numbers of one string",
        lambda q: not _given(q, "lat", "lon", "radius_m") and _bbox_beyond_its_rules(q),
    ),
    Inexpressible(
        AREA_QUERIES, 400, "sort", "sort=distance needs lat/lon, sort=relevance needs a non-blank q: a value of one "
        "parameter cannot require another",
        lambda q: (q.get("sort") == "distance" and not (_given(q, "lat") and _given(q, "lon")))
        or (q.get("sort") == "relevance" and _blank(q.get("q"))),
    ),
    Inexpressible(
        PAGED, 400, "cursor", "a cursor is valid only as the server issued it, for the same query",
        lambda q: _given(q, "cursor"),
    ),
    Inexpressible(
        (FOR_YOU, POPULAR_NEAR), 400, "cursor", "a cursor is valid only as the server issued it, for the same "
        "person, place and page size",
        lambda q: _given(q, "cursor"),
    ),
    Inexpressible(
        (FOR_YOU,), 400, "lat", "lat and lon go together, and are required when no home is saved: parameters "
        "cannot require others, nor depend on stored data",
        lambda q: not (_given(q, "lat") and _given(q, "lon")),
    ),
    Inexpressible(
        PAGED, 422, "starts_before", "starts_before must be later than starts_after: parameters cannot "
        "be compared",
        _window_reversed,
    ),
    Inexpressible(
        TILES, 400, "starts_before", "starts_before must be later than starts_after: parameters cannot be compared",
        _window_reversed,
    ),
    Inexpressible(
        (REGISTER, RESET_CONFIRM), 422, "password", "a new password's strength (the configured minimum length, "
        "a zxcvbn score with the address and name as known words) is the server's judgement",
        lambda q: True,
    ),
    Inexpressible(
        (REGISTER, "POST /api/v1/auth/login", "POST /api/v1/auth/password-reset", ORGANIZERS, INVITATIONS),
        422, "email",
        "an address must be one mail can reach: special-use and reserved domains (RFC 6761: .test, .invalid, "
        "localhost) are refused, which format: email cannot state",
        lambda q: True,
    ),
    Inexpressible(
        (VERIFY, RESET_CONFIRM), 400, "token", "a mailed token is valid only as the server issued it, once, "
        "until it expires",
        lambda q: True,
    ),
    Inexpressible(
        (APP_TOKEN,), 400, None, "a hand-off code is valid only as the server issued it, once, for two minutes, "
        "with the verifier of its own challenge",
        lambda q: True,
    ),
]


def excused(case: Any, status: int, problem: dict[str, Any]) -> Inexpressible | None:
    """The entry of ``INEXPRESSIBLE`` that excuses refusing this valid request, if any."""
    query = dict(case.query or {})
    for entry in INEXPRESSIBLE:
        if (
            case.operation.label in entry.operations
            and status == entry.status
            and problem.get("param") == entry.param
            and entry.applies(query)
        ):
            return entry
    return None


@pytest.fixture(scope="module")
def contract_app(database_url: str) -> Iterator[FastAPI]:
    """An app over the suite's database, with a few events, whose lifespan schemathesis runs on its
    own event loop (not the ``app`` fixture's); one for every operation of the run."""
    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    _seed_events(database_url)
    yield create_app(make_settings(database_url, prefix))
    asgi.shutdown_lifespans()  # close its pools and Redis client before the data goes
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(DATA_TABLES)} CASCADE")
    redis = Redis.from_url(REDIS_URL)
    keys = list(redis.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        redis.delete(*keys)
    redis.close()


def _seed_events(url: str) -> None:
    """A few public events around Paris and one far away, so lists, tiles and details have content."""
    now = datetime.now(UTC).replace(microsecond=0)
    with psycopg.connect(url, autocommit=True) as conn:
        organizer = conn.execute("INSERT INTO organizers (name) VALUES ('Contract') RETURNING id").fetchone()
        assert organizer is not None
        places = [(PARIS[0] + n * 0.002, PARIS[1] - n * 0.003) for n in range(12)] + [(-33.86, 151.21)]
        for n, (lat, lon) in enumerate(places):
            starts = now + timedelta(hours=6 * n - 12)
            conn.execute(
                "INSERT INTO events (cell, id, organizer_id, category, title, tags, starts_at, ends_at, timezone, "
                "status, is_free, price_min, price_max, currency, popularity, geom) VALUES (%s, %s, %s, %s, %s, %s, "
                "%s, %s, 'Europe/Paris', 'published', %s, %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
                (
                    cell_of(lat, lon), uuid.uuid4(), organizer[0], ("music", "food", "arts")[n % 3],
                    f"Jazz night {n}", ["outdoor", "kids"][: n % 3], starts, starts + timedelta(hours=3),
                    n % 4 == 0, None if n % 4 == 0 else 500 * n, None if n % 4 == 0 else 900 * n,
                    None if n % 4 == 0 else "EUR", n, lon, lat,
                ),
            )  # fmt: skip
        conn.execute(derived.REBUILD)


def _document() -> dict[str, Any]:
    """The OpenAPI document, as an app with the test settings serves it (making an app connects nothing)."""
    return create_app(make_settings("postgresql://127.0.0.1/unused", "unused:")).openapi()


CONFIG = schemathesis.Config.from_dict(
    {"seed": SEED, "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"}}
)
# The live map's stream never ends (Server-Sent Events): a generated call would wait for ever;
# tests/live/test_live.py speaks to it over a socket instead.
schema = schemathesis.openapi.from_dict(_document(), config=CONFIG).exclude(path="/api/v1/live")


@schema.parametrize()
@hypothesis_settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=False)
def test_the_server_keeps_the_documented_contract(case: Any, contract_app: FastAPI) -> None:
    load_all_checks()
    response = case.call(app=contract_app)
    try:
        case.validate_response(response, checks=CHECKS.get_all(), transport_kwargs={"app": contract_app})
    except FailureGroup as group:
        others = [failure for failure in group.exceptions if not isinstance(failure, RejectedPositiveData)]
        if others or not _excused_rejection(case, response):
            raise
    assert response.status_code < 500


def _excused_rejection(case: Any, response: Any) -> bool:
    content_type = response.headers.get("content-type") or [""]  # schemathesis: each header a list
    problem = response.json() if content_type[0] == "application/problem+json" else {}
    return excused(case, response.status_code, problem) is not None

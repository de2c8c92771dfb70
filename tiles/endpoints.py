"""Tile endpoints: ``/tiles/events/{z}/{x}/{y}.mvt``, ``/tiles/events.json``, ``/tiles/events/style.json``.

HTTP only. The tile address and the filters are checked before anything else (a bad one is a
400 or 404 problem and no query runs); the service answers from the caches or the database; this
module turns the gzipped bytes into a response: 204 when empty, 304 when the client holds them,
the gzip bytes as they are for clients that accept gzip (all browsers), decompressed for others.
Tiles, TileJSON and style are public data: any origin may read them (partner maps); the CORS
headers, HEAD and the security headers come from ``app.kit.http_policy`` around every route.

The tile URL is served by ``TileRequests``, a pure-ASGI handler installed as a middleware inside
the request-context middleware (request id, access log and metrics still apply), in front of the
framework's routing and dependency machinery. Tiles are the busiest URL by far (a map view asks
for a dozen at a time) and a near-cache hit costs little of our own code; going through the
routing of every API route and FastAPI's per-request layers costs several times that, which alone
keeps cache hits below the throughput target (70% of a bare Starlette endpoint). For the
same reason a tile reply is its two ASGI messages (``TileReply``), not a Starlette ``Response``.
TileJSON and the style are ordinary FastAPI routes.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import InvalidParameter, NotFound, ProblemError, problem_responses, render_problem
from app.events.filters import Filters
from app.kit.encoding import VARY, accepts_gzip, coded_etag
from app.kit.etag import cacheable_response, none_match
from app.kit.public_url import public_base_url
from app.kit.query_params import openapi
from config.settings import Settings
from tiles.filters import parse_filters
from tiles.grid import InvalidTile, Tile, TileOutOfRange, parse_tile
from tiles.rendered import RenderedTile
from tiles.service import TileService
from tiles.tilejson import events_style, tilejson

MVT = "application/vnd.mapbox-vector-tile"
MVT_BYTES = MVT.encode()
TILEJSON = "application/json"
VARY_BYTES = VARY.encode()
TILE_PATH = "/tiles/events/{z}/{x}/{y}.mvt"
_TILE_URL = re.compile(r"/tiles/events/([^/]+)/([^/]+)/([^/]+)\.mvt")

router = APIRouter(prefix="/tiles", tags=["tiles"])

_problems = problem_responses({400: "A filter is malformed, out of range or unknown (names it)"})


class MethodNotAllowed(ProblemError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class _Route:
    """What the request-context middleware reads to label metrics with the route template."""

    path = TILE_PATH


class TileRequests:
    """Pure-ASGI handler of ``GET /tiles/events/{z}/{x}/{y}.mvt``; every other request passes through.

    Clusters below ``cluster_below_zoom``, single events from it; filters as ``GET /api/v1/events``.
    200 (MVT 2.1, layer ``events``, gzip), 204 (no event), 304 (If-None-Match), 400 (malformed
    address or filter), 404 (no such tile), 405 (not GET), 503 with Retry-After (the tile is not cached
    and the database is unavailable), all errors as problem+json.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _TILE_URL.fullmatch(_route_path(scope)) if scope["type"] == "http" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = _Route
        try:
            reply = await events_tile(scope, *match.groups())
        except ProblemError as exc:  # outside the router: rendered here, by the same function
            await render_problem(exc, scope["path"])(scope, receive, send)
            return
        await reply.send(send)


def _route_path(scope: Scope) -> str:
    """The path below the app's mount point (``root_path``), as the router would match it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def events_tile(scope: Scope, z: str, x: str, y: str) -> TileReply:
    """The tile's reply; the address and the filters are checked before the service is asked."""
    if scope["method"] != "GET":
        raise MethodNotAllowed(
            f"{scope['method']} is not allowed here; tiles are read with GET", headers={"Allow": "GET, HEAD"}
        )
    state = scope["app"].state
    settings: Settings = state.settings
    tile = _tile(z, x, y, settings.tiles.max_zoom)
    filters = parse_filters(scope["query_string"])
    service: TileService = state.tiles
    rendered = await service.tile(tile, filters)
    accept_encoding, if_none_match = _conditions(scope["headers"])
    return tile_reply(rendered, accept_encoding, if_none_match, settings.tiles.browser_max_age_s)


@router.get(
    "/events.json", summary="TileJSON 3.0.0 of the events tiles", responses=_problems, openapi_extra=openapi(Filters)
)
async def events_tilejson(request: Request) -> Response:
    """The tile URL template carries the normalised filters of this request.

    The tiles themselves: ``GET /tiles/events/{z}/{x}/{y}.mvt`` (Mapbox Vector Tile 2.1, layer
    ``events``, gzip; 204 when empty, 304 on If-None-Match; 400/404 problem+json for a bad address).
    """
    settings = _settings(request)
    document = tilejson(public_base_url(request), parse_filters(request.scope["query_string"]), settings.tiles)
    return _json(request, document, settings.tiles.browser_max_age_s)


@router.get(
    "/events/style.json",
    summary="MapLibre style of the events layer",
    responses=_problems,
    openapi_extra=openapi(Filters),
)
async def events_style_json(request: Request) -> Response:
    """``config/events-style.json``, its source pointing at this service's TileJSON (with the request's filters)."""
    settings = _settings(request)
    document = events_style(public_base_url(request), parse_filters(request.scope["query_string"]))
    return _json(request, document, settings.tiles.browser_max_age_s)


def document_tiles(app: FastAPI) -> None:
    """Add the tile URL, which ``TileRequests`` serves outside the router, to ``app``'s OpenAPI document."""
    build = app.openapi

    def with_tiles() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            document["paths"][TILE_PATH] = _tile_path_item(app.state.settings.tiles.max_zoom)
        return app.openapi_schema or {}

    app.openapi = with_tiles  # type: ignore[method-assign]


def _tile_path_item(max_zoom: int) -> dict[str, Any]:
    def index(name: str, maximum: int, description: str) -> dict[str, Any]:
        schema = {"type": "integer", "minimum": 0, "maximum": maximum}
        return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}

    last = 2**max_zoom - 1
    operation = {
        "tags": ["tiles"],
        "summary": "One vector tile of the events",
        "operationId": "events_tile",
        "description": (
            "Mapbox Vector Tile 2.1, layer `events`, gzip-encoded for clients that accept it. Clusters below the "
            "cluster zoom, single events from it (see the TileJSON). Filters as `GET /api/v1/events`. Read the URL "
            "template from `/tiles/events.json` rather than building it."
        ),
        "parameters": [
            index("z", max_zoom, "Zoom."),
            index("x", last, "Column, below 2^z."),
            index("y", last, "Row from the north, below 2^z."),
            *openapi(Filters)["parameters"],
        ],
        "responses": {
            "200": {"description": "The tile", "content": {MVT: {"schema": {"type": "string", "format": "binary"}}}},
            "204": {"description": "No event in the tile"},
            "304": {"description": "Not modified (If-None-Match)"},
            **problem_responses(
                {
                    400: "The address or a filter is malformed, out of range or unknown (names it)",
                    404: "No such tile at this zoom (x or y not below 2^z, or z beyond the deepest zoom)",
                }
            ),
        },
    }
    return {"get": operation}


@dataclass(frozen=True, slots=True)
class TileReply:
    """A tile response as the two ASGI messages it is (header names lower-case, values encoded).

    Built by hand rather than as a Starlette ``Response``: its header bookkeeping is a large part of
    the CPU of a near-cache hit, and a tile reply has only these few fixed headers.
    """

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def tile_reply(
    rendered: RenderedTile, accept_encoding: str | None, if_none_match: str | None, max_age_s: int
) -> TileReply:
    """204 when empty; else 304 when the client holds this representation, or 200 with it."""
    headers = [(b"cache-control", b"public, max-age=%d" % max_age_s)]
    if rendered.empty:
        return TileReply(204, headers)
    gzip_ok = accepts_gzip(accept_encoding)
    etag = coded_etag(rendered.etag, gzip_ok)
    headers += [(b"etag", etag.encode("latin-1")), (b"vary", VARY_BYTES)]
    if none_match(if_none_match, etag):
        return TileReply(304, headers)
    body = rendered.gzipped if gzip_ok else gzip.decompress(rendered.gzipped)
    if gzip_ok:
        headers.append((b"content-encoding", b"gzip"))
    headers += [(b"content-type", MVT_BYTES), (b"content-length", b"%d" % len(body))]
    return TileReply(200, headers, body)


def _conditions(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """The first Accept-Encoding and If-None-Match of the request (ASGI names are lower-case)."""
    accept_encoding = if_none_match = None
    for name, value in headers:
        if name == b"accept-encoding" and accept_encoding is None:
            accept_encoding = value.decode("latin-1")
        elif name == b"if-none-match" and if_none_match is None:
            if_none_match = value.decode("latin-1")
    return accept_encoding, if_none_match


def _tile(z: str, x: str, y: str, max_zoom: int) -> Tile:
    try:
        return parse_tile(z, x, y, max_zoom)
    except InvalidTile as exc:
        raise InvalidParameter(str(exc), param="tile") from exc
    except TileOutOfRange as exc:
        raise NotFound(f"no tile {z}/{x}/{y}: {exc}", param="tile") from exc


def _json(request: Request, document: dict[str, Any], max_age_s: int) -> Response:
    return cacheable_response(
        orjson.dumps(document),
        media_type=TILEJSON,
        if_none_match=request.headers.get("if-none-match"),
        cache_control=f"public, max-age={max_age_s}",
    )


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings

"""HTTP for the web front end: the app at `/`, its hashed assets, the basemap (style and data), the API docs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.errors import NotFound
from app.kit.public_url import public_base_url
from app.web import basemap, docs, places
from app.web.static import DATA, IMMUTABLE, REVALIDATE, Dist, bytes_response, file_response

router = APIRouter(include_in_schema=False)
router.include_router(docs.router)


def _dist(request: Request) -> Dist:
    return Dist.from_setting(request.app.state.settings.frontend_dist)


@router.get("/")
def index(request: Request) -> Response:
    """The app. A 503 problem+json (not a blank page) when the front end has not been built."""
    return file_response(request, _dist(request).file("index.html"), REVALIDATE)


@router.get("/assets/{path:path}")
def asset(path: str, request: Request) -> Response:
    """Vite's content-hashed files: only what is inside ``dist/assets`` gets the year-long immutable cache."""
    return file_response(request, _dist(request).file(path, within="assets"), IMMUTABLE)


@router.get("/favicon.svg")
def favicon(request: Request) -> Response:
    return file_response(request, _dist(request).file("favicon.svg"), DATA)


@router.get("/basemap/style.json")
def basemap_style(request: Request, offline: bool = False) -> Response:
    """Our offline style, or a redirect to ``settings.basemap_style_url`` when one is configured.

    ``?offline=1`` always gives the offline style: the app falls back to it when the external
    style cannot be reached.
    """
    external: str | None = request.app.state.settings.basemap_style_url
    if external and not offline:
        return RedirectResponse(external, status_code=307, headers={"Cache-Control": REVALIDATE})
    style = basemap.offline_style(public_base_url(request))
    return JSONResponse(style, headers={"Cache-Control": REVALIDATE})


@router.get("/basemap/places/{z}/{x}/{y}.pbf")
def basemap_places(z: int, x: int, y: int, request: Request) -> Response:
    """City labels (GeoNames) as a vector tile; 204 where there are none."""
    _check_tile(z, x, y, places.PLACES_MAX_ZOOM)
    tile = places.places_tile(z, x, y)
    if tile is None:
        return Response(status_code=204, headers={"Cache-Control": DATA})
    return bytes_response(request, *tile, "application/x-protobuf", DATA)


@router.get("/basemap/timezones.json")
def basemap_timezones(request: Request) -> Response:
    return bytes_response(request, *places.timezone_centers(), "application/json", DATA)


@router.get("/basemap/tiles/{z}/{x}/{y}.pbf")
def basemap_tile(z: int, x: int, y: int, request: Request) -> Response:
    """A prebuilt Natural Earth vector tile; 204 where there is nothing (open ocean)."""
    _check_tile(z, x, y, basemap.BASEMAP_MAX_ZOOM)
    dist = _dist(request)
    dist.require_built()
    path = dist.root / "basemap" / "tiles" / str(z) / str(x) / f"{y}.pbf"
    if not path.is_file():
        return Response(status_code=204, headers={"Cache-Control": DATA})
    return file_response(request, path, DATA)


def _check_tile(z: int, x: int, y: int, max_zoom: int) -> None:
    if not (0 <= z <= max_zoom and 0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound(f"no tile {z}/{x}/{y}: zooms 0-{max_zoom} only")

"""HTTP for the web front end: the app at `/`, its hashed assets, the basemap (style and data), the API docs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.errors import NotFound
from app.kit.public_url import public_base_url
from app.web import basemap, docs, places, streets
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


@router.get("/sw.js")
def service_worker(request: Request) -> Response:
    """The Web Push service worker: at the root (its scope is the whole app), always revalidated."""
    return file_response(request, _dist(request).file("sw.js"), REVALIDATE)


@router.get("/basemap/style.json")
def basemap_style(request: Request, offline: bool = False) -> Response:
    """Our style (the street map when extracts are configured, else Natural Earth), or a redirect
    to ``settings.basemap_style_url`` when one is configured.

    ``?offline=1`` always gives our style: the app falls back to it when the external style
    cannot be reached.
    """
    external: str | None = request.app.state.settings.basemap_style_url
    if external and not offline:
        return RedirectResponse(external, status_code=307, headers={"Cache-Control": REVALIDATE})
    regions: tuple[streets.Region, ...] = request.app.state.streets
    if regions:
        dist = _dist(request)
        dist.require_built()
        style = streets.street_style(public_base_url(request), regions, streets.protomaps_layers(dist.root))
    else:
        style = basemap.offline_style(public_base_url(request))
    return JSONResponse(style, headers={"Cache-Control": REVALIDATE})


@router.get("/basemap/streets/{name}.pmtiles")
def basemap_streets(name: str, request: Request) -> Response:
    """A street map extract (``settings.basemap.pmtiles_path``), by byte ranges."""
    regions: tuple[streets.Region, ...] = request.app.state.streets
    region = next((r for r in regions if r.name == name), None)
    if region is None:
        raise NotFound(f"no street map extract {name!r}")
    return streets.archive_response(request, region)


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


@router.get("/basemap/timezone")
def basemap_timezone(
    lat: Annotated[float, Query(ge=-90, le=90)], lon: Annotated[float, Query(ge=-180, le=180)]
) -> Response:
    """The IANA zone kept at a point (the nearest town's): the calendar's days are that place's days."""
    return JSONResponse({"timezone": places.zone_at(round(lat, 2), round(lon, 2))}, headers={"Cache-Control": DATA})


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

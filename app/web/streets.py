"""The street map: local Protomaps ``.pmtiles`` extracts, served by byte ranges, and their style.

``settings.basemap.pmtiles_path`` names one ``.pmtiles`` file or a folder of them (one a region,
named by its file). The browser reads an archive with HTTP range requests (npm ``pmtiles``, as a
MapLibre protocol), so the server only serves bytes: single ranges, validated by ETag, each
answer at most ``MAX_RANGE_BYTES``. The style draws the Protomaps basemap layers without labels
(their label layers need glyph files; our place labels use the browser's fonts) over the offline
Natural Earth map, which still draws the world outside the extracts.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from pmtiles.tile import MagicNumberNotFound, SpecVersionUnsupported, TileType, deserialize_header

from app.errors import ConfigurationError, ProblemError
from app.web import basemap
from app.web.static import FrontendNotBuilt

HEADER_BYTES = 127
# One answer carries at most this much of an archive (a range asking for more gets this much, as
# its Content-Range says). The browser asks for 16 KiB headers, directories and single tiles.
MAX_RANGE_BYTES = 8 * 1024 * 1024
MAX_REGIONS = 16
CHUNK_BYTES = 64 * 1024
REGION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ARCHIVE_MEDIA_TYPE = "application/vnd.pmtiles"
CACHE_CONTROL = "public, max-age=3600, must-revalidate"
PROTOMAPS = "© OpenStreetMap contributors, Protomaps"
# Written at front-end build time from npm @protomaps/basemaps (frontend/scripts/build-basemap.mjs).
LAYERS_FILE = Path("basemap") / "protomaps-layers.json"
# The Protomaps layer list's own background would hide the Natural Earth map around the extracts.
SKIPPED_LAYERS = {"background"}


class RangeNotSatisfiable(ProblemError):
    status, slug, title = 416, "range-not-satisfiable", "Range not satisfiable"


@dataclass(frozen=True, slots=True)
class Region:
    """One extract, named by its file. (The browser reads its zooms and bounds from its header.)"""

    name: str
    path: Path

    @property
    def source_id(self) -> str:
        return f"streets-{self.name}"


def load_regions(setting: str | None) -> tuple[Region, ...]:
    """The extracts a setting names (a file, or a folder of ``*.pmtiles``), or ConfigurationError."""
    if not setting:
        return ()
    path = Path(setting).expanduser()
    if path.is_dir():
        files = sorted(path.glob("*.pmtiles"))
        if not files:
            raise ConfigurationError(f"HAPPENINGS_BASEMAP__PMTILES_PATH: no .pmtiles files in {path}")
        if len(files) > MAX_REGIONS:
            raise ConfigurationError(
                f"HAPPENINGS_BASEMAP__PMTILES_PATH: {len(files)} extracts in {path}; at most {MAX_REGIONS}"
            )
    elif path.is_file():
        files = [path]
    else:
        raise ConfigurationError(f"HAPPENINGS_BASEMAP__PMTILES_PATH: {path} is neither a file nor a folder")
    return tuple(_region(file) for file in files)


def _region(path: Path) -> Region:
    name = path.stem
    if not REGION_NAME.match(name):
        raise ConfigurationError(
            f"{path}: name extracts with letters, digits, '-' and '_' only (e.g. new-york.pmtiles)"
        )
    try:
        with path.open("rb") as f:
            header = deserialize_header(f.read(HEADER_BYTES))
    except (OSError, MagicNumberNotFound, SpecVersionUnsupported, ValueError, IndexError) as exc:
        raise ConfigurationError(
            f"{path} is not a PMTiles v3 archive ({type(exc).__name__}): cut one with `pmtiles extract`"
        ) from None
    if header["tile_type"] is not TileType.MVT:
        raise ConfigurationError(
            f"{path} holds {header['tile_type'].name} tiles; the street map needs vector (MVT) tiles"
        )
    return Region(name, path.resolve())


# ---- serving bytes ----------------------------------------------------------------------------


def archive_response(request: Request, region: Region) -> Response:
    """The archive, or the one byte range asked for (206), honouring If-None-Match and If-Range."""
    stat = region.path.stat()
    size = stat.st_size
    etag = '"' + hashlib.blake2s(f"{stat.st_mtime_ns}-{size}".encode(), digest_size=12).hexdigest() + '"'
    last_modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Last-Modified": last_modified, "Cache-Control": CACHE_CONTROL}
    if etag in _tags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    wanted = request.headers.get("range")
    if wanted is not None and _if_range_holds(request.headers.get("if-range"), etag, last_modified):
        span = byte_range(wanted, size)
        if span is not None:
            start, end = span
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            return _stream(region.path, start, end + 1 - start, 206, headers)
    return _stream(region.path, 0, size, 200, headers)


def byte_range(value: str, size: int) -> tuple[int, int] | None:
    """The first and last byte of a one-range ``Range`` value, at most MAX_RANGE_BYTES long.

    None for a unit other than bytes (RFC 9110: ignored, the whole archive follows).
    ``RangeNotSatisfiable`` for a malformed or multiple range, or one that starts past the end.
    """
    unit, _, spec = value.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    match = re.fullmatch(r"\s*(\d{0,19})-(\d{0,19})\s*", spec)
    if match is None or match.group(1) == match.group(2) == "":
        raise _unsatisfiable(size, "one range of bytes, e.g. bytes=0-16383")
    first, last = match.group(1), match.group(2)
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise _unsatisfiable(size, "a suffix range of at least one byte of a non-empty archive")
        start, end = max(0, size - length), size - 1
    else:
        start = int(first)
        end = size - 1 if last == "" else min(int(last), size - 1)
        if last != "" and int(last) < start:
            raise _unsatisfiable(size, "a range whose last byte is not before its first")
        if start >= size:
            raise _unsatisfiable(size, f"a range that starts inside the archive ({size} bytes)")
    return start, min(end, start + MAX_RANGE_BYTES - 1)


def _unsatisfiable(size: int, what: str) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(f"Range: ask for {what}.", param="Range", headers={"Content-Range": f"bytes */{size}"})


def _if_range_holds(value: str | None, etag: str, last_modified: str) -> bool:
    """If-Range (RFC 9110 13.1.5): a strong ETag or the exact Last-Modified date; else the whole archive."""
    if value is None:
        return True
    value = value.strip()
    if value.startswith('"'):
        return value == etag
    return not value.startswith("W/") and value == last_modified


def _tags(value: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in value.split(",") if tag.strip()}


def _stream(path: Path, start: int, length: int, status: int, headers: Mapping[str, str]) -> Response:
    def chunks() -> Iterator[bytes]:
        with path.open("rb") as f:
            f.seek(start)
            left = length
            while left > 0:
                chunk = f.read(min(CHUNK_BYTES, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    return StreamingResponse(
        chunks(),
        status_code=status,
        media_type=ARCHIVE_MEDIA_TYPE,
        headers={**headers, "Content-Length": str(length)},
    )


# ---- the style --------------------------------------------------------------------------------


@lru_cache(maxsize=4)  # keyed by modification time: a rebuild is read again
def _protomaps_layers(path: Path, mtime_ns: int) -> tuple[dict[str, Any], ...]:
    layers: list[dict[str, Any]] = json.loads(path.read_text())
    return tuple(layers)


def protomaps_layers(dist_root: Path) -> tuple[dict[str, Any], ...]:
    """The label-free Protomaps layers (source ``protomaps``) written by the front-end build."""
    path = dist_root / LAYERS_FILE
    try:
        mtime_ns = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise FrontendNotBuilt(f"{path} is missing: rebuild the front end (`bash frontend/build.sh`).") from None
    return _protomaps_layers(path, mtime_ns)


def street_style(base_url: str, regions: tuple[Region, ...], layers: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """The offline style with every region's streets drawn over its land and under its labels."""
    style = basemap.offline_style(base_url)
    data = f"{base_url.rstrip('/')}/basemap/streets"
    for region in regions:
        style["sources"][region.source_id] = {
            "type": "vector",
            "url": f"pmtiles://{data}/{region.name}.pmtiles",
            "attribution": PROTOMAPS,
        }
    drawn = [layer for layer in layers if layer["id"] not in SKIPPED_LAYERS]
    streets = [_for_region(layer, region) for region in regions for layer in drawn]
    base = [layer for layer in style["layers"] if layer.get("type") != "symbol" and layer["id"] != "place-dots"]
    labels = [layer for layer in style["layers"] if layer not in base]
    style["layers"] = [*base, *streets, *labels]
    style["name"] = "Happenings street map"
    style["metadata"] = {"happenings:offline": True, "happenings:streets": [region.name for region in regions]}
    return style


def _for_region(layer: dict[str, Any], region: Region) -> dict[str, Any]:
    recoloured = {**layer, "id": f"{region.source_id}-{layer['id']}", "source": region.source_id}
    # Land and water in the offline map's colours, so the extract's edge does not show.
    colour = {"earth": basemap.LAND, "water": basemap.WATER}.get(layer["id"])
    if colour is not None:
        recoloured["paint"] = {**layer.get("paint", {}), "fill-color": colour}
    return recoloured

"""Files of the built front end, served safely: no path escapes its folder, gzip when the client takes it.

Vite names assets by content hash, so they (and only they: nothing outside ``dist/assets``) are
cached for a year as immutable; everything else (index.html, the basemap data) is revalidated
with an ETag so a new build shows up at once. Names are checked before the file system sees
them: a NUL byte, a dot segment or an over-long name is a 404, never an error.
Gzip or plain follows ``app.kit.encoding``: q-values honoured, one ETag per representation.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, Response

from app.errors import NotFound, ServiceUnavailable
from app.kit.encoding import VARY, accepts_gzip, coded_etag
from app.kit.etag import etag_of, none_match

PROJECT_ROOT = Path(__file__).resolve().parents[2]

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
DATA = "public, max-age=3600, must-revalidate"

# Set here rather than guessed: a module worker served as octet-stream is refused by browsers.
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".geojson": "application/geo+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".pbf": "application/x-protobuf",
    ".map": "application/json",
    ".wasm": "application/wasm",  # WebAssembly compiles while streaming only when typed so
}

# Longer names than this (per path segment, and in all) are refused before any file system call:
# Linux refuses names over 255 bytes with an error of its own.
MAX_SEGMENT_BYTES = 255
MAX_PATH_BYTES = 1024


class FrontendNotBuilt(ServiceUnavailable):
    slug, title = "frontend-not-built", "Front end not built"


@dataclass(frozen=True, slots=True)
class Dist:
    """The folder Vite built into (``settings.frontend_dist``; relative paths are from the project root)."""

    root: Path

    @classmethod
    def from_setting(cls, value: str) -> Dist:
        path = Path(value)
        return cls((path if path.is_absolute() else PROJECT_ROOT / path).resolve())

    def require_built(self) -> None:
        if not (self.root / "index.html").is_file():
            raise FrontendNotBuilt(
                f"The front end is not built ({self.root / 'index.html'} is missing). "
                "Run `bash frontend/build.sh` (`make run` does it for you)."
            )

    def file(self, relative: str, *, within: str = "") -> Path:
        """The file at ``relative`` inside ``dist/within``, or NotFound; never anything outside that folder."""
        self.require_built()
        folder = self.root / within if within else self.root
        shown = f"{within}/{relative}" if within else relative
        if not _plain_name(relative):
            raise NotFound(f"no such file: /{shown[:200]}")
        try:
            candidate = (folder / relative).resolve()
            found = candidate.is_relative_to(folder) and candidate.is_file() and candidate.suffix != ".gz"
        except (OSError, ValueError):
            found = False
        if not found:
            raise NotFound(f"no such file: /{shown}")
        return candidate


def _plain_name(relative: str) -> bool:
    """A relative path made of ordinary names: no empty, ``.`` or ``..`` segment, no control character."""
    if not relative or len(relative.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES or not relative.isprintable():
        return False
    return all(
        segment not in {"", ".", ".."} and "\\" not in segment
        and len(segment.encode("utf-8", "surrogatepass")) <= MAX_SEGMENT_BYTES
        for segment in relative.split("/")
    )


def _etag(path: Path) -> str:
    stat = path.stat()
    return '"' + hashlib.blake2s(f"{stat.st_mtime_ns}-{stat.st_size}".encode(), digest_size=12).hexdigest() + '"'


def file_response(request: Request, path: Path, cache_control: str) -> Response:
    """The file (its precompressed .gz twin when the client accepts gzip), honouring If-None-Match."""
    media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    gz = path.with_name(path.name + ".gz")
    gzipped = accepts_gzip(request.headers.get("accept-encoding")) and gz.is_file()
    send = gz if gzipped else path
    etag = coded_etag(_etag(send), gzipped)
    headers = {"Cache-Control": cache_control, "ETag": etag, "Vary": VARY}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    if none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return FileResponse(send, media_type=media_type, headers=headers, stat_result=os.stat(send))


def bytes_response(request: Request, body: bytes, gzipped: bytes, media_type: str, cache_control: str) -> Response:
    """In-memory content (the basemap data made by Python), with the same caching rules."""
    use_gzip = accepts_gzip(request.headers.get("accept-encoding"))
    etag = coded_etag(etag_of(body), use_gzip)
    headers = {"Cache-Control": cache_control, "ETag": etag, "Vary": VARY}
    if none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
        return Response(gzipped, media_type=media_type, headers=headers)
    return Response(body, media_type=media_type, headers=headers)

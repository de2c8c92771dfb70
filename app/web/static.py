"""Files of the built front end, served safely: no path escapes dist, gzip when the client takes it.

Vite names assets by content hash, so they are cached for a year as immutable; everything else
(index.html, the basemap data) is revalidated with an ETag so a new build shows up at once.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, Response

from app.errors import NotFound, ServiceUnavailable

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
}


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

    def file(self, relative: str) -> Path:
        """The file at ``relative`` inside dist, or NotFound; never anything outside dist."""
        self.require_built()
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file() or candidate.suffix == ".gz":
            raise NotFound(f"no such file: /{relative}")
        return candidate


def _etag(path: Path) -> str:
    stat = path.stat()
    return '"' + hashlib.blake2s(f"{stat.st_mtime_ns}-{stat.st_size}".encode(), digest_size=12).hexdigest() + '"'


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def file_response(request: Request, path: Path, cache_control: str) -> Response:
    """The file (its precompressed .gz twin when the client accepts gzip), honouring If-None-Match."""
    media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    gz = path.with_name(path.name + ".gz")
    send = gz if _accepts_gzip(request) and gz.is_file() else path
    etag = _etag(send)
    headers = {"Cache-Control": cache_control, "ETag": etag, "Vary": "Accept-Encoding"}
    if send is gz:
        headers["Content-Encoding"] = "gzip"
    if etag in _if_none_match(request):
        return Response(status_code=304, headers=headers)
    return FileResponse(send, media_type=media_type, headers=headers, stat_result=os.stat(send))


def bytes_response(request: Request, body: bytes, gzipped: bytes, media_type: str, cache_control: str) -> Response:
    """In-memory content (the basemap data made by Python), with the same caching rules."""
    etag = '"' + hashlib.blake2s(body, digest_size=12).hexdigest() + '"'
    headers = {"Cache-Control": cache_control, "ETag": etag, "Vary": "Accept-Encoding"}
    if etag in _if_none_match(request):
        return Response(status_code=304, headers=headers)
    if _accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return Response(gzipped, media_type=media_type, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _if_none_match(request: Request) -> set[str]:
    value = request.headers.get("if-none-match", "")
    return {tag.strip().removeprefix("W/") for tag in value.split(",") if tag.strip()}

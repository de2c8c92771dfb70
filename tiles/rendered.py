"""A tile as it is served and cached: gzipped once, with its strong ETag."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from isal import igzip

from app.kit.etag import etag_of

# ISA-L's gzip (standard gzip bytes) at its level 2: several times faster than zlib's level 1 and
# no bigger. On a cache miss compression is a large part of the service's own time.
GZIP_LEVEL = 2
# Compress very big tiles off the event loop; smaller ones cost less than the thread hop.
THREAD_GZIP_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class RenderedTile:
    """The gzipped MVT (empty: no feature), its ETag (of the uncompressed bytes) and what it holds."""

    gzipped: bytes
    etag: str
    features: int
    truncated: bool

    @property
    def empty(self) -> bool:
        return not self.gzipped


EMPTY = RenderedTile(b"", "", 0, False)


async def compress(mvt: bytes, features: int, truncated: bool) -> RenderedTile:
    """Gzip once (``mtime=0``: the same tile gives the same bytes in every process)."""
    if not mvt:
        return EMPTY
    if len(mvt) >= THREAD_GZIP_BYTES:
        gzipped = await asyncio.to_thread(igzip.compress, mvt, GZIP_LEVEL, mtime=0)
    else:
        gzipped = igzip.compress(mvt, GZIP_LEVEL, mtime=0)
    return RenderedTile(gzipped, etag_of(mvt), features, truncated)

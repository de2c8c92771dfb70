"""Content negotiation between gzip and identity, shared by the tiles and the front end's files.

Every body we serve compressed is stored gzipped once (tiles in the cache, front-end files as
``.gz`` twins, basemap data in memory). A client gets those bytes when its ``Accept-Encoding``
allows gzip with a non-zero q-value, and the plain bytes otherwise. The two are different
representations: each has its own strong ETag, and every answer says ``Vary: Accept-Encoding``.
"""

from __future__ import annotations

from functools import lru_cache

VARY = "Accept-Encoding"


@lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str | None) -> bool:
    """True when ``Accept-Encoding`` allows gzip (explicitly, or through ``*``) with a non-zero q."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *options = (part.strip() for part in item.split(";"))
        weight = 1.0
        for option in options:
            if option.lower().startswith("q="):
                try:
                    weight = float(option[2:])
                except ValueError:
                    weight = 0.0
        weights[coding.lower()] = weight
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def coded_etag(etag: str, gzipped: bool) -> str:
    """The validator of one representation: ``etag`` for the gzip bytes, a distinct one for the plain bytes."""
    return etag if gzipped else etag[:-1] + '.identity"'

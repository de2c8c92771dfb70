"""Entity tags from the response body, and the 304 that saves a client the download.

A hash of the exact bytes is always correct (no invalidation to forget) and costs
microseconds for responses of this size; it spares the network and the client's parsing,
not the query.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.responses import Response


def etag_of(body: bytes) -> str:
    """A strong ETag for ``body``: the first 128 bits of its SHA-256."""
    # SHA-256 rather than BLAKE2b: OpenSSL's runs on the CPU's SHA extensions, where they exist
    # faster than BLAKE2b (a tile miss hashes the tile before it answers).
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def none_match(if_none_match: str | None, etag: str) -> bool:
    """True when the If-None-Match header lists ``etag`` (weak comparison, RFC 9110 13.1.2) or is ``*``."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def http_date(moment: datetime) -> str:
    """An HTTP date (RFC 9110 5.6.7) of ``moment``."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def not_modified_since(if_modified_since: str | None, modified: datetime | None) -> bool:
    """True when ``modified`` is no later than the client's If-Modified-Since (unparsable: False)."""
    if if_modified_since is None or modified is None:
        return False
    try:
        return modified.replace(microsecond=0) <= parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False


def cacheable_response(
    body: bytes,
    *,
    media_type: str,
    if_none_match: str | None,
    cache_control: str,
    vary: str | None = None,
    last_modified: datetime | None = None,
    if_modified_since: str | None = None,
) -> Response:
    """200 with ``body``, or 304 without it when the client already holds these bytes.

    With ``last_modified`` the answer carries Last-Modified too; If-None-Match decides when the
    client sent one, else If-Modified-Since (RFC 9110 13.2.2).
    """
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if vary:
        headers["Vary"] = vary
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    if if_none_match:
        unchanged = none_match(if_none_match, etag)
    else:
        unchanged = not_modified_since(if_modified_since, last_modified)
    if unchanged:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)

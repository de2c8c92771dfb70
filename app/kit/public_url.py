"""The absolute URL documents use to point at this service (TileJSON, the events and basemap styles).

Those documents are public and cached by whatever sits in front (``Cache-Control: public``). Built
from the request's ``Host`` or ``X-Forwarded-*``, one forged request could make a cache hand every
later client URLs on another host. So they are built from ``settings.http.public_base_url``, which
is required outside development; only in development, where there is no shared cache to poison,
the request's own base URL (host and root path) stands in for it.
"""

from __future__ import annotations

from starlette.requests import Request

from config.settings import Settings


def public_base_url(request: Request) -> str:
    """``settings.http.public_base_url``, or in development the request's base URL; no trailing slash."""
    settings: Settings = request.app.state.settings
    return settings.http.public_base_url or str(request.base_url).rstrip("/")

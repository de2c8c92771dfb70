"""Who may read /metrics: anyone in development; outside it, only with the configured bearer token.

The metrics name every route and count every status: a map of the service that an outsider
should not get. Without ``HAPPENINGS_HTTP__METRICS_TOKEN`` outside development they are not
served at all; with it (in any environment), Prometheus sends ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from app.errors import NotFound
from app.health.errors import MetricsTokenRequired
from config.settings import Settings


async def metrics_reader(request: Request) -> None:
    """Passes the request, or raises: 404 when metrics are off here, 401 without the right token."""
    settings: Settings = request.app.state.settings
    token = settings.http.metrics_token
    if token is None:
        if settings.is_development:
            return
        raise NotFound("/metrics is not served: set HAPPENINGS_HTTP__METRICS_TOKEN to serve it to a bearer")
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), expected):
        raise MetricsTokenRequired(
            "send the metrics token as Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )

"""Request id, access log and Prometheus metrics, as one pure-ASGI middleware.

Pure ASGI (not BaseHTTPMiddleware) because it sits on every tile and list request
and must cost microseconds.
"""

from __future__ import annotations

import logging
import os
import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.kit.logging import request_id_var

access_log = logging.getLogger("happenings.access")


class HttpMetrics:
    """Per-app collectors, so two apps in one test process never share counters."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=registry,
        )
        # The labelled children, kept: ``labels()`` takes a lock and builds its key on every call,
        # a twentieth of a near-cache tile hit. Bounded as the labels are (methods, route
        # templates, statuses).
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(method, route, str(status)), self.latency.labels(method, route))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _request_id_header(scope["headers"])
        # 128 random bits as 32 hex digits, as uuid4().hex but without building a UUID.
        request_id = incoming[:64] if incoming.isprintable() and incoming else os.urandom(16).hex()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            self.metrics.observe(scope["method"], route, status, elapsed)
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": _logged_path(scope["path"], route),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)


def _request_id_header(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            return value.decode("latin-1")
    return ""


def _logged_path(path: str, route: str) -> str:
    # A path that carries a secret (a path parameter named ``token``: invitation links) is logged
    # as its route template, so logs never hold a working link.
    return route if "{token}" in route else path


def _route_template(scope: Scope) -> str:
    # The route template (not the raw path) keeps label cardinality bounded.
    route = scope.get("route")
    return getattr(route, "path", "unmatched")

"""The HTTP policy around every route: header limits, HEAD, OPTIONS and ``Allow``, CORS per route family,
security headers.

One pure-ASGI middleware, inside the request context (request id, access log and metrics apply to
what it answers) and outside the tile fast path (``tiles.endpoints.TileRequests``) and the router,
so the map's busiest URL obeys the same policy as every other. The headers it adds are built once
from the settings; a request pays a few microseconds for it.

- **Limits**: more than ``max_header_count`` header fields, or a head over ``max_header_bytes``,
  is a 431 problem before any route runs (``python -m app serve`` also stops such a head, and a
  slow one, while it is being read: ``app.serving``).
- **HEAD** is answered on every GET route: the route runs as GET and the body is dropped, so
  the headers (``Content-Length``, ``ETag``) are the GET's.
- **405** answers carry ``Allow`` with every method of every route at that path (plus HEAD where
  GET is, and OPTIONS); a plain ``OPTIONS`` request is a 204 with that ``Allow``.
- **CORS per route family** (docs/ARCHITECTURE.md, "HTTP policy"):
  public reads (events, series, calendars, live, popular near here, tiles, basemap) may be read by
  any origin without credentials: GET and HEAD answers carry ``Access-Control-Allow-Origin: *``,
  the same bytes for every origin, so shared caches keep one copy (no ``Vary: Origin``); preflights
  for a plain GET or HEAD are answered so. Writes at those paths (publishing, RSVPs) and preflights
  asking for another method or for ``Authorization`` are credentialed requests, as are the account,
  organizer and attendee routes: allowed only from ``settings.http.cors_origins`` (none by default),
  through Starlette's CORSMiddleware. Every other path (the map page, its files, docs, health,
  metrics, the payment webhook, the development outbox) is same-origin only: no CORS header at all.
- **Security headers** on every answer: a Content-Security-Policy fitted to the map (scripts and
  styles from this origin only, MapLibre's workers, data:/blob: images, the configured external
  basemap's origin; Stripe.js, its frames and API when the buy page uses Stripe Elements),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy``, and no framing
  (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``). A header the route set itself is
  left alone, never doubled (social sign-in's redirects send ``Referrer-Policy: no-referrer``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain
from urllib.parse import urlsplit

from fastapi.routing import iter_route_contexts
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response
from config.settings import Settings

Headers = list[tuple[bytes, bytes]]


class RouteFamily:
    """Paths at or below any of ``prefixes`` (``/api/v1/me`` and ``/api/v1/me/…``, not ``/api/v1/meetups``)."""

    def __init__(self, *prefixes: str) -> None:
        self.exact = frozenset(prefixes)
        self.below = tuple(f"{prefix}/" for prefix in prefixes)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and (path in self.exact or path.startswith(self.below))


# Public, cacheable data: read (GET, HEAD) by any origin, never with credentials. Other methods at
# these paths are credentialed writes (publishing, RSVPs): the configured origins only.
PUBLIC_READS = RouteFamily(
    "/api/v1/events",
    "/api/v1/series",
    "/api/v1/calendars",
    "/api/v1/live",
    "/api/v1/recommendations",
    "/tiles",
    "/basemap",
)
# Accounts, organizers' and attendees' own things: credentials, from the configured origins only.
CREDENTIALED = RouteFamily(
    "/api/v1/auth",
    "/api/v1/me",
    "/api/v1/organizers",
    "/api/v1/invitations",
    "/api/v1/venues",
    "/api/v1/geocode",
    "/api/v1/imports",
    "/api/v1/tiers",
    "/api/v1/orders",
    "/api/v1/checkins",
    "/api/v1/push",
)
PUBLIC_METHODS = frozenset({"GET", "HEAD"})

PUBLIC_CORS: Headers = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"ETag, X-Request-Id"),
]
PUBLIC_PREFLIGHT: Headers = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, HEAD"),
    (b"access-control-allow-headers", b"Accept, Accept-Language, Content-Language, If-None-Match, X-Request-Id"),
    (b"access-control-max-age", b"86400"),
]
CREDENTIALED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
CREDENTIALED_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-CSRF-Token",
    "X-Request-Id",
)
CREDENTIALED_EXPOSED = ("ETag", "Location", "Retry-After", "X-Request-Id")

STRIPE_JS = "https://js.stripe.com"

METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def content_security_policy(settings: Settings) -> str:
    """The CSP of every answer: what the map (and the API docs) need, nothing from elsewhere but the basemap."""
    elsewhere = list(settings.http.csp_connect_origins)
    if settings.basemap_style_url:
        parts = urlsplit(settings.basemap_style_url)
        elsewhere.append(f"{parts.scheme}://{parts.netloc}".lower())
    sources = " ".join(["'self'", *dict.fromkeys(elsewhere)])
    directives = {
        "default-src": "'self'",
        # Scripts only from our own files; 'wasm-unsafe-eval' lets them compile WebAssembly (the door
        # scanner's QR decoder on browsers without BarcodeDetector) and allows no eval of JavaScript.
        "script-src": "'self' 'wasm-unsafe-eval'",
        "style-src": "'self'",
        # MapLibre decodes images into blobs; its CSS and Swagger UI's draw icons from data: URLs.
        "img-src": f"{sources} data: blob:",
        "font-src": "'self' data:",
        # An external basemap's style, tiles, sprites and glyphs are fetched, not loaded as elements.
        "connect-src": sources,
        # MapLibre's worker is a file of ours; blob: for builds that inline it. child-src for older Safari.
        "worker-src": "'self' blob:",
        "child-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    payments = settings.payments
    if payments.enabled and payments.publishable_key and not payments.test_cards:
        # The buy page's Stripe Elements: Stripe.js, its card frames, and its calls to Stripe's API.
        directives["script-src"] += f" {STRIPE_JS}"
        directives["frame-src"] = f"{STRIPE_JS} https://hooks.stripe.com"
        directives["connect-src"] += " https://api.stripe.com"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(settings: Settings) -> Headers:
    return [
        (b"content-security-policy", content_security_policy(settings).encode("latin-1")),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
    ]


class HttpPolicy:
    """Pure-ASGI middleware applying the policy above; see the module's docstring."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        http = settings.http
        self.max_header_count = http.max_header_count
        self.max_header_bytes = http.max_header_bytes
        self.secured = security_headers(settings)
        self.public = [*self.secured, *PUBLIC_CORS]
        self.preflight = [*self.secured, *PUBLIC_PREFLIGHT]
        self.credentialed = CORSMiddleware(
            app,
            allow_origins=http.cors_origins,
            allow_credentials=True,
            allow_methods=CREDENTIALED_METHODS,
            allow_headers=CREDENTIALED_HEADERS,
            expose_headers=CREDENTIALED_EXPOSED,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: Headers = scope["headers"]
        if len(headers) > self.max_header_count or _head_bytes(scope) > self.max_header_bytes:
            await self._refuse(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        if root := scope.get("root_path"):
            path = path.removeprefix(root)
        app, added = self.app, self.secured
        if path in PUBLIC_READS and (method in PUBLIC_METHODS or (method == "OPTIONS" and not _is_preflight(headers))):
            added = self.public
        elif path in PUBLIC_READS and method == "OPTIONS" and _is_public_preflight(headers):
            await send({"type": "http.response.start", "status": 204, "headers": self.preflight})
            await send({"type": "http.response.body", "body": b""})
            return
        elif path in PUBLIC_READS or path in CREDENTIALED:
            app = self.credentialed
        if method != "HEAD":
            await app(scope, receive, _replying(send, scope, method, added))
            return
        as_get = {**scope, "method": "GET"}
        try:
            await app(as_get, receive, _replying(send, as_get, method, added))
        finally:
            if "route" in as_get:  # the route the router (or the tile handler) found: metrics label with it
                scope["route"] = as_get["route"]

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """431 problem+json: too many header fields, or too many bytes in them."""
        if len(scope["headers"]) > self.max_header_count:
            detail = f"more than {self.max_header_count} header fields"
        else:
            detail = f"the request's header fields exceed {self.max_header_bytes} bytes"
        title = "Request header fields too large"
        response = problem_response(431, "header-fields-too-large", title, detail, scope["path"][:200])
        await response(scope, receive, _replying(send, scope, "GET", self.secured))


def _head_bytes(scope: Scope) -> int:
    """About the size of the request's head: target, header names and values (joined in C: it runs on every request)."""
    headers: Headers = scope["headers"]
    size = len(b"".join(chain.from_iterable(headers))) + 4 * len(headers)
    return size + len(scope.get("raw_path") or b"") + len(scope["query_string"])


def _replying(send: Send, scope: Scope, method: str, added: Headers) -> Send:
    """``send`` with the policy's headers added, ``Allow`` completed on 405, and no body for HEAD."""
    drop_body = method == "HEAD"

    async def reply(message: Message) -> None:
        nonlocal drop_body
        if message["type"] == "http.response.start":
            headers: Headers = message.get("headers") or []
            if message["status"] == 405:
                allow = _allowed_methods(scope, headers)
                if method == "OPTIONS":
                    # A plain OPTIONS request (not a CORS preflight): what may be done here.
                    message = {"type": "http.response.start", "status": 204, "headers": [(b"allow", allow)]}
                    headers, drop_body = message["headers"], True
                else:
                    headers = [(name, value) for name, value in headers if name != b"allow"] + [(b"allow", allow)]
            own = {name for name, _ in headers}  # a route's own value wins (an OAuth redirect's no-referrer)
            message["headers"] = [*headers, *(header for header in added if header[0] not in own)]
            await send(message)
        elif not drop_body:
            await send(message)
        elif not message.get("more_body", False):
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return reply


def _allowed_methods(scope: Scope, headers: Headers) -> bytes:
    """Every method of every route at this path, in included routers too (Starlette's 405 names only
    the first route's)."""
    methods: set[str] = set()
    router = getattr(scope.get("app"), "router", None)
    path: str = scope["path"]
    if root := scope.get("root_path"):
        path = path.removeprefix(root)
    for route in iter_route_contexts(getattr(router, "routes", ())):
        template = route.path
        if route.methods and template and _path_regex(template).match(path):
            methods |= route.methods
    if not methods:  # a handler outside the router (the tile fast path) said it in its own Allow
        methods = {m.strip().upper() for name, value in headers if name == b"allow" for m in value.decode().split(",")}
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    return ", ".join(_ordered(methods)).encode()


@lru_cache(maxsize=1024)
def _path_regex(template: str) -> re.Pattern[str]:
    return compile_path(template)[0]


def _ordered(methods: Iterable[str]) -> list[str]:
    return sorted(methods, key=lambda m: (METHOD_ORDER.index(m) if m in METHOD_ORDER else len(METHOD_ORDER), m))


def _is_preflight(headers: Headers) -> bool:
    names = {name for name, _ in headers}
    return b"origin" in names and b"access-control-request-method" in names


def _is_public_preflight(headers: Headers) -> bool:
    """A preflight for a plain read: GET or HEAD, and no ``Authorization`` asked for."""
    fields = dict(headers)
    if b"origin" not in fields or fields.get(b"access-control-request-method", b"").upper() not in (b"GET", b"HEAD"):
        return False
    asked = fields.get(b"access-control-request-headers", b"").lower()
    return b"authorization" not in {name.strip() for name in asked.split(b",")}

"""The HTTP policy around every route (app.kit.http_policy): HEAD, Allow, OPTIONS, CORS per family, headers, limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.responses import Response

from app.main import create_app
from config.settings import HttpSettings, PaymentsSettings, Settings
from tests.web.conftest import ClientMaker

# One GET route of each family; none of them needs data to answer.
NO_DATABASE_ROUTES = [
    "/healthz", "/metrics", "/docs", "/docs/swagger-ui.css", "/docs/start.js", "/openapi.json", "/",
    "/assets/app-1a2b.js", "/favicon.svg", "/basemap/style.json", "/basemap/tiles/0/0/0.pbf",
    "/basemap/places/2/1/1.pbf", "/basemap/timezones.json", "/tiles/events.json", "/tiles/events/style.json",
]
DATABASE_ROUTES = [
    "/readyz", "/tiles/events/3/4/2.mvt", "/api/v1/events?bbox=2.2,48.8,2.4,48.9",
    "/api/v1/events/nearby?lat=48.85&lon=2.35", "/api/v1/events/5b0c3c4e-6a4f-4f0e-9d4e-0c1d2e3f4a5b",
]
SAME_HEADERS = ("content-type", "content-length", "content-encoding", "etag", "cache-control", "vary",
                "access-control-allow-origin", "content-security-policy")
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


# Their bodies change from one request to the next (the request just made is counted).
CHANGING = {"/metrics"}


def _assert_head_is_get(get: httpx.Response, head: httpx.Response) -> None:
    assert head.status_code == get.status_code, (get.request.url, head.text)
    assert head.content == b""
    changing = get.request.url.path in CHANGING
    for name in SAME_HEADERS:
        if not (changing and name == "content-length"):
            assert head.headers.get(name) == get.headers.get(name), (get.request.url, name)


async def _head_and_get(client: httpx.AsyncClient, path: str) -> None:
    gzip = {"accept-encoding": "gzip"}
    get = await client.get(path, headers=gzip)
    head = await client.head(path, headers=gzip)
    _assert_head_is_get(get, head)
    assert get.status_code in (200, 204, 404), (path, get.text)


@pytest.mark.parametrize("path", NO_DATABASE_ROUTES)
async def test_head_answers_every_get_route_with_its_headers(client_with: ClientMaker, path: str) -> None:
    async with client_with() as client:
        await _head_and_get(client, path)
        assert (await client.head(path)).status_code == (await client.get(path)).status_code == 200


async def test_head_answers_the_routes_that_read_the_database(client: httpx.AsyncClient) -> None:
    for path in DATABASE_ROUTES:
        await _head_and_get(client, path)
        assert (await client.get(path)).headers["x-content-type-options"] == "nosniff"
    assert (await client.head("/readyz")).status_code == 200
    assert (await client.head("/tiles/events/3/0/5.mvt")).status_code == 204  # no event (South Pacific): no tile


@pytest.mark.parametrize("path", [*NO_DATABASE_ROUTES, "/tiles/events/3/4/2.mvt", "/api/v1/events/nearby"])
async def test_405_names_every_method_allowed(client_with: ClientMaker, path: str) -> None:
    async with client_with() as client:
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            response = await client.request(method, path)
            assert response.status_code == 405, (method, path, response.text)
            assert response.headers["allow"] == "GET, HEAD, OPTIONS"
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "path", ["/healthz", "/tiles/events/1/0/0.mvt", "/assets/app-1a2b.js", "/api/v1/events/nearby"]
)
async def test_options_says_what_may_be_done(client_with: ClientMaker, path: str) -> None:
    async with client_with() as client:
        response = await client.options(path)
        assert response.status_code == 204 and response.content == b""
        assert response.headers["allow"] == "GET, HEAD, OPTIONS"
        assert "content-type" not in response.headers
        assert (await client.options("/no/such/route")).status_code == 404


def _accounts_app(**http: object) -> FastAPI:
    """The app with its account routes, not started: nobody signs in, so no database is needed."""
    return create_app(Settings(environment="test", log_json=False, http=HttpSettings(**http)))  # type: ignore[arg-type]


@pytest.fixture
async def accounts() -> AsyncIterator[httpx.AsyncClient]:
    app = _accounts_app(cors_origins="https://app.example, https://admin.example:8443")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def test_the_events_collection_is_read_by_all_and_written_by_organizers(client_with: ClientMaker) -> None:
    async with client_with() as client:
        assert (await client.options("/api/v1/events")).headers["allow"] == "GET, HEAD, POST, OPTIONS"
        refused = await client.put("/api/v1/events")
        assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD, POST, OPTIONS"


async def test_allow_lists_the_methods_of_every_route_at_the_path(accounts: httpx.AsyncClient) -> None:
    # Three routes of two routers at one path: Starlette alone would name the first route's method.
    response = await accounts.put("/api/v1/me")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, PATCH, DELETE, OPTIONS"
    assert (await accounts.options("/api/v1/me")).headers["allow"] == "GET, HEAD, PATCH, DELETE, OPTIONS"
    assert (await accounts.options("/api/v1/me/avatar")).headers["allow"] == "PUT, DELETE, OPTIONS"


def _preflight(origin: str, method: str, headers: str = "") -> dict[str, str]:
    asked = {"origin": origin, "access-control-request-method": method}
    return {**asked, "access-control-request-headers": headers} if headers else asked


@pytest.mark.parametrize("path", ["/tiles/events.json", "/tiles/events/1/0/0.mvt", "/basemap/style.json",
                                  "/api/v1/events", "/api/v1/events/nearby"])
async def test_public_reads_are_open_to_any_origin_without_credentials(client_with: ClientMaker, path: str) -> None:
    async with client_with() as client:
        preflight = await client.options(path, headers=_preflight("https://partner.example", "GET", "if-none-match"))
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert preflight.headers["access-control-allow-methods"] == "GET, HEAD"
        assert "if-none-match" in preflight.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in preflight.headers
        # A write, or a read with credentials, is a credentialed request: no configured origin, refused.
        for asked in (_preflight("https://partner.example", "DELETE"),
                      _preflight("https://partner.example", "GET", "authorization")):
            refused = await client.options(path, headers=asked)
            assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers


async def test_writes_at_public_paths_take_credentials_from_the_configured_origins_only(
    accounts: httpx.AsyncClient,
) -> None:
    """Publishing and RSVPs live beside the public reads; an organizer's own front end may write there."""
    for path, method in (("/api/v1/events", "POST"), ("/api/v1/events/1", "PATCH"), ("/api/v1/events/1/rsvp", "PUT"),
                         ("/api/v1/orders", "POST"), ("/api/v1/venues", "POST"), ("/api/v1/checkins", "POST")):
        allowed = await accounts.options(path, headers=_preflight("https://app.example", method, "authorization"))
        assert allowed.status_code == 200, path
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert allowed.headers["access-control-allow-credentials"] == "true"
        assert method in allowed.headers["access-control-allow-methods"]
        refused = await accounts.options(path, headers=_preflight("https://evil.example", method))
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    # A read with a bearer token from the configured origin is answered for that origin.
    signed = await accounts.options("/api/v1/events", headers=_preflight("https://app.example", "GET", "authorization"))
    assert signed.status_code == 200 and signed.headers["access-control-allow-origin"] == "https://app.example"
    # The same path's plain reads stay public: one representation for every origin.
    public = await accounts.options("/api/v1/events", headers=_preflight("https://app.example", "GET"))
    assert public.status_code == 204 and public.headers["access-control-allow-origin"] == "*"


async def test_a_public_read_is_the_same_for_every_origin(client_with: ClientMaker) -> None:
    async with client_with() as client:
        plain = await client.get("/tiles/events.json")
        crossed = await client.get("/tiles/events.json", headers={"origin": "https://partner.example", "cookie": "a=b"})
    for response in (plain, crossed):
        assert response.headers["access-control-allow-origin"] == "*"
        assert "etag" in response.headers["access-control-expose-headers"].lower()
        assert "access-control-allow-credentials" not in response.headers
        assert "origin" not in response.headers.get("vary", "").lower()  # one cached copy for everyone
    assert plain.content == crossed.content


async def test_account_routes_take_credentials_from_the_configured_origins_only(accounts: httpx.AsyncClient) -> None:
    for origin in ("https://app.example", "https://admin.example:8443"):
        asked = _preflight(origin, "PATCH", "content-type, authorization")
        preflight = await accounts.options("/api/v1/me", headers=asked)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == origin
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert "PATCH" in preflight.headers["access-control-allow-methods"]
        actual = await accounts.get("/api/v1/me", headers={"origin": origin, "cookie": "session=1"})
        assert actual.status_code == 401  # no bearer token: the page can read why
        assert actual.headers["access-control-allow-origin"] == origin
        assert actual.headers["access-control-allow-credentials"] == "true"
        assert "origin" in actual.headers["vary"].lower()

    for origin in ("https://evil.example", "http://app.example", "null"):
        preflight = await accounts.options("/api/v1/me", headers=_preflight(origin, "PATCH"))
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers
        actual = await accounts.get("/api/v1/me", headers={"origin": origin, "cookie": "session=1"})
        assert "access-control-allow-origin" not in actual.headers  # the browser keeps the answer from the page


async def test_no_origin_may_use_credentials_by_default() -> None:
    app = _accounts_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        preflight = await client.options("/api/v1/me", headers=_preflight("http://localhost:5173", "GET"))
        actual = await client.get("/api/v1/me", headers={"origin": "http://localhost:5173"})
    assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in actual.headers


@pytest.mark.parametrize("path", ["/", "/assets/app-1a2b.js", "/docs", "/healthz", "/metrics", "/openapi.json"])
async def test_other_routes_are_same_origin_only(client_with: ClientMaker, path: str) -> None:
    async with client_with() as client:
        actual = await client.get(path, headers={"origin": "https://evil.example"})
        preflight = await client.options(path, headers=_preflight("https://evil.example", "GET"))
    assert actual.status_code == 200 and "access-control-allow-origin" not in actual.headers
    assert preflight.status_code == 204 and "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize(
    "path", ["/", "/assets/app-1a2b.js", "/docs", "/healthz", "/tiles/events.json", "/basemap/style.json",
             "/nope", "/tiles/events/99/0/0.mvt"],
)
async def test_every_answer_carries_the_security_headers(client_with: ClientMaker, path: str) -> None:
    async with client_with() as client:
        response = await client.get(path)
    for name, value in SECURITY.items():
        assert response.headers[name] == value, (path, name)
    policy = dict(d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
    assert policy["frame-ancestors"] == "'none'"
    # no inline code, no eval (WebAssembly may compile: the door scanner's QR decoder)
    assert policy["script-src"] == "'self' 'wasm-unsafe-eval'" and policy["style-src"] == "'self'"
    assert policy["worker-src"] == "'self' blob:"
    assert policy["img-src"] == "'self' data: blob:"
    assert policy["connect-src"] == "'self'" and policy["object-src"] == "'none'"


async def test_the_policy_names_the_external_basemap(client_with: ClientMaker) -> None:
    async with client_with(
        basemap_style_url="https://Tiles.Example.org/styles/liberty.json",
        http=HttpSettings(csp_connect_origins="https://fonts.example.net"),  # type: ignore[arg-type]
    ) as client:
        response = await client.get("/")
    policy = dict(d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
    assert policy["connect-src"] == "'self' https://fonts.example.net https://tiles.example.org"
    assert policy["img-src"].startswith("'self' https://fonts.example.net https://tiles.example.org")


@pytest.mark.parametrize(
    ("api_base", "stripe_js"), [(None, True), ("http://127.0.0.1:8420", False)], ids=["stripe", "localstripe"]
)
async def test_stripe_js_is_let_in_only_for_stripe_elements(
    client_with: ClientMaker, api_base: str | None, stripe_js: bool
) -> None:
    payments = PaymentsSettings(
        secret_key="sk_test_x", publishable_key="pk_test_x", api_base=api_base  # type: ignore[arg-type]
    )
    async with client_with(payments=payments) as client:
        response = await client.get("/")
    policy = dict(d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
    if stripe_js:
        assert policy["script-src"] == "'self' 'wasm-unsafe-eval' https://js.stripe.com"
        assert policy["frame-src"] == "https://js.stripe.com https://hooks.stripe.com"
        assert policy["connect-src"] == "'self' https://api.stripe.com"
    else:  # the test-card form against the offline fake needs nothing from elsewhere
        assert policy["script-src"] == "'self' 'wasm-unsafe-eval'" and "frame-src" not in policy


async def test_too_many_or_too_large_header_fields_are_refused(client_with: ClientMaker) -> None:
    async with client_with() as client:
        many = await client.get("/healthz", headers=[(f"x-field-{i}", "v") for i in range(5_000)])
        large = await client.get("/healthz", headers={"x-large": "a" * 1_000_000})
        within = await client.get("/healthz", headers=[(f"x-field-{i}", "v" * 200) for i in range(80)])
    for refused in (many, large):
        assert refused.status_code == 431
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["x-content-type-options"] == "nosniff"
    assert "100 header fields" in many.json()["detail"]
    assert within.status_code == 200


async def test_head_requests_are_counted_under_their_route(client: httpx.AsyncClient) -> None:
    await client.head("/healthz")
    await client.head("/tiles/events/3/4/2.mvt")
    metrics = (await client.get("/metrics")).text
    assert 'http_requests_total{method="HEAD",route="/healthz",status="200"}' in metrics
    assert 'method="HEAD",route="/tiles/events/{z}/{x}/{y}.mvt",status="204"' in metrics


async def test_a_header_the_route_sets_itself_is_kept_and_not_doubled() -> None:
    app = create_app(Settings(environment="test", log_json=False))

    async def leaving() -> Response:
        return Response(status_code=303, headers={"Location": "/", "Referrer-Policy": "no-referrer"})

    app.add_api_route("/leaving", leaving, methods=["GET"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get("/leaving")
    assert response.headers.get_list("referrer-policy") == ["no-referrer"]
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]

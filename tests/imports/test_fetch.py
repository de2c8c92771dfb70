"""SSRF and limits of calendar URL fetches, against real local servers: private, loopback and
link-local addresses refused at every hop (redirects too), bodies cut at the limit, a silent server
timed out; a subscribed URL fetched again with conditional requests, its vanished events cancelled."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.imports.fetch import FetchRefused, check_address, fetch_calendar
from app.imports.tasks import queue_subscriptions
from app.venues.geocoding import OfflineGeocoder
from app.worker.runner import build_context, close_context
from config.settings import ImportSettings, Settings
from tests.accounts.helpers import FrozenClock, bearer, sign_up, with_cheap_auth
from tests.conftest import make_settings
from tests.imports.helpers import counts, report, work
from tests.organizers.helpers import found

CALENDAR = (Path(__file__).parent / "corpus" / "rdate.ics").read_bytes()


class _Server:
    """A local calendar server: ``routes`` maps a path to (status, headers, body); ``/silent`` never answers."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.seen: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append(dict(self.headers))
                if self.path == "/silent":
                    threading.Event().wait(5)
                    return
                status, headers, body = outer.routes.get(self.path, (404, {}, b""))
                if "ETag" in headers and self.headers.get("If-None-Match") == headers["ETag"]:
                    status, body = 304, b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    running = _Server()
    yield running
    running.close()


def _limits(**changes: object) -> ImportSettings:
    return ImportSettings(**{"fetch_timeout_s": 2.0, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
                "::ffff:127.0.0.1", "::ffff:169.254.169.254", "fe80::1", "fc00::1", "224.0.0.1", "100.64.0.1"],
)  # fmt: skip
def test_addresses_that_are_not_public_are_refused(address: str) -> None:
    with pytest.raises(FetchRefused):
        check_address(address)


def test_public_addresses_pass() -> None:
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"):
        check_address(address)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:{port}/cal.ics", "loopback"),
        ("http://[::1]:{port}/cal.ics", "loopback"),
        ("http://localhost:{port}/cal.ics", "loopback"),  # a name resolving to a loopback address
        ("http://10.0.0.1/cal.ics", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("ftp://example.org/cal.ics", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
    ],
)
async def test_urls_reaching_inside_are_refused(server: _Server, url: str, says: str) -> None:
    server.routes["/cal.ics"] = (200, {}, CALENDAR)
    with pytest.raises(FetchRefused, match=says):
        await fetch_calendar(url.format(port=server.port), _limits())
    assert server.seen == []  # never connected


async def test_a_redirect_to_a_private_address_is_refused_at_that_hop(server: _Server) -> None:
    server.routes["/cal.ics"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    server.routes["/loop"] = (302, {"Location": f"http://127.0.0.1:{server.port}/cal.ics"}, b"")
    allowed = _limits(allow_private_hosts=["localhost"])
    with pytest.raises(FetchRefused, match="link-local"):
        await fetch_calendar(f"http://localhost:{server.port}/cal.ics", allowed)
    with pytest.raises(FetchRefused, match="loopback"):
        await fetch_calendar(f"http://localhost:{server.port}/loop", allowed)
    assert len(server.seen) == 2  # the first hops only


async def test_size_time_and_redirect_limits(server: _Server) -> None:
    server.routes["/big"] = (200, {}, b"BEGIN:VCALENDAR\r\n" + b"X" * 5000)
    server.routes["/hop"] = (302, {"Location": "/hop"}, b"")
    allowed = _limits(allow_private_hosts=["localhost"], max_bytes=1024, fetch_timeout_s=0.5, max_redirects=3)
    with pytest.raises(FetchRefused, match=r"larger than 1024 bytes|at most 1024"):
        await fetch_calendar(f"http://localhost:{server.port}/big", allowed)
    with pytest.raises(FetchRefused, match=r"within 0\.5 s"):
        await fetch_calendar(f"http://localhost:{server.port}/silent", allowed)
    with pytest.raises(FetchRefused, match="more than 3 redirects"):
        await fetch_calendar(f"http://localhost:{server.port}/hop", allowed)


async def test_the_connection_goes_to_the_checked_address(server: _Server) -> None:
    server.routes["/cal.ics"] = (200, {"ETag": '"v1"'}, CALENDAR)
    got = await fetch_calendar(f"http://localhost:{server.port}/cal.ics", _limits(allow_private_hosts=["localhost"]))
    assert got.body == CALENDAR and got.etag == '"v1"'
    assert server.seen[-1]["Host"] == f"localhost:{server.port}"  # the name, while the socket went to the address
    again = await fetch_calendar(
        f"http://localhost:{server.port}/cal.ics", _limits(allow_private_hosts=["localhost"]), etag='"v1"'
    )
    assert again.not_modified and server.seen[-1]["If-None-Match"] == '"v1"'


# ------------------------------------------------------------------------------------ over HTTP and the worker


@pytest.fixture
def settings(clean_db: str, redis_prefix: str) -> Settings:
    base = with_cheap_auth(make_settings(clean_db, redis_prefix), register_ip_limit="1000/3600")
    imports = base.imports.model_copy(update={"allow_private_hosts": ["localhost"], "fetch_timeout_s": 2.0})
    return base.model_copy(update={"imports": imports})


@pytest.fixture
def clock(app: FastAPI) -> FrozenClock:
    pinned = FrozenClock(datetime(2027, 1, 15, 12, tzinfo=UTC))
    app.state.events_clock = pinned
    app.state.accounts.clock = pinned
    return pinned


async def test_refused_urls_import_nothing_and_say_why(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: FrozenClock, server: _Server
) -> None:
    owner = await sign_up(client, "owner@example.com")
    org = str(await found(client, owner))
    server.routes["/meta"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    before = await counts(app)
    literal = await client.post(f"/api/v1/organizers/{org}/imports", json={"url": "http://10.0.0.8/cal.ics"},
                                headers=bearer(owner))  # fmt: skip
    assert literal.status_code == 422 and "private" in literal.json()["detail"]
    jobs = []
    for url in (f"http://localhost:{server.port}/meta", f"http://localhost:{server.port}/silent",
                f"http://127.0.0.2:{server.port}/cal.ics"):  # fmt: skip
        answer = await client.post(f"/api/v1/organizers/{org}/imports", json={"url": url}, headers=bearer(owner))
        if answer.status_code == 422:  # an address literal: refused at once
            assert "loopback" in answer.json()["detail"]
            continue
        assert answer.status_code == 202, answer.text
        jobs.append(answer.json()["id"])
    await work(settings, clock)
    reasons = [(await report(client, owner, job)) for job in jobs]
    assert [r["status"] for r in reasons] == ["failed", "failed"]
    assert "link-local" in reasons[0]["error"] and "did not arrive within" in reasons[1]["error"]
    assert await counts(app) == before


async def test_a_subscription_is_refetched_conditionally_and_vanished_events_are_cancelled(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: FrozenClock, server: _Server
) -> None:
    owner = await sign_up(client, "owner@example.com")
    org = str(await found(client, owner))
    server.routes["/cal.ics"] = (200, {"ETag": '"v1"'}, CALENDAR)
    url = f"http://localhost:{server.port}/cal.ics"
    body = {"url": url, "subscribe": True, "publish": True}
    first = await client.post(f"/api/v1/organizers/{org}/imports", json=body, headers=bearer(owner))
    assert first.status_code == 202, first.text
    await work(settings, clock)
    done = await report(client, owner, first.json()["id"])
    assert done["status"] == "done" and done["progress"]["created"] == 3, done
    # Due again: the same ETag answers 304 and nothing changes.
    clock.advance(settings.imports.refresh_every_s + 1)
    assert await _queue(settings, clock) == 1
    await work(settings, clock)
    assert server.seen[-1]["If-None-Match"] == '"v1"'
    # The source drops its extra dates: those events are cancelled, not deleted.
    without = CALENDAR.replace(b"RDATE;TZID=Europe/Paris:20271012T190000,20271019T190000\r\n", b"")
    server.routes["/cal.ics"] = (200, {"ETag": '"v2"'}, without)
    clock.advance(settings.imports.refresh_every_s + 1)
    assert await _queue(settings, clock) == 1
    await work(settings, clock)
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT status FROM events ORDER BY starts_at")
        assert [row["status"] for row in await cur.fetchall()] == ["published", "cancelled", "cancelled"]


async def _queue(settings: Settings, clock: FrozenClock) -> int:
    context = await build_context(settings, clock=clock)
    context.services["imports.geocoder"] = OfflineGeocoder()
    try:
        return await queue_subscriptions(context)
    finally:
        await close_context(context)

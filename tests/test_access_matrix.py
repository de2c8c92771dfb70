"""Who may call what: every actor, every endpoint, against one expected table.

The world: organizer A with an owner, an editor and a checker (and a ``target`` editor that the
member endpoints act on), organizer B with its own owner (the ``outsider``), a verified ``user``
who belongs to nothing (with an open invitation to A), an ``unverified`` account, and an
``admin``. Each cell sends one request as one actor at A's objects and compares the status code
with ``MATRIX``. Before every cell the database and the app's Redis keys are put back exactly as
the world left them, so a cell may change anything (remove a member, log out, erase an account)
without touching the next one.

Adding an endpoint: add one line to ``MATRIX`` (the route's method and path exactly as declared,
one expected status per actor in ``ACTORS`` order) and, if it takes a body, a ``body=`` builder.
Path parameters are filled by name from ``PATH_VALUES``; a new name needs one entry there.
``test_every_endpoint_is_in_the_matrix`` fails while a route that writes, or any route under
``/api/v1/auth``, ``/me``, ``/organizers`` or ``/invitations``, is missing from the table (and
when the table names a route that does not exist).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from psycopg import sql
from redis.asyncio import Redis

from app.main import create_app
from config.settings import MediaSettings, Settings
from tests.accounts.helpers import STRONG_PASSWORD, FrozenClock, SignedIn, bearer, make_admin, sign_up
from tests.conftest import REDIS_URL, make_settings
from tests.organizers.helpers import found, invitation_token, invite, join

ACTORS = ("anonymous", "unverified", "user", "owner", "editor", "checker", "outsider", "admin")

# Routes that must be in the table: every write, and everything under these prefixes.
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
GUARDED_PREFIXES = ("/api/v1/auth", "/api/v1/me", "/api/v1/organizers", "/api/v1/invitations", "/api/v1/venues")


@dataclass
class World:
    people: dict[str, SignedIn]  # every actor but anonymous, and "target"
    organizer_a: str
    organizer_b: str
    invitation_id: str  # A's open invitation to the user
    invitation_token: str
    venue_id: str  # a venue of A
    event_id: str  # a draft of A
    geofence_id: str  # the user's geofence


Body = Callable[[World, str], Any]


@dataclass(frozen=True)
class Row:
    expected: str  # one status per actor, in ACTORS order
    body: Body | None = None
    statuses: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        codes = [int(code) for code in self.expected.split()]
        assert len(codes) == len(ACTORS), f"{self.expected!r}: one status per actor in {ACTORS}"
        object.__setattr__(self, "statuses", dict(zip(ACTORS, codes, strict=True)))


def own_credentials(world: World, actor: str) -> dict[str, str]:
    """The actor's own email and password (anonymous: the user's, as someone about to sign in)."""
    person = world.people["user" if actor == "anonymous" else actor]
    return {"email": person.email, "password": STRONG_PASSWORD}


def own_refresh(world: World, actor: str) -> dict[str, str] | None:
    """The actor's refresh token (anonymous has none, and sends no body)."""
    return None if actor == "anonymous" else {"refresh_token": world.people[actor].refresh_token}


UNUSED_TOKEN = "u" * 43

# fmt: off
#                                                                     anon unver user owner edit chk  outB admin
MATRIX: dict[tuple[str, str], Row] = {
    # accounts: sign-up, sign-in and the one-time links answer everyone alike; the rest is one's own
    ("POST", "/api/v1/auth/register"): Row(                           "202  202  202  202  202  202  202  202",
        body=lambda w, a: {"email": f"new-{a}@example.com", "password": STRONG_PASSWORD}),
    ("POST", "/api/v1/auth/login"): Row(                              "200  200  200  200  200  200  200  200",
        body=own_credentials),
    ("POST", "/api/v1/auth/refresh"): Row(                            "401  200  200  200  200  200  200  200",
        body=own_refresh),
    ("POST", "/api/v1/auth/logout"): Row(                             "204  204  204  204  204  204  204  204"),
    ("POST", "/api/v1/auth/logout-all"): Row(                         "401  204  204  204  204  204  204  204"),
    ("POST", "/api/v1/auth/verify"): Row(                             "400  400  400  400  400  400  400  400",
        body=lambda w, a: {"token": UNUSED_TOKEN}),
    ("POST", "/api/v1/auth/password-reset"): Row(                     "202  202  202  202  202  202  202  202",
        body=lambda w, a: {"email": own_credentials(w, a)["email"]}),
    ("POST", "/api/v1/auth/password-reset/confirm"): Row(             "400  400  400  400  400  400  400  400",
        body=lambda w, a: {"token": UNUSED_TOKEN, "password": STRONG_PASSWORD}),
    ("POST", "/api/v1/auth/verify/resend"): Row(                      "401  202  202  202  202  202  202  202"),
    # social sign-in: no provider is configured here, so a provider's routes do not exist for anyone
    ("GET", "/api/v1/auth/oidc/providers"): Row(                      "200  200  200  200  200  200  200  200"),
    ("GET", "/api/v1/auth/oidc/{provider}/start"): Row(               "404  404  404  404  404  404  404  404"),
    ("GET", "/api/v1/auth/oidc/{provider}/callback"): Row(            "404  404  404  404  404  404  404  404"),
    ("POST", "/api/v1/auth/oidc/token"): Row(                         "400  400  400  400  400  400  400  400",
        body=lambda w, a: {"code": UNUSED_TOKEN, "code_verifier": UNUSED_TOKEN}),
    # the signed-in person's own data: everyone signed in, nobody else's
    # calendar feeds: an organizer's public feed is public; the personal feed's address is one's own
    ("GET", "/api/v1/organizers/{organizer_id}/calendar.ics"): Row(   "200  200  200  200  200  200  200  200"),
    # a series' feed: the path's series does not exist, so nobody gets one
    ("GET", "/api/v1/series/{series_id}.ics"): Row(                   "404  404  404  404  404  404  404  404"),
    ("POST", "/api/v1/me/calendar-token"): Row(                       "401  201  201  201  201  201  201  201"),
    ("GET", "/api/v1/me"): Row(                                       "401  200  200  200  200  200  200  200"),
    ("PATCH", "/api/v1/me"): Row(                                     "401  200  200  200  200  200  200  200",
        body=lambda w, a: {"units": "imperial"}),
    # erase: A's owner is its last owner while others are members (409 until they hand it over)
    ("DELETE", "/api/v1/me"): Row(                                    "401  204  204  409  204  204  204  204",
        body=lambda w, a: {"password": STRONG_PASSWORD}),
    ("GET", "/api/v1/me/export"): Row(                                "401  200  200  200  200  200  200  200"),
    ("PUT", "/api/v1/me/avatar"): Row(                                "401  415  415  415  415  415  415  415",
        body=lambda w, a: {"not": "an image"}),
    ("DELETE", "/api/v1/me/avatar"): Row(                             "401  204  204  204  204  204  204  204"),
    ("GET", "/api/v1/me/saved-events"): Row(                          "401  200  200  200  200  200  200  200"),
    ("PUT", "/api/v1/me/saved-events/{event_id}"): Row(               "401  404  404  404  404  404  404  404"),
    ("DELETE", "/api/v1/me/saved-events/{event_id}"): Row(            "401  204  204  204  204  204  204  204"),
    ("GET", "/api/v1/me/following"): Row(                             "401  200  200  200  200  200  200  200"),
    ("PUT", "/api/v1/me/following/{organizer_id}"): Row(              "401  204  204  204  204  204  204  204"),
    ("DELETE", "/api/v1/me/following/{organizer_id}"): Row(           "401  204  204  204  204  204  204  204"),
    # recommendations: one's own "for you" (no place given and none saved: 400); the rest is public
    ("GET", "/api/v1/me/recommendations"): Row(                       "401  400  400  400  400  400  400  400"),
    ("GET", "/api/v1/recommendations"): Row(                          "422  422  422  422  422  422  422  422"),
    ("GET", "/api/v1/events/{event_id}/similar"): Row(                "404  404  404  404  404  404  404  404"),
    # a share signal: signed-in people, of a published event (the world's event is a draft)
    ("POST", "/api/v1/events/{event_id}/shares"): Row(                "401  404  404  404  404  404  404  404"),
    # organizers: founding needs a verified address; listing is one's own
    ("POST", "/api/v1/organizers"): Row(                              "401  403  201  201  201  201  201  201",
        body=lambda w, a: {"name": f"Founded by {a}"}),
    ("GET", "/api/v1/organizers"): Row(                               "401  200  200  200  200  200  200  200"),
    # organizer A's objects: members read, owners (and admins) run the team; outsiders see nothing
    ("GET", "/api/v1/organizers/{organizer_id}"): Row(                "401  403  404  200  200  200  404  200"),
    ("GET", "/api/v1/organizers/{organizer_id}/members"): Row(        "401  403  404  200  200  200  404  200"),
    ("PATCH", "/api/v1/organizers/{organizer_id}/members/{account_id}"): Row(
                                                                      "401  403  404  200  403  403  404  200",
        body=lambda w, a: {"role": "checker"}),
    ("DELETE", "/api/v1/organizers/{organizer_id}/members/{account_id}"): Row(
                                                                      "401  403  404  204  403  403  404  204"),
    ("POST", "/api/v1/organizers/{organizer_id}/invitations"): Row(   "401  403  404  201  403  403  404  201",
        body=lambda w, a: {"email": "newcomer@example.com", "role": "editor"}),
    ("GET", "/api/v1/organizers/{organizer_id}/invitations"): Row(    "401  403  404  200  403  403  404  200"),
    # payments: Stripe's webhook does not exist without a secret; a refund is of one's own order; only
    # owners connect a payout account (503 here: no Stripe keys in tests)
    ("POST", "/api/v1/payments/stripe/webhook"): Row(                 "404  404  404  404  404  404  404  404"),
    ("POST", "/api/v1/orders/{order_id}/refund"): Row(                "401  404  404  404  404  404  404  404"),
    ("GET", "/api/v1/payments/config"): Row(                          "200  200  200  200  200  200  200  200"),
    # no test payments without the offline fake (and no such order)
    ("POST", "/api/v1/orders/{order_id}/test-payment"): Row(          "401  404  404  404  404  404  404  404",
        body=lambda w, a: {"payment_method": "pm_card_visa"}),
    ("POST", "/api/v1/organizers/{organizer_id}/payments/connect"): Row(
                                                                      "401  403  404  503  403  403  404  503"),
    ("DELETE", "/api/v1/organizers/{organizer_id}/invitations/{invitation_id}"): Row(
                                                                      "401  403  404  204  403  403  404  204"),
    # a series' occurrences: the path's event does not exist, so nobody sees any (404 alike)
    ("GET", "/api/v1/events/{event_id}/occurrences"): Row(            "404  404  404  404  404  404  404  404"),
    # publishing: A's editors and owners (and admins) write A's events; A's draft is the event acted on
    ("POST", "/api/v1/events"): Row(                                  "401  403  404  201  201  403  404  201",
        body=lambda w, a: {"organizer_id": w.organizer_a, "title": "New", "category": "music",
                           "location": {"lat": 48.85, "lon": 2.35}, "timezone": "Europe/Paris",
                           "starts_at": "2030-07-14T19:30:00", "ends_at": "2030-07-14T22:00:00"}),
    ("PATCH", "/api/v1/events/{event_id:uuid}"): Row(                 "401  403  404  200  200  403  404  200",
        body=lambda w, a: {"title": "Edited"}),
    ("POST", "/api/v1/events/{event_id:uuid}/publish"): Row(      "401  403  404  200  200  403  404  200"),
    # a draft can be neither unpublished nor cancelled (409 for those who may write it)
    ("POST", "/api/v1/events/{event_id:uuid}/unpublish"): Row(    "401  403  404  409  409  403  404  409"),
    ("POST", "/api/v1/events/{event_id:uuid}/cancel"): Row(       "401  403  404  409  409  403  404  409"),
    ("DELETE", "/api/v1/events/{event_id:uuid}"): Row(                "401  403  404  204  204  403  404  204"),
    ("GET", "/api/v1/organizers/{organizer_id}/events"): Row(         "401  403  404  200  200  200  404  200"),
    ("GET", "/api/v1/organizers/{organizer_id}/audit"): Row(          "401  403  404  200  200  200  404  200"),
    # the user's invitation to A: only the user may use it (others: addressed to another email)
    ("POST", "/api/v1/invitations/{token}/accept"): Row(              "401  403  200  403  403  403  403  403"),
    # venues: editors and owners of A write, members read; outsiders see nothing
    ("POST", "/api/v1/venues"): Row(                                  "401  403  404  201  201  403  404  201",
        body=lambda w, a: {"organizer_id": w.organizer_a, "name": f"Hall of {a}", "location": {"lat": 48.0, "lon": 2}}),
    ("GET", "/api/v1/venues/{venue_id}"): Row(                        "401  403  404  200  200  200  404  200"),
    ("PATCH", "/api/v1/venues/{venue_id}"): Row(                      "401  403  404  200  200  403  404  200",
        body=lambda w, a: {"address": "2 rue du Test"}),
    ("GET", "/api/v1/organizers/{organizer_id}/venues"): Row(         "401  403  404  200  200  200  404  200"),
    # geocoding is public (rate-limited per client); without q or a point it is a 422 for everyone
    ("GET", "/api/v1/geocode"): Row(                                  "422  422  422  422  422  422  422  422"),
    ("GET", "/api/v1/geocode/reverse"): Row(                          "422  422  422  422  422  422  422  422"),
    # calendar imports: editors and owners of A submit (a private address literal: 422, nothing written);
    # the path's import does not exist, so nobody reads one
    ("POST", "/api/v1/organizers/{organizer_id}/imports"): Row(       "401  403  404  422  422  403  404  422",
        body=lambda w, a: {"url": "http://127.0.0.1/calendar.ics"}),
    ("GET", "/api/v1/imports/{import_id}"): Row(                      "401  403  404  404  404  404  404  404"),
    # event images: editors and owners of the event's organizer (no body here: 415 once allowed)
    ("POST", "/api/v1/events/{event_id}/image"): Row(                 "401  403  404  415  415  403  404  415"),
    ("DELETE", "/api/v1/events/{event_id}/image"): Row(               "401  403  404  204  204  403  404  204"),
    # notifications: one's own devices, geofences, preferences and inbox; the user's geofence is 404 to others
    ("POST", "/api/v1/me/devices"): Row(                              "401  201  201  201  201  201  201  201",
        body=lambda w, a: {"platform": "fcm", "token": f"token-of-{a}-0123456789abcdef"}),
    ("DELETE", "/api/v1/me/devices"): Row(                            "401  204  204  204  204  204  204  204",
        body=lambda w, a: {"platform": "fcm", "token": f"token-of-{a}-0123456789abcdef"}),
    ("POST", "/api/v1/me/location"): Row(                             "401  200  200  200  200  200  200  200",
        body=lambda w, a: {"lat": 48.85, "lon": 2.35}),
    ("GET", "/api/v1/me/geofences"): Row(                             "401  200  200  200  200  200  200  200"),
    ("POST", "/api/v1/me/geofences"): Row(                            "401  201  201  201  201  201  201  201",
        body=lambda w, a: {"area": {"center": {"lat": 48.85, "lon": 2.35}, "radius_m": 2000}}),
    ("PATCH", "/api/v1/me/geofences/{geofence_id}"): Row(             "401  404  200  404  404  404  404  404",
        body=lambda w, a: {"name": "Home"}),
    ("DELETE", "/api/v1/me/geofences/{geofence_id}"): Row(            "401  404  204  404  404  404  404  404"),
    ("GET", "/api/v1/me/notification-settings"): Row(                 "401  200  200  200  200  200  200  200"),
    ("PATCH", "/api/v1/me/notification-settings"): Row(               "401  200  200  200  200  200  200  200",
        body=lambda w, a: {"kinds": {"starting_soon": True}}),
    ("GET", "/api/v1/me/inbox"): Row(                                 "401  200  200  200  200  200  200  200"),
    # ticketing and RSVPs on A's draft (its team prepares tiers and reads its lists; nobody answers a
    # draft), and on a tier and an order that do not exist: 404 for whoever may ask
    ("GET", "/api/v1/events/{event_id}/tiers"): Row(                  "404  404  404  404  404  404  404  404"),
    ("POST", "/api/v1/events/{event_id}/tiers"): Row(                 "401  403  404  201  201  403  404  201",
        body=lambda w, a: {"name": "Standard", "price": 2500, "currency": "EUR", "quota": 100}),
    ("PATCH", "/api/v1/tiers/{tier_id}"): Row(                        "401  403  404  404  404  404  404  404",
        body=lambda w, a: {"name": "Early bird"}),
    ("POST", "/api/v1/orders"): Row(                                  "401  403  404  404  404  404  404  404",
        body=lambda w, a: {"event_id": PATH_VALUES["event_id"](w),
                           "items": [{"tier_id": PATH_VALUES["tier_id"](w), "quantity": 1}]}),
    ("GET", "/api/v1/orders/{order_id}"): Row(                        "401  404  404  404  404  404  404  404"),
    ("POST", "/api/v1/orders/{order_id}/cancel"): Row(                "401  404  404  404  404  404  404  404"),
    ("GET", "/api/v1/me/tickets"): Row(                               "401  200  200  200  200  200  200  200"),
    ("GET", "/api/v1/events/{event_id}/checkin-list"): Row(           "401  403  404  200  200  200  404  200"),
    # takings are for those who run the event, not for the door
    ("GET", "/api/v1/events/{event_id}/sales"): Row(                  "401  403  404  200  200  403  404  200"),
    # a code that is no ticket of ours: refused before anything is looked up
    ("POST", "/api/v1/checkins"): Row(                                "401  403  422  422  422  422  422  422",
        body=lambda w, a: {"code": "HT1.bm90LWEtdGlja2V0", "door": "Main"}),
    ("GET", "/api/v1/events/{event_id}/rsvp"): Row(                   "401  404  404  404  404  404  404  404"),
    ("PUT", "/api/v1/events/{event_id}/rsvp"): Row(                   "401  403  404  404  404  404  404  404",
        body=lambda w, a: {"status": "going"}),
    ("DELETE", "/api/v1/events/{event_id}/rsvp"): Row(                "401  403  404  404  404  404  404  404"),
    ("GET", "/api/v1/events/{event_id}/attendees"): Row(              "401  403  404  200  200  200  404  200"),
    ("GET", "/api/v1/events/{event_id}/attendees.csv"): Row(          "401  403  404  200  200  200  404  200"),
}
# fmt: on

# Path parameters by name: the object of organizer A that a cell acts on.
PATH_VALUES: dict[str, Callable[[World], str]] = {
    "organizer_id": lambda w: w.organizer_a,
    "account_id": lambda w: str(w.people["target"].account_id),
    "invitation_id": lambda w: w.invitation_id,
    "token": lambda w: w.invitation_token,
    "event_id": lambda w: w.event_id,  # A's draft (not public: saving it is a 404 too)
    "venue_id": lambda w: w.venue_id,
    "provider": lambda w: "nowhere",  # no such provider
    "geofence_id": lambda w: w.geofence_id,
    "tier_id": lambda w: "0b8f3c1e-2d4a-4f6b-8c9d-1e2f3a4b5c6d",  # no such tier
    "order_id": lambda w: "7c1d2e3f-4a5b-4c6d-9e8f-0a1b2c3d4e5f",  # no such order
    "import_id": lambda w: "00000000-0000-4000-8000-000000000001",  # no such import
    "series_id": lambda w: "00000000-0000-4000-8000-000000000000",  # no such series
}


def every_route(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route, those of included routers too."""
    routes = set()
    for route in iter_route_contexts(app.routes):
        for method in (route.methods or set()) - {"HEAD", "OPTIONS"}:
            assert route.path is not None
            routes.add((method, route.path))
    return routes


def test_every_endpoint_is_in_the_matrix() -> None:
    app = create_app(make_settings("postgresql://unused@127.0.0.1/unused", "unused:"))
    routes = every_route(app)
    guarded = {(m, p) for m, p in routes if m in WRITE_METHODS or p.startswith(GUARDED_PREFIXES)}
    assert ("GET", "/api/v1/organizers/{organizer_id}/members") in guarded  # the walk sees included routers
    missing = sorted(guarded - MATRIX.keys())
    assert not missing, f"add these routes to MATRIX in {__file__}: {missing}"
    stale = sorted(MATRIX.keys() - routes)
    assert not stale, f"MATRIX names routes that do not exist: {stale}"


# ------------------------------------------------------------------------------------------- the world


async def build_world(client: httpx.AsyncClient) -> World:
    """Everyone signs up and joins through the real HTTP flows (mail read from the outbox)."""
    people = {name: await sign_up(client, f"{name}@example.com") for name in ACTORS[2:]}
    people["unverified"] = await sign_up(client, "unverified@example.com", verified=False)
    people["target"] = await sign_up(client, "target@example.com")
    await make_admin(client, people["admin"])
    organizer_a = await found(client, people["owner"], "Organizer A")
    organizer_b = await found(client, people["outsider"], "Organizer B")
    for name, role in (("editor", "editor"), ("checker", "checker"), ("target", "editor")):
        await join(client, people["owner"], organizer_a, people[name], role)
    invitation = await invite(client, people["owner"], organizer_a, people["user"].email, "checker")
    token = await invitation_token(client, people["user"].email)
    draft = {
        "organizer_id": str(organizer_a),
        "title": "Draft of A",
        "category": "music",
        "timezone": "Europe/Paris",
        "location": {"lat": 48.85, "lon": 2.35},
        "starts_at": "2030-07-14T19:30:00",
        "ends_at": "2030-07-14T22:00:00",
    }
    response = await client.post("/api/v1/events", json=draft, headers=bearer(people["owner"]))
    assert response.status_code == 201, response.text
    venue = await client.post("/api/v1/venues", headers=bearer(people["owner"]), json={
        "organizer_id": str(organizer_a), "name": "Main Hall", "location": {"lat": 48.8566, "lon": 2.3522}})
    assert venue.status_code == 201, venue.text
    geofence = await client.post(
        "/api/v1/me/geofences", json={"area": {"center": {"lat": 48.85, "lon": 2.35}, "radius_m": 1000}},
        headers=bearer(people["user"]),
    )
    assert geofence.status_code == 201, geofence.text
    return World(
        people, str(organizer_a), str(organizer_b), invitation["id"], token, venue.json()["id"],
        response.json()["id"], geofence.json()["id"],
    )  # fmt: skip


class Snapshot:
    """Every table's rows (binary COPY) and the app's Redis keys, put back exactly by ``restore``.

    One connection serves every restore: a new one would load the catalogue entries of the 64
    event partitions again each time (a quarter of a second instead of tens of milliseconds).
    """

    def __init__(self, conn: psycopg.AsyncConnection[Any], redis: Redis, redis_prefix: str) -> None:
        self.conn = conn
        self.redis = redis
        self.prefix = redis_prefix
        # (table, columns, its rows as binary COPY data, or None when it had none)
        self.tables: list[tuple[str, list[str], bytes | None]] = []
        self.keys: dict[bytes, tuple[bytes, int]] = {}

    async def take(self) -> None:
        async with self.conn.transaction():
            for table, columns in await _tables(self.conn):
                cur = await self.conn.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(sql.Identifier(table)))
                if not (await cur.fetchone() or (False,))[0]:
                    self.tables.append((table, columns, None))
                    continue
                data = bytearray()
                async with self.conn.cursor().copy(_copy_out(table, columns)) as copy:
                    async for chunk in copy:
                        data += chunk
                self.tables.append((table, columns, bytes(data)))
        async for key in self.redis.scan_iter(match=f"{self.prefix}*"):
            dumped = await self.redis.dump(key)
            if dumped is not None:
                self.keys[key] = (dumped, max(0, await self.redis.pttl(key)))

    async def restore(self) -> None:
        """A few round trips: one script empties every table, one COPY per table that had rows, one
        pipeline for Redis (the machine may be shared and slow; round trips are what costs)."""
        tables = [sql.Identifier(table) for table, _, _ in self.tables]
        empty = sql.SQL("; ").join(sql.SQL("DELETE FROM {}").format(table) for table in tables)
        async with self.conn.transaction():
            # Foreign keys and triggers off while the rows go back as they were (test databases only).
            await self.conn.execute(sql.SQL("SET LOCAL session_replication_role = replica; {}").format(empty))
            for table, columns, data in self.tables:
                if data is not None:
                    async with self.conn.cursor().copy(_copy_in(table, columns)) as copy:
                        await copy.write(data)
        now = [key async for key in self.redis.scan_iter(match=f"{self.prefix}*", count=10_000)]
        async with self.redis.pipeline(transaction=False) as pipe:
            if now:
                pipe.delete(*now)
            for key, (dumped, ttl) in self.keys.items():
                pipe.restore(key, ttl, dumped, replace=True)
            await pipe.execute()


async def _tables(conn: psycopg.AsyncConnection[Any]) -> list[tuple[str, list[str]]]:
    """Every table of the schema (partitioned ones as a whole) but what extensions and Alembic own."""
    cur = await conn.execute(
        """
        SELECT c.relname, array_agg(a.attname ORDER BY a.attnum)
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND c.relname <> 'alembic_version'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
        GROUP BY c.relname ORDER BY c.relname
        """
    )
    return [(row[0], list(row[1])) for row in await cur.fetchall()]


def _copy_out(table: str, columns: list[str]) -> sql.Composed:
    # A query, not the table: COPY TO does not read a partitioned table whole.
    return sql.SQL("COPY (SELECT {} FROM {}) TO STDOUT (FORMAT binary)").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table)
    )


def _copy_in(table: str, columns: list[str]) -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )


# ------------------------------------------------------------------------------------------- the cells


@pytest.fixture
def settings(clean_db: str, redis_prefix: str, tmp_path: Path) -> Settings:
    from tests.accounts.helpers import with_cheap_auth
    from tests.organizers.conftest import GENEROUS

    cheap = with_cheap_auth(make_settings(clean_db, redis_prefix), **GENEROUS)
    return cheap.model_copy(update={"media": MediaSettings(root=str(tmp_path / "media"))})


@pytest.fixture
async def clean_db(database_url: str) -> AsyncIterator[str]:
    """Every table this test writes (the snapshot's tables) emptied afterwards."""
    yield database_url
    async with await psycopg.AsyncConnection.connect(database_url) as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        for table in ("notices", "push_devices", "geofence_cells", "geofences", "notification_settings",
                      "checkins", "tickets", "order_items", "order_requests", "payment_refunds", "stripe_events",
                      "orders", "rsvps", "ticket_tiers", "event_places", "organizer_payment_accounts",
                      "calendar_feed_tokens", "saved_events", "organizer_follows", "profile_interests", "profiles",
                      "erasures", "account_identities", "organizer_invitations", "organizer_members", "audit_log",
                      "events", "event_changes", "venues", "organizers",
                      "mail_outbox", "account_tokens", "refresh_tokens", "auth_sessions", "accounts"):  # fmt: skip
            await conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))


async def test_access_matrix(app: FastAPI, client: httpx.AsyncClient, settings: Settings, redis_prefix: str) -> None:
    clock = FrozenClock()
    app.state.accounts.clock = clock
    app.state.organizers.clock = clock
    world = await build_world(client)
    redis = Redis.from_url(REDIS_URL)
    conn = await psycopg.AsyncConnection.connect(settings.database.url)
    snapshot = Snapshot(conn, redis, redis_prefix)
    await snapshot.take()

    mismatches = []
    try:
        for (method, template), row in MATRIX.items():
            missing = [name for name in _path_names(template) if name not in PATH_VALUES]
            assert not missing, f"{template}: add {missing} to PATH_VALUES"
            plain = re.sub(r"\{(\w+):\w+\}", r"{\1}", template)  # {event_id:uuid}: a Starlette convertor
            path = plain.format(**{name: PATH_VALUES[name](world) for name in _path_names(template)})
            for actor in ACTORS:
                await snapshot.restore()
                headers = {} if actor == "anonymous" else bearer(world.people[actor])
                body = None if row.body is None else row.body(world, actor)
                kwargs: dict[str, Any] = {"headers": headers} if body is None else {"headers": headers, "json": body}
                response = await client.request(method, path, **kwargs)
                if response.status_code != row.statuses[actor]:
                    mismatches.append(
                        f"{method} {template} as {actor}: expected {row.statuses[actor]}, "
                        f"got {response.status_code} {response.text[:160]}"
                    )
    finally:
        await conn.close()
        await redis.aclose()
    assert not mismatches, "\n".join(mismatches)


def _path_names(template: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def test_the_matrix_rows_are_well_formed() -> None:
    for key, row in MATRIX.items():
        assert set(row.statuses) == set(ACTORS), key
        assert all(100 <= code <= 599 for code in row.statuses.values()), key

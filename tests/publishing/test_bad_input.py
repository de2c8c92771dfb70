"""Bad input to the publishing writes: each a 4xx problem+json, nothing written, nothing invalidated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.accounts.sessions import SessionsChanged
from tests.accounts.helpers import SignedIn, app_of, bearer
from tests.publishing.conftest import Changes, Team, draft_body

Request = tuple[str, str, Any]  # method, path, JSON body (or raw bytes)


async def _written(client: httpx.AsyncClient) -> tuple[int, ...]:
    """Rows of every table a publishing write touches, and the events' versions."""
    async with app_of(client).state.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM audit_log) AS audit, "
            "(SELECT count(*) FROM event_changes) AS changes, "
            "(SELECT coalesce(sum(sequence), 0) FROM events) AS sequences, "
            "(SELECT count(*) FROM events WHERE status = 'published') AS published"
        )
        row = await cur.fetchone()
        await conn.rollback()
    assert row is not None
    return tuple(int(v) for v in row.values())


async def _event(client: httpx.AsyncClient, team: Team, who: SignedIn, org_venue: tuple[str, str]) -> str:
    org, venue = org_venue
    body = draft_body(team, organizer_id=org, venue_id=venue)
    response = await client.post("/api/v1/events", json=body, headers=bearer(who))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


CASES: list[tuple[str, str, Callable[[Team, str, str], Request], int]] = [
    # (name, who, request builder (team, A's event, B's event), expected status)
    ("end before start", "editor",
     lambda t, a, b: ("POST", "/api/v1/events", draft_body(t, ends_at="2030-07-14T18:00:00")), 422),
    ("end before start, edit", "editor",
     lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", {"ends_at": "2030-07-14T10:00:00"}), 400),
    ("unknown time zone", "editor",
     lambda t, a, b: ("POST", "/api/v1/events", draft_body(t, timezone="Europe/Atlantis")), 422),
    ("unknown time zone, edit", "editor",
     lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", {"timezone": "Mars/Olympus_Mons"}), 422),
    ("time with an offset", "editor",
     lambda t, a, b: ("POST", "/api/v1/events", draft_body(t, starts_at="2030-07-14T19:30:00+02:00")), 422),
    ("a year that overflows in its zone", "editor",
     lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", {"starts_at": "9999-12-31T23:00:00"}), 422),
    ("local time in a DST gap", "editor",
     lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", {"starts_at": "2030-03-31T02:15:00"}), 422),
    ("latitude out of range", "editor",
     lambda t, a, b: ("POST", "/api/v1/events", draft_body(t, venue_id=None, timezone="UTC",
                                                           location={"lat": 91, "lon": 0})), 422),
    ("longitude out of range", "editor",
     lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", {"location": {"lat": 0, "lon": -180.5}}), 422),
    ("NaN coordinate", "editor",
     lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", b'{"location": {"lat": NaN, "lon": 2.35}}'), 422),
    ("Infinity coordinate", "editor",
     lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", b'{"location": {"lat": 48.8, "lon": Infinity}}'), 422),
    ("another organizer's venue", "editor",
     lambda t, a, b: ("POST", "/api/v1/events", draft_body(t, venue_id=str(t.other_venue))), 404),
    ("another organizer's venue, edit", "editor",
     lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", {"venue_id": str(t.other_venue)}), 404),
    ("another organizer's event", "editor", lambda t, a, b: ("PATCH", f"/api/v1/events/{b}", {"title": "Mine"}), 404),
    ("publish another organizer's event", "editor", lambda t, a, b: ("POST", f"/api/v1/events/{b}/publish", None), 404),
    ("delete another organizer's event", "editor", lambda t, a, b: ("DELETE", f"/api/v1/events/{b}", None), 404),
    ("creating for another organizer", "editor",
     lambda t, a, b: ("POST", "/api/v1/events", draft_body(t, organizer_id=str(t.other_org), venue_id=None,
                                                           location={"lat": 48.8, "lon": 2.3}, timezone="UTC")), 404),
    ("a non-member's write", "outsider", lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", {"title": "Taken"}), 404),
    ("a non-member's publish", "outsider", lambda t, a, b: ("POST", f"/api/v1/events/{a}/publish", None), 404),
    ("a checker's write", "checker", lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", {"title": "Door"}), 403),
    ("publish without a verified email", "unverified_editor",
     lambda t, a, b: ("POST", f"/api/v1/events/{a}/publish", None), 403),
    ("extra field", "editor", lambda t, a, b: ("POST", "/api/v1/events", draft_body(t, status="published")), 422),
    ("extra field, edit", "editor", lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", {"popularity": 10**6}), 422),
    ("extra field in the location", "editor",
     lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", {"location": {"lat": 1, "lon": 2, "alt": 3}}), 422),
    ("clearing a required field", "editor", lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", {"title": None}), 422),
    ("a price on a free event", "editor", lambda t, a, b: ("PATCH", f"/api/v1/events/{a}", {"price_min": 500}), 400),
    ("a recurrence (until the series service is wired: the recurrence engineer updates this case)", "editor",
     lambda t, a, b: ("POST", "/api/v1/events", draft_body(t, recurrence={"rrule": "FREQ=WEEKLY;COUNT=4"})), 422),
    ("neither venue nor location", "editor",
     lambda t, a, b: ("POST", "/api/v1/events", draft_body(t, venue_id=None)), 422),
    ("no such event", "editor",
     lambda t, a, b: ("POST", "/api/v1/events/5d1f0c9e-7a4b-4c1e-9f3a-2b6d8e0a1c47/cancel", None), 404),
    ("cancelling a draft", "editor", lambda t, a, b: ("POST", f"/api/v1/events/{a}/cancel", None), 409),
]  # fmt: skip


@pytest.fixture
async def world(client: httpx.AsyncClient, team: Team, app: FastAPI) -> tuple[str, str, dict[str, SignedIn]]:
    a = await _event(client, team, team.editor, (str(team.org), str(team.venue)))
    b = await _event(client, team, team.outsider, (str(team.other_org), str(team.other_venue)))
    # An editor whose address is no longer verified (as after a change of address).
    from tests.accounts.helpers import sign_up
    from tests.organizers.helpers import join

    unverified = await sign_up(client, "changed@example.com")
    await join(client, team.owner, team.org, unverified, "editor")
    async with app.state.pool.connection() as conn:
        await conn.execute("UPDATE accounts SET email_verified_at = NULL WHERE id = %s", (unverified.account_id,))
    await app.state.after_commit.dispatch([SessionsChanged(unverified.account_id)])  # as the accounts domain does
    people = {
        "editor": team.editor,
        "outsider": team.outsider,
        "checker": team.checker,
        "unverified_editor": unverified,
    }
    return a, b, people


async def test_bad_input_is_a_4xx_problem_with_nothing_written_or_invalidated(
    client: httpx.AsyncClient, team: Team, world: tuple[str, str, dict[str, SignedIn]], changes: Changes
) -> None:
    a, b, people = world
    before = await _written(client)
    changes.seen.clear()
    failures = []
    for name, who, build, expected in CASES:
        method, path, body = build(team, a, b)
        headers = bearer(people[who])
        if isinstance(body, bytes):
            response = await client.request(
                method, path, content=body, headers={**headers, "content-type": "application/json"}
            )
        else:
            response = await client.request(method, path, json=body, headers=headers)
        problem = response.headers.get("content-type", "").startswith("application/problem+json")
        if response.status_code != expected or not problem:
            failures.append(f"{name}: {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)
    assert await _written(client) == before
    assert changes.seen == []  # no tile cache was told anything

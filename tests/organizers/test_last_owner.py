"""An organizer always keeps an owner: alone, and when two owners demote or remove each other at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from uuid import UUID

import httpx
import psycopg
import pytest

from config.settings import Settings
from tests.accounts.helpers import SignedIn, app_of, bearer, sign_up
from tests.organizers.helpers import found, join, members_path, roles_of


async def test_the_last_owner_can_neither_leave_nor_be_demoted(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    editor = await sign_up(client, "editor@example.com")
    org = await found(client, owner)
    await join(client, owner, org, editor, "editor")

    for attempt in (
        client.delete(members_path(org, owner.account_id), headers=bearer(owner)),
        client.patch(members_path(org, owner.account_id), json={"role": "editor"}, headers=bearer(owner)),
    ):
        response = await attempt
        assert response.status_code == 409 and response.json()["type"].endswith("/last-owner")
    # Another owner first; then the first may step down, and leave.
    promoted = await client.patch(members_path(org, editor.account_id), json={"role": "owner"}, headers=bearer(owner))
    assert promoted.status_code == 200
    demoted = await client.patch(members_path(org, owner.account_id), json={"role": "checker"}, headers=bearer(owner))
    assert demoted.status_code == 200
    assert (await client.delete(members_path(org, owner.account_id), headers=bearer(owner))).status_code == 204
    assert await roles_of(client, org) == {editor.account_id: "owner"}
    last = await client.delete(members_path(org, editor.account_id), headers=bearer(editor))
    assert last.status_code == 409


@asynccontextmanager
async def team_locked(settings: Settings, org: UUID) -> AsyncIterator[psycopg.AsyncConnection[tuple[object, ...]]]:
    """Hold the team's rows locked from outside, the way a slow concurrent change would."""
    async with await psycopg.AsyncConnection.connect(settings.database.url) as conn, conn.transaction():
        await conn.execute("SELECT 1 FROM organizer_members WHERE organizer_id = %s FOR UPDATE", (org,))
        yield conn


async def waiting_for_locks(settings: Settings, count: int) -> None:
    """Until ``count`` of the app's connections wait on a lock (a condition, not a pause of fixed length)."""
    async with await psycopg.AsyncConnection.connect(settings.database.url, autocommit=True) as conn:
        for _ in range(2000):
            cur = await conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE '%%organizer_members%%FOR UPDATE%%'"
            )
            row = await cur.fetchone()
            if row is not None and row[0] >= count:
                return
            await asyncio.sleep(0.005)
    raise AssertionError(f"{count} requests never queued on the team's lock")


Change = Callable[[httpx.AsyncClient, UUID, SignedIn, SignedIn], Awaitable[httpx.Response]]


async def _demote_other(client: httpx.AsyncClient, org: UUID, me: SignedIn, other: SignedIn) -> httpx.Response:
    return await client.patch(members_path(org, other.account_id), json={"role": "editor"}, headers=bearer(me))


async def _demote_self(client: httpx.AsyncClient, org: UUID, me: SignedIn, other: SignedIn) -> httpx.Response:
    return await client.patch(members_path(org, me.account_id), json={"role": "checker"}, headers=bearer(me))


async def _remove_other(client: httpx.AsyncClient, org: UUID, me: SignedIn, other: SignedIn) -> httpx.Response:
    return await client.delete(members_path(org, other.account_id), headers=bearer(me))


async def _leave(client: httpx.AsyncClient, org: UUID, me: SignedIn, other: SignedIn) -> httpx.Response:
    return await client.delete(members_path(org, me.account_id), headers=bearer(me))


# What the request that runs second answers, having re-checked under the lock: stepping down
# itself, it is the last owner now (409); acting on the other, it was demoted (403) or removed (404).
RACES = [(_demote_self, 409, "last-owner"), (_leave, 409, "last-owner"),
         (_demote_other, 403, "role-too-low"), (_remove_other, 404, "organizer-not-found")]  # fmt: skip


@pytest.mark.parametrize(("change", "status", "problem"), RACES, ids=[c.__name__[1:] for c, _, _ in RACES])
async def test_two_owners_stepping_down_at_once_leave_one_owner(
    client: httpx.AsyncClient, settings: Settings, change: Change, status: int, problem: str
) -> None:
    first = await sign_up(client, "first@example.com")
    second = await sign_up(client, "second@example.com")
    org = await found(client, first)
    await join(client, first, org, second, "owner")

    # Both requests pass their role check, then queue on the team's lock; released, they run one
    # after the other and the second sees the first's change.
    async with team_locked(settings, org):
        requests = asyncio.gather(change(client, org, first, second), change(client, org, second, first))
        await waiting_for_locks(settings, 2)
    answers = await requests

    codes = sorted(r.status_code for r in answers)
    assert codes == sorted([status, 204 if change in (_leave, _remove_other) else 200]), [r.text for r in answers]
    refused = next(r for r in answers if r.status_code == status)
    assert refused.json()["type"].endswith(f"/{problem}")
    assert list((await roles_of(client, org)).values()).count("owner") == 1


async def test_a_team_locked_too_long_answers_503(client: httpx.AsyncClient, settings: Settings) -> None:
    state = app_of(client).state.organizers
    state.settings = state.settings.model_copy(update={"lock_timeout_ms": 100})
    owner = await sign_up(client, "owner@example.com")
    editor = await sign_up(client, "editor@example.com")
    org = await found(client, owner)
    await join(client, owner, org, editor, "editor")
    async with team_locked(settings, org):
        response = await client.patch(
            members_path(org, editor.account_id), json={"role": "owner"}, headers=bearer(owner)
        )
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.json()["type"].endswith("/team-busy")
    assert (await roles_of(client, org))[editor.account_id] == "editor"

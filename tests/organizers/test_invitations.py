"""Invitations by email: mailed, single use, bound to the invited address, expiring on the pinned clock."""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID

import httpx
import pytest

from tests.accounts.helpers import FrozenClock, app_of, bearer, log_in, mails_to, sign_up, token_from_mail
from tests.organizers.helpers import (
    accept_path,
    found,
    invitation_token,
    invitations_path,
    invite,
    members_path,
    roles_of,
    table_counts,
)


async def test_an_invitation_is_mailed_and_accepted_once(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    org = await found(client, owner, "Night Owls")
    invitation = await invite(client, owner, org, "Eve@Example.com", "editor")
    # As typed, but for the domain, which email-validator writes in lower case.
    assert invitation["email"] == "Eve@example.com" and invitation["role"] == "editor"
    assert "token" not in invitation  # the link goes by mail only

    mails = await mails_to(client, "eve@example.com")
    assert [m["kind"] for m in mails] == ["organizer-invitation"]
    assert "Night Owls" in mails[0]["subject"] and "editor" in mails[0]["body"]
    listed = (await client.get(invitations_path(org), headers=bearer(owner))).json()["items"]
    assert [i["id"] for i in listed] == [invitation["id"]]

    eve = await sign_up(client, "eve@example.com")  # the address in another case: the same address
    token = await invitation_token(client, "eve@example.com")
    accepted = await client.post(accept_path(token), headers=bearer(eve))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() | {"joined_at": None} == {
        "organizer_id": str(org), "organizer_name": "Night Owls", "account_id": str(eve.account_id),
        "role": "editor", "joined_at": None,
    }  # fmt: skip
    assert (await roles_of(client, org))[eve.account_id] == "editor"
    assert (await client.get(invitations_path(org), headers=bearer(owner))).json()["items"] == []

    again = await client.post(accept_path(token), headers=bearer(eve))
    assert again.status_code == 404 and again.json()["type"].endswith("/invitation-not-found")


async def test_an_invitation_for_another_address_lets_nobody_else_in(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    mallory = await sign_up(client, "mallory@example.com")
    org = await found(client, owner)
    await invite(client, owner, org, "eve@example.com", "owner")
    token = await invitation_token(client, "eve@example.com")  # say, a forwarded mail

    before = await table_counts(client)
    refused = await client.post(accept_path(token), headers=bearer(mallory))
    assert refused.status_code == 403 and refused.json()["type"].endswith("/invitation-email-mismatch")
    assert "eve@" not in refused.text  # the answer does not say whom it is for
    assert await table_counts(client) == before
    assert mallory.account_id not in await roles_of(client, org)

    # Still usable by the person it was sent to.
    eve = await sign_up(client, "eve@example.com")
    assert (await client.post(accept_path(token), headers=bearer(eve))).status_code == 200


async def test_an_unverified_invitee_verifies_first(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    org = await found(client, owner)
    eve = await sign_up(client, "eve@example.com", verified=False)
    await invite(client, owner, org, "eve@example.com", "checker")
    token = await invitation_token(client, "eve@example.com")

    refused = await client.post(accept_path(token), headers=bearer(eve))
    assert refused.status_code == 403 and refused.json()["type"].endswith("/email-not-verified")
    assert eve.account_id not in await roles_of(client, org)

    verify_token = await token_from_mail(client, "eve@example.com", "verify-email")
    confirmed = await client.post("/api/v1/auth/verify", json={"token": verify_token})
    assert confirmed.status_code == 204
    assert (await client.post(accept_path(token), headers=bearer(eve))).status_code == 200


async def test_an_invitation_expires_on_the_clock(client: httpx.AsyncClient, clock: FrozenClock) -> None:
    owner = await sign_up(client, "owner@example.com")
    org = await found(client, owner)
    ttl = app_of(client).state.organizers.settings.invitation_ttl_s
    await invite(client, owner, org, "eve@example.com", "editor")
    await invite(client, owner, org, "sam@example.com", "editor")
    eve_token = await invitation_token(client, "eve@example.com")
    sam_token = await invitation_token(client, "sam@example.com")

    clock.advance(ttl - 1)  # a second before the end: still good
    sam = await sign_up(client, "sam@example.com")
    assert (await client.post(accept_path(sam_token), headers=bearer(sam))).status_code == 200

    clock.advance(1)  # at the end: expired
    eve = await sign_up(client, "eve@example.com")
    expired = await client.post(accept_path(eve_token), headers=bearer(eve))
    assert expired.status_code == 410 and expired.json()["type"].endswith("/invitation-expired")
    assert eve.account_id not in await roles_of(client, org)

    # A new invitation to the same address replaces the expired one and works.
    owner = await log_in(client, "owner@example.com")  # the owner's earlier access token has expired meanwhile
    await invite(client, owner, org, "eve@example.com", "editor")
    fresh = await invitation_token(client, "eve@example.com")
    assert fresh != eve_token
    assert (await client.post(accept_path(fresh), headers=bearer(eve))).status_code == 200


async def test_inviting_again_replaces_the_link_and_revoking_ends_it(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    org = await found(client, owner)
    eve = await sign_up(client, "eve@example.com")
    await invite(client, owner, org, "eve@example.com", "checker")
    first = await invitation_token(client, "eve@example.com")
    second_invitation = await invite(client, owner, org, "EVE@example.com", "editor")
    second = await invitation_token(client, "eve@example.com")
    assert first != second
    listed = (await client.get(invitations_path(org), headers=bearer(owner))).json()["items"]
    assert [(i["email"], i["role"]) for i in listed] == [("EVE@example.com", "editor")]
    assert (await client.post(accept_path(first), headers=bearer(eve))).status_code == 404

    revoked = await client.delete(f"{invitations_path(org)}/{second_invitation['id']}", headers=bearer(owner))
    assert revoked.status_code == 204
    assert (await client.post(accept_path(second), headers=bearer(eve))).status_code == 404
    assert eve.account_id not in await roles_of(client, org)


async def test_members_are_not_invited_again(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    org = await found(client, owner)
    before = await table_counts(client)
    response = await client.post(invitations_path(org), json={"email": "OWNER@example.com", "role": "editor"},
                                 headers=bearer(owner))  # fmt: skip
    assert response.status_code == 409 and response.json()["type"].endswith("/already-member")
    assert await table_counts(client) == before


async def test_a_member_accepting_another_invitation_keeps_their_role(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    eve = await sign_up(client, "eve@example.com")
    org = await found(client, owner)
    await invite(client, owner, org, "eve@example.com", "checker")
    token = await invitation_token(client, "eve@example.com")
    # Eve became a member meanwhile (written directly: the API gives no second way in), then
    # follows the old link: it cannot change her role.
    async with app_of(client).state.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO organizer_members (organizer_id, account_id, role, joined_at, updated_at) "
            "VALUES (%s, %s, 'editor', now(), now())",
            (org, eve.account_id),
        )
    response = await client.post(accept_path(token), headers=bearer(eve))
    assert response.status_code == 409 and response.json()["type"].endswith("/already-member")
    assert (await roles_of(client, org))[eve.account_id] == "editor"


async def test_open_invitations_are_bounded_and_sending_them_is_rate_limited(client: httpx.AsyncClient) -> None:
    state = app_of(client).state.organizers
    state.settings = state.settings.model_copy(update={"max_open_invitations": 2})
    owner = await sign_up(client, "owner@example.com")
    org = await found(client, owner)
    await invite(client, owner, org, "a@example.com", "checker")
    await invite(client, owner, org, "b@example.com", "checker")
    full = await client.post(invitations_path(org), json={"email": "c@example.com", "role": "checker"},
                             headers=bearer(owner))  # fmt: skip
    assert full.status_code == 409 and full.json()["type"].endswith("/limit-reached")

    # Revoking and re-inviting in a loop would flood an inbox: sending is limited per organizer.
    limit = state.limits.invite_organizer.count
    answers = []
    for _ in range(limit):
        response = await client.post(invitations_path(org), json={"email": "a@example.com", "role": "editor"},
                                     headers=bearer(owner))  # fmt: skip
        answers.append(response.status_code)
    assert answers[-1] == 429 and "retry-after" in {k.lower() for k in response.headers}
    assert len(await mails_to(client, "a@example.com")) == answers.count(201) + 1


async def test_tokens_are_stored_only_as_hashes(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    org = await found(client, owner)
    await invite(client, owner, org, "eve@example.com", "editor")
    token = await invitation_token(client, "eve@example.com")
    async with app_of(client).state.pool.connection() as conn:
        cur = await conn.execute("SELECT t::text AS row FROM organizer_invitations t")
        rows = [r["row"] for r in await cur.fetchall()]
        cur = await conn.execute("SELECT expires_at - created_at AS ttl FROM organizer_invitations")
        ttl = (await cur.fetchone() or {})["ttl"]
    assert rows and all(token not in row for row in rows)
    assert ttl == timedelta(seconds=app_of(client).state.organizers.settings.invitation_ttl_s)
    assert isinstance(org, UUID)
    assert (await client.get(members_path(org), headers=bearer(owner))).status_code == 200


async def test_the_access_log_never_holds_an_invitation_token(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await sign_up(client, "owner@example.com")
    org = await found(client, owner)
    eve = await sign_up(client, "eve@example.com")
    await invite(client, owner, org, "eve@example.com", "editor")
    token = await invitation_token(client, "eve@example.com")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="happenings.access"):
        assert (await client.post(accept_path(token), headers=bearer(eve))).status_code == 200
    paths = [getattr(r, "path", None) for r in caplog.records if r.name == "happenings.access"]
    assert paths == ["/api/v1/invitations/{token}/accept"]


async def test_erasing_a_person_removes_the_invitations_to_their_addresses(client: httpx.AsyncClient) -> None:
    from app.organizers.service import forget_invitations_to

    owner = await sign_up(client, "owner@example.com")
    org = await found(client, owner)
    await invite(client, owner, org, "Eve@example.com", "editor")
    await invite(client, owner, org, "sam@example.com", "editor")
    async with app_of(client).state.pool.connection() as conn:
        assert await forget_invitations_to(conn, ["eve@EXAMPLE.com"]) == 1
    listed = (await client.get(invitations_path(org), headers=bearer(owner))).json()["items"]
    assert [i["email"] for i in listed] == ["sam@example.com"]


async def test_without_redis_no_invitation_is_sent(client: httpx.AsyncClient) -> None:
    """The sending limits live in Redis: unreachable, inviting fails closed (503) and writes nothing."""
    from redis.asyncio import Redis

    from app.kit.ratelimit import RateLimiter

    owner = await sign_up(client, "owner@example.com")
    org = await found(client, owner)
    state = app_of(client).state.organizers
    nowhere = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    state.limiter = RateLimiter(nowhere, "test:")
    try:
        before = await table_counts(client)
        response = await client.post(invitations_path(org), json={"email": "eve@example.com", "role": "editor"},
                                     headers=bearer(owner))  # fmt: skip
        assert response.status_code == 503 and "retry-after" in response.headers
        assert await table_counts(client) == before
    finally:
        await nowhere.aclose()

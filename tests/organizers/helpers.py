"""Helpers for tests that need organizer teams, built through the real HTTP API and the outbox.

    from tests.organizers.helpers import found, join

    owner = await sign_up(client, "owner@example.com")
    org = await found(client, owner)                              # owner of a new organizer
    editor = await sign_up(client, "editor@example.com")
    await join(client, owner, org, editor, "editor")             # invited, mailed, accepted
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import httpx

from tests.accounts.helpers import SignedIn, bearer, mails_to

INVITATION_LINK = re.compile(r"#/invitation\?token=([A-Za-z0-9_-]+)")
ORGANIZERS = "/api/v1/organizers"


def members_path(org: UUID, account_id: UUID | None = None) -> str:
    base = f"{ORGANIZERS}/{org}/members"
    return base if account_id is None else f"{base}/{account_id}"


def invitations_path(org: UUID) -> str:
    return f"{ORGANIZERS}/{org}/invitations"


def accept_path(token: str) -> str:
    return f"/api/v1/invitations/{token}/accept"


async def found(client: httpx.AsyncClient, owner: SignedIn, name: str = "Night Owls") -> UUID:
    """A new organizer founded by ``owner`` (its first owner)."""
    response = await client.post(ORGANIZERS, json={"name": name}, headers=bearer(owner))
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


async def invite(client: httpx.AsyncClient, owner: SignedIn, org: UUID, email: str, role: str) -> dict[str, Any]:
    response = await client.post(invitations_path(org), json={"email": email, "role": role}, headers=bearer(owner))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def invitation_token(client: httpx.AsyncClient, email: str) -> str:
    """The token in the newest invitation mail to ``email``, as the invitee reads it."""
    for mail in await mails_to(client, email):
        if mail["kind"] == "organizer-invitation":
            found_link = INVITATION_LINK.search(mail["body"])
            assert found_link, mail["body"]
            return found_link.group(1)
    raise AssertionError(f"no invitation mail to {email}")


async def join(client: httpx.AsyncClient, owner: SignedIn, org: UUID, who: SignedIn, role: str) -> None:
    """``owner`` invites ``who`` to ``role``; ``who`` accepts with the link from the mail."""
    await invite(client, owner, org, who.email, role)
    token = await invitation_token(client, who.email)
    response = await client.post(accept_path(token), headers=bearer(who))
    assert response.status_code == 200, response.text


async def roles_of(client: httpx.AsyncClient, org: UUID) -> dict[UUID, str]:
    """Every member of ``org`` and their role, read from the database (no caller needed)."""
    from tests.accounts.helpers import app_of

    async with app_of(client).state.pool.connection() as conn:
        cur = await conn.execute("SELECT account_id, role FROM organizer_members WHERE organizer_id = %s", (org,))
        rows = await cur.fetchall()
        await conn.rollback()
    return {row["account_id"]: row["role"] for row in rows}


async def table_counts(client: httpx.AsyncClient) -> dict[str, int]:
    """Rows in every table an organizer request may write: proof that a refused request wrote nothing."""
    from tests.accounts.helpers import app_of

    tables = ("organizers", "organizer_members", "organizer_invitations", "mail_outbox")
    async with app_of(client).state.pool.connection() as conn:
        counts = {}
        for table in tables:
            cur = await conn.execute(f"SELECT count(*) AS n FROM {table}")
            row = await cur.fetchone()
            assert row is not None
            counts[table] = row["n"]
        await conn.rollback()
    return counts

"""Bad input to the organizers API: 422 problem+json naming the field, and nothing written.

Extra fields that would grant something (``role``, ``is_admin``, ``organizer_id``) are refused, not
ignored: a client that sends them is told, and nothing it sent is acted on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.accounts.helpers import SignedIn, bearer, sign_up
from tests.organizers.helpers import (
    ORGANIZERS,
    accept_path,
    found,
    invitation_token,
    invitations_path,
    invite,
    join,
    members_path,
    roles_of,
    table_counts,
)


@dataclass
class Team:
    owner: SignedIn
    editor: SignedIn
    eve: SignedIn  # invited as a checker, not yet joined
    org: UUID
    token: str


@pytest.fixture
async def team(client: httpx.AsyncClient) -> Team:
    owner = await sign_up(client, "owner@example.com")
    editor = await sign_up(client, "editor@example.com")
    eve = await sign_up(client, "eve@example.com")
    org = await found(client, owner)
    await join(client, owner, org, editor, "editor")
    await invite(client, owner, org, "eve@example.com", "checker")
    return Team(owner, editor, eve, org, await invitation_token(client, "eve@example.com"))


# (who: owner|eve, method, path (formatted with the team), body, query, the field the problem names)
CASES: list[tuple[str, str, str, Any, dict[str, str], str | None]] = [
    # founding: only a name and a contact address
    ("owner", "POST", ORGANIZERS, {"name": "X", "role": "owner"}, {}, "role"),
    ("owner", "POST", ORGANIZERS, {"name": "X", "is_admin": True}, {}, "is_admin"),
    ("owner", "POST", ORGANIZERS, {"name": "X", "organizer_id": "{org}"}, {}, "organizer_id"),
    ("owner", "POST", ORGANIZERS, {"name": "X", "owner_id": "{editor}"}, {}, "owner_id"),
    ("owner", "POST", ORGANIZERS, {"name": ""}, {}, "name"),
    ("owner", "POST", ORGANIZERS, {"name": "   "}, {}, "name"),
    ("owner", "POST", ORGANIZERS, {"name": "x" * 201}, {}, "name"),
    ("owner", "POST", ORGANIZERS, {"name": "X", "email": "not-an-address"}, {}, "email"),
    ("owner", "POST", ORGANIZERS, {}, {}, "name"),
    ("owner", "POST", ORGANIZERS, ["name"], {}, None),
    # inviting: an address and a role of the organizer's, nothing else
    ("owner", "POST", "{invitations}", {"email": "x@example.com", "role": "admin"}, {}, "role"),
    ("owner", "POST", "{invitations}", {"email": "x@example.com", "role": "OWNER"}, {}, "role"),
    (
        "owner",
        "POST",
        "{invitations}",
        {"email": "x@example.com", "role": "editor", "organizer_id": "{org}"},
        {},
        "organizer_id",
    ),
    ("owner", "POST", "{invitations}", {"email": "x@example.com", "role": "editor", "is_admin": True}, {}, "is_admin"),
    ("owner", "POST", "{invitations}", {"email": "x@example.com", "role": "editor", "token": "a" * 43}, {}, "token"),
    ("owner", "POST", "{invitations}", {"email": "x" * 250 + "@example.com", "role": "editor"}, {}, "email"),
    ("owner", "POST", "{invitations}", {"email": "nobody", "role": "editor"}, {}, "email"),
    ("owner", "POST", "{invitations}", {"role": "editor"}, {}, "email"),
    (
        "owner",
        "POST",
        "/api/v1/organizers/not-a-uuid/invitations",
        {"email": "x@example.com", "role": "editor"},
        {},
        "organizer_id",
    ),
    # changing a role: the role, nothing else
    ("owner", "PATCH", "{editor_member}", {"role": "admin"}, {}, "role"),
    ("owner", "PATCH", "{editor_member}", {"role": "owner", "is_admin": True}, {}, "is_admin"),
    ("owner", "PATCH", "{editor_member}", {"role": "owner", "organizer_id": "{org}"}, {}, "organizer_id"),
    ("owner", "PATCH", "{editor_member}", {"role": "owner", "account_id": "{owner}"}, {}, "account_id"),
    ("owner", "PATCH", "{editor_member}", {}, {}, "role"),
    ("owner", "PATCH", "{editor_member}", None, {}, None),
    ("owner", "PATCH", "/api/v1/organizers/{org}/members/42", {"role": "owner"}, {}, "account_id"),
    # accepting: no fields at all
    ("eve", "POST", "{accept}", {"role": "owner"}, {}, "role"),
    ("eve", "POST", "{accept}", {"organizer_id": "{org}"}, {}, "organizer_id"),
    ("eve", "POST", "{accept}", {"is_admin": True}, {}, "is_admin"),
    ("eve", "POST", "/api/v1/invitations/short/accept", None, {}, "token"),
    ("eve", "POST", "/api/v1/invitations/{bad_token}/accept", None, {}, "token"),
    # lists: bounded pages, no unknown parameters
    ("owner", "GET", "{members}", None, {"limit": "0"}, "limit"),
    ("owner", "GET", "{members}", None, {"limit": "201"}, "limit"),
    ("owner", "GET", "{members}", None, {"after": "nope"}, "after"),
    ("owner", "GET", "{members}", None, {"role": "owner"}, "role"),
    ("owner", "GET", ORGANIZERS, None, {"limit": "many"}, "limit"),
    ("owner", "GET", "{invitations}", None, {"offset": "10"}, "offset"),
]


def _fill(value: Any, team: Team) -> Any:
    names = {
        "org": str(team.org),
        "editor": str(team.editor.account_id),
        "owner": str(team.owner.account_id),
        "invitations": invitations_path(team.org),
        "members": members_path(team.org),
        "editor_member": members_path(team.org, team.editor.account_id),
        "accept": accept_path(team.token),
        "bad_token": "x" * 40 + "!$",
    }
    if isinstance(value, str):
        return value.format(**names) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, team) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("who", "method", "path", "body", "query", "param"), CASES)
async def test_bad_input_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
    team: Team,
    who: str,
    method: str,
    path: str,
    body: Any,
    query: dict[str, str],
    param: str | None,
) -> None:
    caller = team.owner if who == "owner" else team.eve
    before = (await table_counts(client), await roles_of(client, team.org))
    kwargs: dict[str, Any] = {"params": query, "headers": bearer(caller)}
    if body is not None:
        kwargs["json"] = _fill(body, team)
    response = await client.request(method, _fill(path, team), **kwargs)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    if param is not None:
        assert problem["param"] == param, problem
    assert (await table_counts(client), await roles_of(client, team.org)) == before


async def test_the_refused_invitation_still_works_as_sent(client: httpx.AsyncClient, team: Team) -> None:
    """After a refused attempt to accept with ``role: owner``, the invitation gives what it said."""
    refused = await client.post(accept_path(team.token), json={"role": "owner"}, headers=bearer(team.eve))
    assert refused.status_code == 422
    accepted = await client.post(accept_path(team.token), json={}, headers=bearer(team.eve))
    assert accepted.status_code == 200 and accepted.json()["role"] == "checker"


async def test_a_member_id_of_another_organizer_is_not_found(client: httpx.AsyncClient, team: Team) -> None:
    other_owner = await sign_up(client, "other@example.com")
    await found(client, other_owner, "Other")
    for account_id in (other_owner.account_id, uuid.uuid4()):
        response = await client.patch(members_path(team.org, account_id), json={"role": "editor"},
                                      headers=bearer(team.owner))  # fmt: skip
        assert response.status_code == 404 and response.json()["type"].endswith("/member-not-found")

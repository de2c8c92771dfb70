"""Founding organizers, member lists, role changes, removals and leaving, through the HTTP API."""

from __future__ import annotations

import uuid
from uuid import UUID

import httpx

from tests.accounts.helpers import bearer, make_admin, sign_up
from tests.organizers.helpers import (
    ORGANIZERS,
    found,
    invitations_path,
    join,
    members_path,
    roles_of,
    table_counts,
)


async def test_a_verified_account_founds_an_organizer_and_owns_it(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com", display_name="Olga")
    response = await client.post(ORGANIZERS, json={"name": "  Night Owls  ", "email": "hello@owls.example"},
                                 headers=bearer(owner))  # fmt: skip
    assert response.status_code == 201, response.text
    organizer = response.json()
    assert organizer["name"] == "Night Owls" and organizer["role"] == "owner"
    assert organizer["email"] == "hello@owls.example"

    org = UUID(organizer["id"])
    members = (await client.get(members_path(org), headers=bearer(owner))).json()
    assert members["next_after"] is None
    assert [(m["account_id"], m["email"], m["display_name"], m["role"]) for m in members["items"]] == [
        (str(owner.account_id), "owner@example.com", "Olga", "owner")
    ]
    mine = (await client.get(ORGANIZERS, headers=bearer(owner))).json()
    assert [(o["id"], o["role"]) for o in mine["items"]] == [(str(org), "owner")]
    one = (await client.get(f"{ORGANIZERS}/{org}", headers=bearer(owner))).json()
    assert one["name"] == "Night Owls" and one["role"] == "owner"


async def test_an_unverified_account_founds_nothing(client: httpx.AsyncClient) -> None:
    pending = await sign_up(client, "pending@example.com", verified=False)
    before = await table_counts(client)
    response = await client.post(ORGANIZERS, json={"name": "Night Owls"}, headers=bearer(pending))
    assert response.status_code == 403
    assert response.json()["type"].endswith("/email-not-verified")
    assert await table_counts(client) == before


async def test_an_outsider_gets_the_answer_of_an_organizer_that_does_not_exist(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    outsider = await sign_up(client, "outsider@example.com")
    org = await found(client, owner)
    await found(client, outsider, "Other Team")
    nowhere = uuid.uuid4()
    for path in ("", "/members", "/invitations"):
        theirs = await client.get(f"{ORGANIZERS}/{org}{path}", headers=bearer(outsider))
        missing = await client.get(f"{ORGANIZERS}/{nowhere}{path}", headers=bearer(outsider))
        assert theirs.status_code == missing.status_code == 404
        assert theirs.text.replace(str(org), "X") == missing.text.replace(str(nowhere), "X")
    # Writes too, with a valid body and with a body that would be refused: 404 first, nothing written.
    before = await table_counts(client)
    for body in ({"email": "x@example.com", "role": "editor"}, {"email": "x@example.com", "role": "admin"}):
        response = await client.post(invitations_path(org), json=body, headers=bearer(outsider))
        assert response.status_code == 404
    demote = {"role": "checker"}
    response = await client.patch(members_path(org, owner.account_id), json=demote, headers=bearer(outsider))
    assert response.status_code == 404
    assert await table_counts(client) == before


async def test_an_owner_changes_roles_and_the_change_shows(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    member = await sign_up(client, "member@example.com")
    org = await found(client, owner)
    await join(client, owner, org, member, "checker")
    for role in ("editor", "owner", "checker"):
        response = await client.patch(members_path(org, member.account_id), json={"role": role}, headers=bearer(owner))
        assert response.status_code == 200, response.text
        assert response.json()["role"] == role
        assert (await roles_of(client, org))[member.account_id] == role


async def test_editors_and_checkers_cannot_run_the_team(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    editor = await sign_up(client, "editor@example.com")
    checker = await sign_up(client, "checker@example.com")
    org = await found(client, owner)
    await join(client, owner, org, editor, "editor")
    await join(client, owner, org, checker, "checker")
    before = await table_counts(client)
    for who in (editor, checker):
        promote = await client.patch(members_path(org, who.account_id), json={"role": "owner"}, headers=bearer(who))
        assert promote.status_code == 403 and promote.json()["type"].endswith("/role-too-low")
        remove = await client.delete(members_path(org, owner.account_id), headers=bearer(who))
        assert remove.status_code == 403
        invited = await client.post(invitations_path(org), json={"email": "x@example.com", "role": "checker"},
                                    headers=bearer(who))  # fmt: skip
        assert invited.status_code == 403
        # Reading the team is every member's right.
        assert (await client.get(members_path(org), headers=bearer(who))).status_code == 200
    assert await table_counts(client) == before
    assert await roles_of(client, org) == {owner.account_id: "owner", editor.account_id: "editor",
                                          checker.account_id: "checker"}  # fmt: skip


async def test_members_leave_and_owners_remove(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    editor = await sign_up(client, "editor@example.com")
    checker = await sign_up(client, "checker@example.com")
    org = await found(client, owner)
    await join(client, owner, org, editor, "editor")
    await join(client, owner, org, checker, "checker")

    assert (await client.delete(members_path(org, checker.account_id), headers=bearer(checker))).status_code == 204
    # Gone means out of scope: the same 404 as for any outsider.
    assert (await client.get(members_path(org), headers=bearer(checker))).status_code == 404
    assert (await client.delete(members_path(org, editor.account_id), headers=bearer(owner))).status_code == 204
    assert await roles_of(client, org) == {owner.account_id: "owner"}
    missing = await client.delete(members_path(org, editor.account_id), headers=bearer(owner))
    assert missing.status_code == 404 and missing.json()["type"].endswith("/member-not-found")


async def test_members_are_listed_in_pages(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    org = await found(client, owner)
    people = [await sign_up(client, f"m{i}@example.com") for i in range(4)]
    for person in people:
        await join(client, owner, org, person, "checker")
    seen: list[str] = []
    after: str | None = None
    while True:
        params = {"limit": "2", **({"after": after} if after else {})}
        page = (await client.get(members_path(org), params=params, headers=bearer(owner))).json()
        assert len(page["items"]) <= 2
        seen += [m["account_id"] for m in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    expected = sorted(str(p.account_id) for p in [owner, *people])
    assert seen == expected


async def test_an_admin_acts_on_any_organizer_without_joining_it(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    editor = await sign_up(client, "editor@example.com")
    admin = await sign_up(client, "admin@example.com")
    await make_admin(client, admin)
    org = await found(client, owner)
    await join(client, owner, org, editor, "editor")

    listed = await client.get(members_path(org), headers=bearer(admin))
    assert listed.status_code == 200
    assert str(admin.account_id) not in {m["account_id"] for m in listed.json()["items"]}
    one = (await client.get(f"{ORGANIZERS}/{org}", headers=bearer(admin))).json()
    assert one["role"] is None
    changed = await client.patch(members_path(org, editor.account_id), json={"role": "owner"}, headers=bearer(admin))
    assert changed.status_code == 200
    assert (await client.delete(members_path(org, owner.account_id), headers=bearer(admin))).status_code == 204
    # The admin counts as no owner: the remaining owner is the last one, for admins too.
    last = await client.delete(members_path(org, editor.account_id), headers=bearer(admin))
    assert last.status_code == 409 and last.json()["type"].endswith("/last-owner")
    assert (await client.get(ORGANIZERS, headers=bearer(admin))).json()["items"] == []


async def test_an_account_owns_a_bounded_number_of_organizers(client: httpx.AsyncClient) -> None:
    from tests.accounts.helpers import app_of

    app_of(client).state.organizers.settings = app_of(client).state.organizers.settings.model_copy(
        update={"max_owned_organizers": 2}
    )
    owner = await sign_up(client, "owner@example.com")
    await found(client, owner, "One")
    await found(client, owner, "Two")
    third = await client.post(ORGANIZERS, json={"name": "Three"}, headers=bearer(owner))
    assert third.status_code == 409 and third.json()["type"].endswith("/limit-reached")

"""GET /api/v1/me/export: everything held about the person, and no secret of any kind."""

from __future__ import annotations

import base64

import httpx
from fastapi import FastAPI

from tests.accounts.helpers import EPOCH, bearer
from tests.privacy.people import person_with_everything

EXPORT = "/api/v1/me/export"


async def test_export_holds_every_section_of_the_person(client: httpx.AsyncClient, app: FastAPI) -> None:
    zoe = await person_with_everything(client, app, "zoe@example.org", "Zoe Quokka")
    bob = await person_with_everything(client, app, "bob@example.net", "Bob Builder")
    response = await client.get(EXPORT, headers=bearer(zoe.access_tokens[-1]))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"] == 'attachment; filename="happenings-export.json"'
    export = response.json()

    registry = app.state.personal_data
    assert set(export) == {"format", "exported_at"} | {holder.section for holder in registry.holders}
    assert export["format"] == "happenings-export/1"
    assert export["exported_at"] == EPOCH.isoformat()

    account = export["account"]
    assert account["email"] == "zoe@example.org" and account["display_name"] == "Zoe Quokka"
    assert account["id"] == str(zoe.account_id) and account["has_password"] is True

    profile = export["profile"]
    assert profile["locale"] == "de-CH" and profile["time_zone"] == "Europe/Zurich"
    assert profile["interests"] == ["music", "outdoors"]
    assert profile["home"]["precision"] == "exact" and profile["home"]["radius_m"] == 8000
    served = await client.get(zoe.avatar_url)
    assert base64.b64decode(profile["avatar"]["base64"]) == served.content

    assert [item["title"] for item in export["saved_events"]] == ["Open air cinema"]
    assert [item["name"] for item in export["following"]] == ["Cinéma en plein air"]
    assert len(export["sessions"]) == 2  # signed up (then refreshed), signed in again
    assert len(export["refresh_tokens"]) == 3
    assert {token["purpose"] for token in export["one_time_tokens"]} == {"verify", "reset"}
    kinds = sorted(mail["kind"] for mail in export["mail"])
    assert kinds == ["invitation", "password-reset", "verify-email"]  # the one sent before the account too
    assert export["abuse_counters"]["login-acct"] >= 2

    # No secret, and nobody else.
    text = response.text
    for secret in [*zoe.access_tokens, *zoe.refresh_tokens, "$argon2", "password_hash", "token_hash", "csrf_hash"]:
        assert secret not in text
    for other in (bob.email, "Bob Builder", str(bob.account_id)):
        assert other not in text


async def test_export_needs_a_signed_in_person(client: httpx.AsyncClient) -> None:
    assert (await client.get(EXPORT)).status_code == 401

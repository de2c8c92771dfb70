"""A person with something in every place that can hold personal data, made through the real API."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import httpx
import jwt
from fastapi import FastAPI

from app.accounts.tokens import digest
from app.kit.ratelimit import email_subject
from tests.accounts.helpers import STRONG_PASSWORD, SignedIn, bearer, log_in, sign_up, token_from_mail
from tests.profiles.images import photo_with_exif
from tests.profiles.world import event, organizer


@dataclass
class Person:
    """A signed-in person and every identifier of theirs the service may have stored somewhere."""

    signed_in: SignedIn
    display_name: str
    avatar_url: str
    media_token: str
    access_tokens: list[str] = field(default_factory=list)
    refresh_tokens: list[str] = field(default_factory=list)
    mailed_tokens: list[str] = field(default_factory=list)

    @property
    def account_id(self) -> UUID:
        return self.signed_in.account_id

    @property
    def email(self) -> str:
        return self.signed_in.email

    def identifiers(self) -> dict[str, str]:
        """Every string that would point at this person if found after an erase, by what it is."""
        found = {
            "email": self.email,
            "display name": self.display_name,
            "account id": str(self.account_id),
            "account id (hex)": self.account_id.hex,
            "hashed email (rate-limit keys)": email_subject(self.email),
            "media folder": self.media_token,
            "avatar url": self.avatar_url,
        }
        for n, token in enumerate(self.access_tokens):
            found[f"access token {n}"] = token
            found[f"session id {n}"] = jwt.decode(token, options={"verify_signature": False})["sid"]
        for n, token in enumerate(self.refresh_tokens):
            found[f"refresh token {n}"] = token
            found[f"refresh token hash {n}"] = digest(token).hex()
        for n, token in enumerate(self.mailed_tokens):
            found[f"mailed token {n}"] = token
            found[f"mailed token hash {n}"] = digest(token).hex()
        return found


async def person_with_everything(client: httpx.AsyncClient, app: FastAPI, email: str, display_name: str) -> Person:
    """Signed up twice over (two sessions, a refreshed token), with a profile, a home, interests, an avatar,
    a saved event, a followed organizer, a pending password reset, a mail sent to the address before the
    account existed, and abuse counters in Redis."""
    async with app.state.pool.connection() as conn:  # a mail that reached the address before the account did
        await conn.execute(
            "INSERT INTO mail_outbox (kind, to_address, subject, body, created_at, next_attempt_at) "
            "VALUES ('invitation', %s, 'You are invited', %s, now(), now())",
            (email, f"Hello {email}, join us"),
        )
    first = await sign_up(client, email, display_name=display_name)
    verify_token = await token_from_mail(client, email, "verify-email")
    refreshed = (await client.post("/api/v1/auth/refresh", json={"refresh_token": first.refresh_token})).json()
    second = await log_in(client, email)
    await client.post("/api/v1/auth/login", json={"email": email, "password": "wrong " + STRONG_PASSWORD})
    await client.post("/api/v1/auth/password-reset", json={"email": email})
    reset_token = await token_from_mail(client, email, "password-reset")

    who = bearer(second)
    patch = {
        "locale": "de-CH",
        "time_zone": "Europe/Zurich",
        "interests": ["music", "outdoors"],
        "home": {"consent": True, "lat": 47.3769, "lon": 8.5417, "radius_m": 8000, "precision": "exact"},
    }
    assert (await client.patch("/api/v1/me", json=patch, headers=who)).status_code == 200
    uploaded = await client.put(
        "/api/v1/me/avatar", content=photo_with_exif(), headers={**who, "Content-Type": "image/jpeg"}
    )
    assert uploaded.status_code == 200, uploaded.text
    avatar_url = uploaded.json()["avatar_url"]
    org = await organizer(app, "Cinéma en plein air")
    saved = await event(app, org, title="Open air cinema")
    assert (await client.put(f"/api/v1/me/saved-events/{saved['id']}", headers=who)).status_code == 204
    assert (await client.put(f"/api/v1/me/following/{org}", headers=who)).status_code == 204
    return Person(
        signed_in=second,
        display_name=display_name,
        avatar_url=avatar_url,
        media_token=avatar_url.split("/")[3],
        access_tokens=[first.access_token, refreshed["access_token"], second.access_token],
        refresh_tokens=[first.refresh_token, refreshed["refresh_token"], second.refresh_token],
        mailed_tokens=[verify_token, reset_token],
    )

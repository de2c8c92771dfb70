"""Request and response bodies of the accounts API. Inputs refuse unknown fields (``role``, ``is_admin``...)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from app.kit.passwords import MAX_PASSWORD_LENGTH

Password = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH, description="Plain text, sent over TLS only")
OpaqueToken = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class RegisterIn(Input):
    email: EmailStr = Field(max_length=254)
    password: str = Password
    display_name: str | None = Field(None, min_length=1, max_length=100)


class LoginIn(Input):
    email: str = Field(min_length=3, max_length=254)
    password: str = Password
    # Web front end: the refresh token goes into an HttpOnly cookie (with a CSRF token) instead of the body.
    session_cookie: bool = False


class RefreshIn(Input):
    # Absent: the refresh cookie is used, and the CSRF header is required.
    refresh_token: str | None = OpaqueToken


class LogoutIn(Input):
    refresh_token: str | None = OpaqueToken


class VerifyIn(Input):
    token: str = OpaqueToken


class ResetRequestIn(Input):
    email: str = Field(min_length=3, max_length=254)


class ResetConfirmIn(Input):
    token: str = OpaqueToken
    password: str = Password


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds the access token is valid for")
    # Null for a web session: the refresh token is in the HttpOnly cookie.
    refresh_token: str | None
    # Web sessions only: send it back as X-CSRF-Token with cookie-authenticated requests (also in the hp_csrf cookie).
    csrf_token: str | None = None


class AcceptedOut(BaseModel):
    detail: str


class OutboxMessage(BaseModel):
    id: int
    kind: str
    to: str
    subject: str
    body: str
    created_at: str
    sent_at: str | None


class OutboxOut(BaseModel):
    items: list[OutboxMessage]

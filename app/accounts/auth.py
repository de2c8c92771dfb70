"""The authenticator: who is calling, as a ``Subject``, for every domain's permission dependencies.

Contract (other domains build on these names):

- ``Subject(account_id, role, email_verified, session_id)``: a frozen dataclass; ``role`` is
  ``"user"`` or ``"admin"``; ``email_verified`` and ``role`` are as they are now, not as when the
  token was issued.
- ``OptionalSubjectDep``: ``Subject | None``; None when the request carries no ``Authorization``.
- ``SubjectDep``: a ``Subject``, or 401 problem+json with ``WWW-Authenticate: Bearer``.
- ``VerifiedSubjectDep``: a ``Subject`` whose email is verified, or 403 ``email-not-verified``
  (publishing and buying need it).
- ``AdminSubjectDep``: a ``Subject`` with role ``admin``, or 403.

Credentials are ``Authorization: Bearer <access token>`` from the mobile apps and the web front
end alike (the web keeps its access token in memory; its refresh token is a cookie that only
``/api/v1/auth`` sees). A header that is present but wrong is a 401 even where a subject is
optional: the client should refresh or sign in, not be served as someone anonymous.

A token is valid while its signature, audience, issuer and times hold *and* its session is live:
logout, logout-all, a reused refresh token, a new password and an erased account end sessions at
once (``app.accounts.sessions`` says how that stays cheap). To sign someone in from another domain
(OpenID Connect), call ``app.accounts.service.start_session``; to end every session of an account
(erase), ``app.accounts.service.end_all_sessions`` and publish on the unit of work as it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, cast
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from app.accounts import service
from app.accounts.context import get_accounts
from app.accounts.errors import EmailNotVerified, Forbidden, Unauthorized

Role = Literal["user", "admin"]


@dataclass(frozen=True, slots=True)
class Subject:
    account_id: UUID
    role: Role
    email_verified: bool
    session_id: UUID


class BearerAuthenticator(HTTPBearer):
    """The ``Authorization: Bearer`` reader: a security scheme (so OpenAPI shows it) that answers with
    the ``Subject`` itself, one dependency rather than a scheme and a reader (each costs a resolution)."""

    async def __call__(self, request: Request) -> Subject | None:  # type: ignore[override]
        header = request.headers.get("authorization")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header must be: Bearer <access token>", invalid_token=True)
        state = await service.session_of_token(get_accounts(request), token.strip())
        return Subject(state.account_id, cast(Role, state.role), state.email_verified, state.session_id)


optional_subject = BearerAuthenticator(
    auto_error=False, scheme_name="bearer", description="An access token from POST /api/v1/auth/login"
)


async def subject(found: Annotated[Subject | None, Depends(optional_subject)]) -> Subject:
    if found is None:
        raise Unauthorized()
    return found


async def verified_subject(found: Annotated[Subject, Depends(subject)]) -> Subject:
    if not found.email_verified:
        raise EmailNotVerified()
    return found


async def admin_subject(found: Annotated[Subject, Depends(subject)]) -> Subject:
    if found.role != "admin":
        raise Forbidden("this needs an administrator")
    return found


OptionalSubjectDep = Annotated[Subject | None, Depends(optional_subject)]
SubjectDep = Annotated[Subject, Depends(subject)]
VerifiedSubjectDep = Annotated[Subject, Depends(verified_subject)]
AdminSubjectDep = Annotated[Subject, Depends(admin_subject)]

"""Recent authentication: erasing an account needs more than a valid access token.

A token lives for minutes and may have been lifted from a device; erasing cannot be undone. So
``DELETE /api/v1/me`` asks the person to prove who they are *now*:

- an account with a password sends it in the body (``{"password": "..."}``); it is checked like a
  sign-in, under the same per-account and per-address limits (a wrong one is a 403, and counts);
- an account without a password (social sign-in only) must be in a session that began at most
  ``privacy.erase_fresh_sign_in_s`` ago (sign in with the provider again, then erase).

The check runs before the request's transaction is opened: no pooled connection waits on a hash.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from app.accounts import service as accounts_service
from app.accounts.auth import Subject, SubjectDep
from app.accounts.context import AccountsDep
from app.accounts.errors import WrongCredentials
from app.errors import ProblemError
from app.kit.ratelimit import ip_subject
from app.privacy import repository
from app.privacy.registry import Person

MAX_PASSWORD_LENGTH = 256


class EraseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(
        None, min_length=1, max_length=MAX_PASSWORD_LENGTH, description="Required when the account has a password"
    )


class ReauthenticationRequired(ProblemError):
    status, slug, title = 403, "reauthentication-required", "Reauthentication required"


async def recently_authenticated(
    request: Request,
    subject: SubjectDep,
    accounts: AccountsDep,
    body: Annotated[EraseRequest | None, Body()] = None,
) -> Person:
    """The person behind ``subject``, once they proved it again (see the module's docstring)."""
    password = None if body is None else body.password
    async with accounts.pool.connection() as conn, conn.transaction():
        row = await repository.sign_in_facts(conn, subject.account_id, subject.session_id)
    if row is None:
        raise ReauthenticationRequired("sign in again, then erase the account")
    person = Person(subject.account_id, row["email"])
    if row["has_password"]:
        await _check_password(request, accounts, subject, person, password)
    else:
        _check_fresh_sign_in(request, accounts, row["signed_in_at"].timestamp())
    return person


async def _check_password(
    request: Request, accounts: AccountsDep, subject: Subject, person: Person, password: str | None
) -> None:
    if password is None:
        raise ReauthenticationRequired("send the account's password to erase it", param="password")
    client_ip = ip_subject(request.client.host if request.client else None)
    try:
        proof = await accounts_service.check_password(accounts, person.email, password, client_ip)
    except WrongCredentials as exc:
        raise ReauthenticationRequired("the password is wrong", param="password") from exc
    if proof.account_id != subject.account_id:  # the email changed hands in between: refuse
        raise ReauthenticationRequired("sign in again, then erase the account")


def _check_fresh_sign_in(request: Request, accounts: AccountsDep, signed_in_at: float) -> None:
    window = request.app.state.settings.privacy.erase_fresh_sign_in_s
    if accounts.clock().timestamp() - signed_in_at > window:
        raise ReauthenticationRequired(
            f"sign in again (less than {window // 60} minutes ago), then erase the account"
        )


RecentlyAuthenticatedDep = Annotated[Person, Depends(recently_authenticated)]

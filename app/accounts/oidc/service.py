"""Which account a provider's identity signs in to: the linking rule.

1. The identity (provider, subject) is linked already: that account.
2. Otherwise its email address decides. No account has the address: a new account is made with it
   (no password; the address counts as verified when the provider says ``email_verified``,
   otherwise our own verification mail goes to it, as for a password sign-up), and the identity is
   linked to it.
3. An account has the address: the identity is linked to it only when BOTH the provider has
   verified the address AND the account's own address is verified. Otherwise 409, and nothing is
   written:
   - the provider has not verified the address: anyone can type any address into a provider that
     does not check it, so the claim proves nothing about who owns the account;
   - the account's address is not verified: whoever registered it never proved the mailbox, and may
     not be its owner (pre-hijacking: an attacker registers the victim's address with a password and
     waits; linking the victim's provider identity to it would hand the victim's later activity to the
     attacker's password). The owner proves the mailbox first (the verification mail, or a password
     reset, which also ends every session the registrant had), then signs in with the provider again.
4. A link made on an address the provider had NOT verified (which only ever happens with a new,
   passwordless account, by rule 3) stops holding once the account has a password: a password can
   only come from a reset, i.e. from whoever reads the mailbox taking the address back, and the
   link's holder may not be that person. Rules 2 and 3 then apply afresh.

Provider calls happen before this (no pooled connection waits on a provider); this runs inside the
callback's unit of work and never commits.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from app.accounts import repository as accounts
from app.accounts import service as accounts_service
from app.accounts.context import AccountsContext
from app.accounts.oidc import repository
from app.accounts.oidc.errors import LinkRefused, NoEmail
from app.accounts.oidc.providers import Identity
from app.db import UnitOfWork

UNVERIFIED_AT_PROVIDER = (
    "an account already uses this email address, and the provider does not say the address is yours: "
    "sign in with your password"
)
UNVERIFIED_HERE = (
    "an account already uses this email address but has not confirmed it: confirm it with the link we "
    "mailed (or reset the password, which proves the mailbox too), then sign in with the provider again"
)


async def account_for(work: UnitOfWork, ctx: AccountsContext, identity: Identity) -> UUID:
    """The account ``identity`` signs in to, linked or made by the rules above (or ``LinkRefused``)."""
    now = ctx.clock()
    link = await repository.find_identity(work.conn, identity.provider, identity.subject)
    if link is not None and _holds(link):
        await repository.touch_identity(work.conn, identity.provider, identity.subject, now)
        return UUID(str(link["account_id"]))
    if identity.email is None:
        raise NoEmail()
    account = await accounts.find_account_by_email(work.conn, identity.email)
    if account is None:
        account = await _new_account(work, ctx, identity)
    elif not identity.email_verified:
        raise LinkRefused(UNVERIFIED_AT_PROVIDER)
    elif account["email_verified_at"] is None:
        raise LinkRefused(UNVERIFIED_HERE)
    await repository.link_identity(
        work.conn, identity.provider, identity.subject, account["id"], email_verified=identity.email_verified, now=now
    )
    return UUID(str(account["id"]))


def _holds(link: dict[str, Any]) -> bool:
    return bool(link["email_verified"] or not link["has_password"])


async def _new_account(work: UnitOfWork, ctx: AccountsContext, identity: Identity) -> dict[str, Any]:
    assert identity.email is not None
    account = await accounts.create_account(
        work.conn,
        identity.email,
        password_hash=None,
        now=ctx.clock(),
        verified=identity.email_verified,
        display_name=identity.name,
    )
    if account is None:  # registered by a concurrent request since we looked
        raise LinkRefused("an account with this email address was just created; sign in again")
    if not identity.email_verified:
        await accounts_service.send_verification(work, ctx, account)
    return account

"""The rules of signing up, signing in and out, refreshing, verifying and resetting.

Services take the request's connection (inside its transaction) and never commit; what must
happen after the commit (mail delivery, dropping cached sessions everywhere) is published on the
unit of work. Answers never tell whether an email address is registered: registering a taken
address answers as for a new one and mails the owner; a sign-in with an unknown address spends a
hash like a real one; a reset request answers the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from app.accounts import messages, repository
from app.accounts.context import AccountsContext
from app.accounts.errors import InvalidOneTimeToken, Unauthorized, WeakPassword, WrongCredentials
from app.accounts.sessions import SessionsChanged, SessionState
from app.accounts.tokens import InvalidToken, digest, new_secret
from app.db import Conn, UnitOfWork
from app.kit.mail import enqueue
from app.kit.ratelimit import email_subject

EndReason = Literal["logout-all", "password", "erase"]


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What a sign-in hands the client. ``csrf_token`` only for web (cookie) sessions."""

    access_token: str
    expires_in: int
    refresh_token: str
    session_id: UUID
    account_id: UUID
    refresh_expires_in: int
    csrf_token: str | None = None


@dataclass(frozen=True, slots=True)
class RefreshReused:
    """A rotated (or revoked) refresh token came back: its whole session was revoked."""

    account_id: UUID
    session_id: UUID


# ------------------------------------------------------------------------------------------------ sign-up
#
# The flows that hash a password run in two steps: the slow part (limits, strength, hash) holds no
# pooled connection; the endpoint then opens the unit of work for the quick write.


@dataclass(frozen=True, slots=True)
class NewAccount:
    email: str
    password_hash: str
    display_name: str | None


async def prepare_registration(
    ctx: AccountsContext, email: str, password: str, display_name: str | None, client_ip: str
) -> NewAccount:
    """Limits, the strength rule and the hash (the same work whether or not the address is taken)."""
    await ctx.limiter.hit((ctx.limits.register_ip, client_ip), (ctx.limits.register_account, email_subject(email)))
    await _check_strength(ctx, password, _personal_words(email, display_name))
    return NewAccount(email, await ctx.passwords.hash(password), display_name)


async def register(work: UnitOfWork, ctx: AccountsContext, new: NewAccount) -> None:
    """Create an unverified account and mail a verification link; for a taken address, mail its owner."""
    now = ctx.clock()
    account = await repository.create_account(
        work.conn, new.email, password_hash=new.password_hash, now=now, display_name=new.display_name
    )
    if account is None:
        existing = await repository.find_account_by_email(work.conn, new.email)
        if existing is None:  # erased between the conflict and this read: nobody to tell
            return
        mail = messages.already_registered(existing["email"], existing["id"], ctx.mail_settings.public_url)
        work.publish(await enqueue(work.conn, mail, ctx.clock))
        return
    await send_verification(work, ctx, account)


async def send_verification(work: UnitOfWork, ctx: AccountsContext, account: dict[str, Any]) -> None:
    """Mail a fresh verification link (earlier unused ones stop working)."""
    now = ctx.clock()
    token = new_secret()
    ttl = ctx.settings.verify_token_ttl_s
    await repository.void_one_time_tokens(work.conn, account["id"], "verify", now)
    await repository.add_one_time_token(
        work.conn, digest(token), account["id"], "verify", now, now + timedelta(seconds=ttl)
    )
    mail = messages.verify_email(account["email"], account["id"], token, ctx.mail_settings.public_url, ttl // 3600)
    work.publish(await enqueue(work.conn, mail, ctx.clock))


async def resend_verification(work: UnitOfWork, ctx: AccountsContext, account_id: UUID, client_ip: str) -> None:
    """Mail a new verification link to a signed-in account whose address is not verified yet."""
    account = await repository.get_account(work.conn, account_id)
    if account is None or account["email_verified_at"] is not None:
        return
    per_account = (ctx.limits.register_account, email_subject(account["email"]))
    await ctx.limiter.hit((ctx.limits.token_ip, client_ip), per_account)
    await send_verification(work, ctx, account)


async def verify_email(work: UnitOfWork, ctx: AccountsContext, token: str, client_ip: str) -> None:
    await ctx.limiter.hit((ctx.limits.token_ip, client_ip))
    now = ctx.clock()
    account_id = await repository.use_one_time_token(work.conn, digest(token), "verify", now)
    if account_id is None:
        raise InvalidOneTimeToken()
    if await repository.mark_email_verified(work.conn, account_id, now):
        work.publish(SessionsChanged(account_id))  # sessions now carry email_verified


# ------------------------------------------------------------------------------------------------ sessions


@dataclass(frozen=True, slots=True)
class PasswordProof:
    """A password checked against an account; ``new_hash`` when it was hashed at older parameters."""

    account_id: UUID
    new_hash: str | None = None


async def check_password(ctx: AccountsContext, email: str, password: str, client_ip: str) -> PasswordProof:
    """Limits, then the password against the account's hash (an unknown address spends a hash too)."""
    await ctx.limiter.hit((ctx.limits.login_ip, client_ip), (ctx.limits.login_account, email_subject(email)))
    async with ctx.pool.connection() as conn, conn.transaction():
        account = await repository.find_account_by_email(conn, email)
    stored = None if account is None else account["password_hash"]
    verdict = await ctx.passwords.verify(stored, password)
    if account is None or not verdict.ok:
        raise WrongCredentials()
    new_hash = await ctx.passwords.hash(password) if verdict.needs_rehash else None
    return PasswordProof(account["id"], new_hash)


async def sign_in(conn: Conn, ctx: AccountsContext, proof: PasswordProof, *, web: bool = False) -> TokenPair:
    """Start a session for a checked password, storing its rehash if there is one."""
    if proof.new_hash is not None:
        await repository.set_password_hash(conn, proof.account_id, proof.new_hash, ctx.clock(), changed=False)
    return await start_session(conn, ctx, proof.account_id, web=web)


async def start_session(conn: Conn, ctx: AccountsContext, account_id: UUID, *, web: bool = False) -> TokenPair:
    """Sign ``account_id`` in: a new session with its first refresh token and an access token.

    For any way of proving who someone is (password here, OpenID Connect elsewhere). ``web``: the
    session is for the browser front end and gets a CSRF token for its cookie-authenticated calls.
    """
    now = ctx.clock()
    csrf = new_secret() if web else None
    expires_at = now + timedelta(seconds=ctx.settings.session_max_s)
    session_id = await repository.create_session(
        conn, account_id, csrf_hash=None if csrf is None else digest(csrf), now=now, expires_at=expires_at
    )
    return await _issue(conn, ctx, account_id, session_id, now, expires_at, csrf)


async def refresh(
    conn: Conn, ctx: AccountsContext, refresh_token: str, *, csrf_token: str | None = None
) -> TokenPair | RefreshReused:
    """Rotate a refresh token. A rotated one presented again revokes its session (the caller must commit).

    ``csrf_token``: given when the refresh token came from the cookie; it must be the session's.
    """
    now = ctx.clock()
    found = await repository.lock_refresh_token(conn, digest(refresh_token))
    if found is None:
        raise Unauthorized("the refresh token is not valid", invalid_token=True)
    if csrf_token is not None and (found["csrf_hash"] is None or bytes(found["csrf_hash"]) != digest(csrf_token)):
        raise Unauthorized("the CSRF token does not belong to this session", invalid_token=True)
    if found["rotated_at"] is not None or found["revoked_at"] is not None:
        if found["session_revoked_at"] is None:
            await repository.revoke_session(conn, found["session_id"], "reuse", now)
        return RefreshReused(found["account_id"], found["session_id"])
    if found["session_revoked_at"] is not None or now >= found["expires_at"] or now >= found["session_expires_at"]:
        raise Unauthorized("the session has ended; sign in again", invalid_token=True)
    await repository.mark_rotated(conn, digest(refresh_token), found["session_id"], now)
    csrf = csrf_token if found["csrf_hash"] is not None else None
    return await _issue(conn, ctx, found["account_id"], found["session_id"], now, found["session_expires_at"], csrf)


async def logout(work: UnitOfWork, ctx: AccountsContext, session_id: UUID) -> None:
    account_id = await repository.revoke_session(work.conn, session_id, "logout", ctx.clock())
    if account_id is not None:
        work.publish(SessionsChanged(account_id, session_id))


async def logout_with_refresh_token(
    work: UnitOfWork, ctx: AccountsContext, refresh_token: str, *, csrf_token: str | None = None
) -> None:
    """End the session of a refresh token (any of its generations); unknown tokens change nothing."""
    found = await repository.lock_refresh_token(work.conn, digest(refresh_token))
    if found is None:
        return
    if csrf_token is not None and (found["csrf_hash"] is None or bytes(found["csrf_hash"]) != digest(csrf_token)):
        raise Unauthorized("the CSRF token does not belong to this session", invalid_token=True)
    await logout(work, ctx, found["session_id"])


async def end_all_sessions(
    work: UnitOfWork, ctx: AccountsContext, account_id: UUID, reason: EndReason = "logout-all"
) -> int:
    """Revoke every session of the account at once (access tokens stop working after the commit)."""
    count = await repository.revoke_sessions_of(work.conn, account_id, reason, ctx.clock())
    work.publish(SessionsChanged(account_id))
    return count


async def _issue(
    conn: Conn,
    ctx: AccountsContext,
    account_id: UUID,
    session_id: UUID,
    now: datetime,
    session_expires_at: datetime,
    csrf: str | None,
) -> TokenPair:
    refresh_token = new_secret()
    refresh_expires = min(now + timedelta(seconds=ctx.settings.refresh_ttl_s), session_expires_at)
    await repository.add_refresh_token(conn, digest(refresh_token), session_id, account_id, now, refresh_expires)
    return TokenPair(
        access_token=ctx.access.issue(account_id, session_id, now),
        expires_in=ctx.access.ttl_s,
        refresh_token=refresh_token,
        session_id=session_id,
        account_id=account_id,
        refresh_expires_in=int((refresh_expires - now).total_seconds()),
        csrf_token=csrf,
    )


# ------------------------------------------------------------------------------------------------ password reset


async def request_password_reset(work: UnitOfWork, ctx: AccountsContext, email: str, client_ip: str) -> None:
    """Mail a reset link if the address has an account; the same answer (and no error) either way."""
    await ctx.limiter.hit((ctx.limits.reset_ip, client_ip), (ctx.limits.reset_account, email_subject(email)))
    account = await repository.find_account_by_email(work.conn, email)
    if account is None:
        return
    now = ctx.clock()
    token = new_secret()
    ttl = ctx.settings.reset_token_ttl_s
    await repository.void_one_time_tokens(work.conn, account["id"], "reset", now)
    expires_at = now + timedelta(seconds=ttl)
    await repository.add_one_time_token(work.conn, digest(token), account["id"], "reset", now, expires_at)
    mail = messages.password_reset(account["email"], account["id"], token, ctx.mail_settings.public_url, ttl // 60)
    work.publish(await enqueue(work.conn, mail, ctx.clock))


@dataclass(frozen=True, slots=True)
class NewPassword:
    token: str
    account_id: UUID
    password_hash: str


async def prepare_password_reset(ctx: AccountsContext, token: str, password: str, client_ip: str) -> NewPassword:
    """Limits, the token (looked at, not spent), the strength rule and the hash."""
    await ctx.limiter.hit((ctx.limits.token_ip, client_ip))
    async with ctx.pool.connection() as conn, conn.transaction():
        account = await repository.account_of_one_time_token(conn, digest(token), "reset", ctx.clock())
    if account is None:
        raise InvalidOneTimeToken()
    await _check_strength(ctx, password, _personal_words(account["email"], account["display_name"]))
    return NewPassword(token, account["id"], await ctx.passwords.hash(password))


async def confirm_password_reset(work: UnitOfWork, ctx: AccountsContext, new: NewPassword) -> None:
    """Spend the token, set the password, end every session, count the mailbox as verified (the link proved it)."""
    now = ctx.clock()
    account_id = await repository.use_one_time_token(work.conn, digest(new.token), "reset", now)
    if account_id is None or account_id != new.account_id:
        raise InvalidOneTimeToken()  # spent by a concurrent request meanwhile
    account = await repository.get_account(work.conn, account_id)
    assert account is not None  # tokens go with their account
    await repository.set_password_hash(work.conn, account_id, new.password_hash, now, changed=True)
    await repository.void_one_time_tokens(work.conn, account_id, "reset", now)
    await repository.mark_email_verified(work.conn, account_id, now)
    await end_all_sessions(work, ctx, account_id, "password")
    mail = messages.password_changed(account["email"], account_id, ctx.mail_settings.public_url)
    work.publish(await enqueue(work.conn, mail, ctx.clock))


def _personal_words(email: str, display_name: str | None) -> list[str]:
    """What a password must not be built from: the address, its parts, the name."""
    local, _, domain = email.partition("@")
    return [email, local, domain.split(".")[0], *(display_name or "").split()]


async def _check_strength(ctx: AccountsContext, password: str, context: list[str]) -> None:
    reason = await ctx.passwords.weakness(
        password,
        min_length=ctx.settings.min_password_length,
        min_score=ctx.settings.min_password_score,
        context=[word for word in context if word],
    )
    if reason is not None:
        raise WeakPassword(reason)


# ------------------------------------------------------------------------------------------------ authentication


async def session_of_token(ctx: AccountsContext, token: str) -> SessionState:
    """The live session an access token belongs to, or ``Unauthorized``. Memory first, then PostgreSQL."""
    now = ctx.clock()
    try:
        claims = ctx.access.check(token, now.timestamp())
    except InvalidToken as exc:
        raise Unauthorized("the access token is not valid", invalid_token=True) from exc
    state = ctx.sessions.get(claims.session_id)
    if state is None:
        version = ctx.sessions.version
        async with ctx.pool.connection() as conn, conn.transaction():
            row = await repository.session_state(conn, claims.session_id)
        if row is None:
            raise Unauthorized("the session has ended; sign in again", invalid_token=True)
        state = SessionState(
            claims.session_id, row["account_id"], row["role"], row["email_verified"], row["expires_at"].timestamp()
        )
        ctx.sessions.put(state, version)
    if state.account_id != claims.account_id or now.timestamp() >= state.expires_at:
        raise Unauthorized("the session has ended; sign in again", invalid_token=True)
    return state

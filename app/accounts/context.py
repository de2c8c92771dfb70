"""What the accounts services need besides the connection, made once per application in its lifespan.

``app.state.accounts`` holds it; endpoints reach it through ``AccountsDep``. Tests change ``clock``
(time is never read any other way in this domain) and build variant settings.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from app.accounts import repository
from app.accounts.sessions import SessionCache, SessionInvalidations, SessionsChanged
from app.accounts.tokens import AccessTokens
from app.db import Conn
from app.kit.after_commit import AfterCommit
from app.kit.clock import Clock, utc_now
from app.kit.mail import MailQueued, MailSender, SmtpTransport
from app.kit.passwords import Passwords
from app.kit.ratelimit import Limit, RateLimiter
from config.settings import AuthSettings, MailSettings, Settings
from tiles.nearcache import Subscription

log = logging.getLogger("happenings.accounts")

# Ended sessions and spent tokens are deleted this long after they ended, checked this often.
PURGE_AFTER = timedelta(days=1)
PURGE_EVERY_S = 3600.0


@dataclass(frozen=True, slots=True)
class Limits:
    login_ip: Limit
    login_account: Limit
    register_ip: Limit
    register_account: Limit
    reset_ip: Limit
    reset_account: Limit
    token_ip: Limit

    @classmethod
    def from_settings(cls, auth: AuthSettings) -> Limits:
        return cls(
            Limit.parse("login-ip", auth.login_ip_limit),
            Limit.parse("login-acct", auth.login_account_limit),
            Limit.parse("register-ip", auth.register_ip_limit),
            Limit.parse("register-acct", auth.register_account_limit),
            Limit.parse("reset-ip", auth.reset_ip_limit),
            Limit.parse("reset-acct", auth.reset_account_limit),
            Limit.parse("token-ip", auth.token_ip_limit),
        )


@dataclass
class AccountsContext:
    settings: AuthSettings
    mail_settings: MailSettings
    # Origins besides the service's own whose pages may use the web session cookie (the CORS origins).
    web_origins: tuple[str, ...]
    pool: AsyncConnectionPool[Conn]
    passwords: Passwords
    access: AccessTokens
    limiter: RateLimiter
    limits: Limits
    sessions: SessionCache
    invalidations: SessionInvalidations
    mail: MailSender
    clock: Clock = field(default=utc_now)
    _subscription: Subscription | None = None
    _purger: asyncio.Task[None] | None = None

    @classmethod
    def build(
        cls, settings: Settings, pool: AsyncConnectionPool[Conn], redis: Redis, after_commit: AfterCommit
    ) -> AccountsContext:
        """Make the parts and register the after-commit listeners (nothing runs until ``start``)."""
        auth = settings.auth
        smtp = settings.mail.smtp_url
        sessions = SessionCache()
        context = cls(
            settings=auth,
            mail_settings=settings.mail,
            web_origins=tuple(settings.http.cors_origins),
            pool=pool,
            passwords=Passwords(
                time_cost=auth.argon2_time_cost,
                memory_kib=auth.argon2_memory_kib,
                parallelism=auth.argon2_parallelism,
                concurrency=auth.hash_concurrency,
            ),
            access=AccessTokens.from_settings(auth),
            limiter=RateLimiter(redis, settings.redis.key_prefix),
            limits=Limits.from_settings(auth),
            sessions=sessions,
            invalidations=SessionInvalidations(sessions, redis, f"{settings.redis.key_prefix}auth:sessions"),
            mail=MailSender(
                pool,
                None if smtp is None else SmtpTransport(smtp.get_secret_value(), settings.mail.smtp_timeout_s),
                sender=settings.mail.sender,
                clock=lambda: context.clock(),
                keep_sent=settings.environment == "development",
                drain_every_s=settings.mail.drain_every_s,
            ),
        )
        context._subscription = Subscription(settings.redis.url, context.invalidations.channel, sessions)
        after_commit.listen(MailQueued, context.mail.on_queued)
        after_commit.listen(SessionsChanged, context.invalidations.on_changed)
        return context

    def start(self) -> None:
        if self._subscription is not None:
            self._subscription.start(name="session-invalidations")
        self.mail.start()
        self._purger = asyncio.create_task(self._purge_periodically(), name="accounts-purge")

    async def purge_ended(self) -> int:
        """Delete sessions and tokens that ended over ``PURGE_AFTER`` ago: kept no longer than they serve."""
        async with self.pool.connection() as conn, conn.transaction():
            return await repository.purge_ended(conn, self.clock(), PURGE_AFTER)

    async def aclose(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
            await asyncio.gather(self._purger, return_exceptions=True)
        self.passwords.close()
        await self.mail.aclose()
        if self._subscription is not None:
            await self._subscription.aclose()


    async def _purge_periodically(self) -> None:
        while True:
            await asyncio.sleep(PURGE_EVERY_S)
            try:
                await self.purge_ended()
            except Exception:
                log.exception("purging ended sessions failed")


def get_accounts(request: Request) -> AccountsContext:
    context: AccountsContext = request.app.state.accounts
    return context


AccountsDep = Annotated[AccountsContext, Depends(get_accounts)]

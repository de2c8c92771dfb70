"""What the accounts domain holds about a person, for the export and the erase (``app.privacy.registry``).

Exports leave out every secret (password hash, token and CSRF hashes): they prove nothing to the
person and would help anyone who intercepts the file.
"""

from __future__ import annotations

from psycopg import sql
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.accounts.context import Limits
from app.accounts.sessions import SessionsChanged
from app.db import Conn
from app.kit.ratelimit import Limit, email_subject
from app.privacy.registry import Erasure, Exported, Holder, Person, fetch_json, owned_rows

_ACCOUNT = sql.SQL(
    "SELECT to_jsonb(a) - 'password_hash' || jsonb_build_object('has_password', a.password_hash IS NOT NULL) "
    "AS rows FROM accounts a WHERE a.id = %(account_id)s"
)
# Mails tied to the account, and mails sent to its address before (or without) it.
_MAIL = sql.SQL(
    "SELECT coalesce(jsonb_agg(to_jsonb(m) ORDER BY m.created_at), '[]'::jsonb) AS rows FROM mail_outbox m "
    "WHERE m.account_id = %(account_id)s OR lower(m.to_address) = lower(%(email)s)"
)


def account_holder() -> Holder:
    """The account row itself: exported first, erased last (its cascades end every session)."""
    return Holder("account", ("accounts",), _export_account, _erase_account)


def holders(limits: Limits, redis: Redis, key_prefix: str) -> list[Holder]:
    """Sessions, refresh and one-time tokens, mails, and the per-address abuse counters in Redis."""
    return [
        owned_rows("sessions", "auth_sessions", order_by="created_at", hidden=("csrf_hash",)),
        owned_rows("refresh_tokens", "refresh_tokens", order_by="issued_at", hidden=("token_hash",)),
        owned_rows("one_time_tokens", "account_tokens", order_by="created_at", hidden=("token_hash",)),
        Holder("mail", ("mail_outbox",), _export_mail, _erase_mail),
        _abuse_counters(limits, redis, key_prefix),
    ]


async def _export_account(conn: Conn, person: Person) -> Exported:
    return await fetch_json(conn, _ACCOUNT, {"account_id": person.account_id})


async def _erase_account(conn: Conn, erasure: Erasure) -> None:
    await conn.execute("DELETE FROM accounts WHERE id = %s", (erasure.person.account_id,))
    # Every process drops its cached sessions of the account after the commit: tokens answer 401 at once.
    erasure.after_commit.append(SessionsChanged(erasure.person.account_id))


async def _export_mail(conn: Conn, person: Person) -> Exported:
    return await fetch_json(conn, _MAIL, {"account_id": person.account_id, "email": person.email})


async def _erase_mail(conn: Conn, erasure: Erasure) -> None:
    await conn.execute(
        "DELETE FROM mail_outbox WHERE account_id = %s OR lower(to_address) = lower(%s)",
        (erasure.person.account_id, erasure.person.email),
    )


def _abuse_counters(limits: Limits, redis: Redis, key_prefix: str) -> Holder:
    """Sign-in, sign-up and reset counters keyed by the (hashed) email address."""
    per_address = (limits.login_account, limits.register_account, limits.reset_account)

    def keys(person: Person) -> dict[str, str]:
        subject = email_subject(person.email)
        return {limit.name: _counter_key(limit, subject) for limit in per_address}

    async def export(conn: Conn, person: Person) -> Exported:
        named = keys(person)
        try:
            counts = await redis.mget([key_prefix + key for key in named.values()])
        except (RedisError, OSError):
            return {"unavailable": True}
        return {name: int(count) for name, count in zip(named, counts, strict=True) if count is not None}

    async def erase(conn: Conn, erasure: Erasure) -> None:
        erasure.redis_keys.update(keys(erasure.person).values())

    return Holder("abuse_counters", (), export, erase)


def _counter_key(limit: Limit, subject: str) -> str:
    # The name ``app.kit.ratelimit.RateLimiter`` counts under (after the deployment's key prefix).
    return f"rl:{limit.name}:{subject}"

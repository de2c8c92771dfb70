"""Export everything held about a person, or erase it: both walk the one registry of holders.

The erase happens in the request's transaction. Holders delete or pseudonymise their rows and
collect what lives elsewhere; then Redis keys and media folders are removed *before* the commit,
so a failure there (Redis down, disk error) rolls the rows back and the person may simply try
again: the answer is 204 only when nothing is left anywhere. The domain events the holders left
(the end of every session) reach their listeners after the commit.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.accounts.errors import Unauthorized
from app.db import Conn, UnitOfWork
from app.errors import Conflict, ServiceUnavailable
from app.kit.media import MediaStore
from app.privacy import repository
from app.privacy.registry import Erasure, Person, PersonalData

log = logging.getLogger("happenings.privacy")

EXPORT_FORMAT = "happenings-export/1"
_DELETE_BATCH = 500


async def person_of(conn: Conn, account_id: UUID) -> Person:
    email = await repository.account_email(conn, account_id)
    if email is None:  # erased between the token check and this read
        raise Unauthorized("the account no longer exists", invalid_token=True)
    return Person(account_id, email)


async def export(conn: Conn, registry: PersonalData, person: Person, now: datetime) -> dict[str, Any]:
    """Every section of every holder, read in one snapshot."""
    async with conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        sections = await registry.export(conn, person)
    return {"format": EXPORT_FORMAT, "exported_at": now.isoformat(), **sections}


async def erase(
    work: UnitOfWork, registry: PersonalData, person: Person, *, redis: Redis, key_prefix: str, media: MediaStore
) -> Erasure:
    """Erase ``person`` everywhere, or raise and change nothing that the transaction holds."""
    reasons = await registry.reasons_not_to_erase(work.conn, person)
    if reasons:
        raise Conflict("the account cannot be erased yet: " + "; ".join(reasons))
    erasure = Erasure(person, pseudonym=uuid.uuid4())
    await registry.erase(work.conn, erasure)
    await repository.record_erasure(work.conn, erasure.pseudonym)
    await _delete_keys(redis, [key_prefix + key for key in sorted(erasure.redis_keys)])
    await _remove_media(media, sorted(erasure.media_dirs))
    for event in erasure.after_commit:
        work.publish(event)
    return erasure


async def _delete_keys(redis: Redis, keys: list[str]) -> None:
    try:
        for start in range(0, len(keys), _DELETE_BATCH):
            await redis.delete(*keys[start : start + _DELETE_BATCH])
    except (RedisError, OSError) as exc:
        log.warning("erase could not reach Redis; rolled back: %r", exc)
        raise ServiceUnavailable(
            "the account cannot be erased for a moment, try again shortly", headers={"Retry-After": "5"}
        ) from exc


async def _remove_media(media: MediaStore, folders: list[tuple[str, ...]]) -> None:
    try:
        for parts in folders:
            await media.remove_folder(*parts)
    except OSError as exc:
        log.error("erase could not remove media files; rolled back: %r", exc)
        raise ServiceUnavailable(
            "the account cannot be erased for a moment, try again shortly", headers={"Retry-After": "5"}
        ) from exc

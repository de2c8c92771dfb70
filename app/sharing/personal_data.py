"""What sharing holds about a person: the secret of their calendar feed (``app.privacy.registry``)."""

from __future__ import annotations

from app.db import Conn
from app.privacy.registry import Erasure, Exported, Holder, Person
from app.sharing import repository


def holders() -> list[Holder]:
    return [Holder("calendar_feed", ("calendar_feed_tokens",), _export_feed, _erase_feed)]


async def _export_feed(conn: Conn, person: Person) -> Exported:
    """Whether a feed address exists and since when (the token itself is stored only as a hash)."""
    created = await repository.feed_token_created(conn, person.account_id)
    return None if created is None else {"created_at": created.isoformat()}


async def _erase_feed(conn: Conn, erasure: Erasure) -> None:
    await repository.delete_feed_token(conn, erasure.person.account_id)

"""The rules of sharing: which events a feed holds, and the personal feed's secret token."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson

from app.db import Conn
from app.sharing import repository
from app.sharing.errors import FeedNotFound

# A feed holds what is upcoming and what ended in the last weeks (so a calendar keeps recent history).
FEED_LOOKBACK = timedelta(days=30)
MAX_FEED_EVENTS = 1000
MAX_SEARCH_EVENTS = 500
TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class FeedToken:
    token: str
    created_at: datetime


def token_hash(token: str) -> bytes:
    """Tokens are stored hashed: a database leak does not hand out people's feeds."""
    return hashlib.sha256(token.encode()).digest()


async def rotate_feed_token(conn: Conn, account_id: UUID, now: datetime) -> FeedToken:
    """A new secret for the person's feed; the previous URL stops working at once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await repository.replace_feed_token(conn, account_id, token_hash(token), now)
    return FeedToken(token, now)


async def personal_feed_rows(conn: Conn, token: str, now: datetime) -> list[dict[str, Any]]:
    """The events of the person holding ``token``: saved, answered (RSVP) or ticketed."""
    account_id = await repository.account_of_feed_token(conn, token_hash(token))
    if account_id is None:
        raise FeedNotFound("no calendar feed has this token (it may have been replaced)")
    keys = await repository.personal_event_keys(conn, account_id, now - FEED_LOOKBACK, MAX_FEED_EVENTS)
    return await repository.shared_events(conn, keys)


async def organizer_feed_rows(conn: Conn, organizer_id: UUID, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    name = await repository.organizer_name(conn, organizer_id)
    if name is None:
        raise FeedNotFound(f"organizer {organizer_id} does not exist")
    return name, await repository.organizer_events(conn, organizer_id, now - FEED_LOOKBACK, MAX_FEED_EVENTS)


def ids_of_items(items: Iterable[str]) -> list[UUID]:
    """The event ids of a discovery page's items (JSON objects, as PostgreSQL wrote them)."""
    return [UUID(orjson.loads(item)["id"]) for item in items]

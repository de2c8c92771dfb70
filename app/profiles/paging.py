"""Keyset pages of a person's own lists (saved events, followed organizers), newest first.

A cursor holds the last item's (time, id), signed for one list of one account: it cannot be edited,
nor replayed against another person's list or another list.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from app.errors import InvalidParameter
from app.kit.cursor import CursorSigner, InvalidCursor
from config.settings import ProfileSettings

Position = tuple[datetime, UUID]


def page_limit(limit: int | None, settings: ProfileSettings) -> int:
    if limit is None:
        return settings.default_page_size
    if limit > settings.max_page_size:
        raise InvalidParameter(f"limit must be between 1 and {settings.max_page_size}", param="limit")
    return limit


def scope(list_name: str, account_id: UUID) -> bytes:
    return list_name.encode() + b":" + account_id.bytes


def decode_position(signer: CursorSigner, cursor: str | None, list_scope: bytes) -> Position | None:
    if cursor is None:
        return None
    try:
        values = signer.decode(cursor, list_scope)
        moment, item = values
        return datetime.fromisoformat(str(moment)), UUID(str(item))
    except (InvalidCursor, ValueError, TypeError) as exc:
        raise InvalidParameter(str(exc) or "the cursor is malformed", param="cursor") from exc


def next_cursor(signer: CursorSigner, last: Position | None, list_scope: bytes) -> str | None:
    if last is None:
        return None
    return signer.encode([last[0].isoformat(), str(last[1])], list_scope)

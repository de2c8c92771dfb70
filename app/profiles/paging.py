"""Keyset pages of a person's own lists (saved events, followed organizers), newest first.

A cursor holds the last item's (time, id), signed for one list of one account: it cannot be edited,
nor replayed against another person's list or another list. Limits and cursors are checked before
any query runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from app.errors import InvalidParameter
from app.kit.cursor import CursorSigner, InvalidCursor
from config.settings import Settings

Position = tuple[datetime, UUID]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page of which list: ``limit`` items after ``after`` (None: the first page)."""

    limit: int
    after: Position | None
    signer: CursorSigner
    scope: bytes

    def body(self, rows: list[dict[str, Any]], time_key: str, id_key: str) -> dict[str, Any]:
        """The page's items and the cursor of the next page, from ``limit + 1`` rows fetched."""
        if len(rows) <= self.limit:
            return {"items": rows, "next_cursor": None}
        last = rows[self.limit - 1]
        cursor = self.signer.encode([last[time_key].isoformat(), str(last[id_key])], self.scope)
        return {"items": rows[: self.limit], "next_cursor": cursor}


def page_request(
    list_name: str, account_id: UUID, limit: int | None, cursor: str | None, settings: Settings
) -> PageRequest:
    profiles = settings.profiles
    if limit is None:
        limit = profiles.default_page_size
    elif limit > profiles.max_page_size:
        raise InvalidParameter(f"limit must be between 1 and {profiles.max_page_size}", param="limit")
    signer = CursorSigner(settings.discovery.cursor_secret)
    scope = list_name.encode() + b":" + account_id.bytes
    return PageRequest(limit, _position(signer, cursor, scope), signer, scope)


def _position(signer: CursorSigner, cursor: str | None, scope: bytes) -> Position | None:
    if cursor is None:
        return None
    try:
        moment, item = signer.decode(cursor, scope)
        return datetime.fromisoformat(str(moment)), UUID(str(item))
    except (InvalidCursor, ValueError, TypeError) as exc:
        raise InvalidParameter(str(exc) or "the cursor is malformed", param="cursor") from exc

"""Opaque keyset cursors over ``(timestamp, id)`` for lists ordered by time.

A cursor is ``<microseconds since the epoch>.<uuid>`` in URL-safe base64: clients pass back the
``next_cursor`` of the last page; anything else is refused as an invalid parameter (422 at the
schema, never a 500). No secret: the position reveals only the last row the caller already saw.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from uuid import UUID

from app.errors import InvalidParameter

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A cursor is far shorter than this; the bound refuses junk before it is decoded.
MAX_CURSOR_LENGTH = 80
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,80}$"


def encode(at: datetime, row_id: UUID) -> str:
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    raw = f"{micros}.{row_id.hex}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(cursor: str, param: str = "cursor") -> tuple[datetime, UUID]:
    """The ``(at, id)`` a cursor names, or ``InvalidParameter`` naming ``param``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        micros, _, hex_id = raw.partition(".")
        return _EPOCH + timedelta(microseconds=int(micros)), UUID(hex=hex_id)
    except (ValueError, binascii.Error, OverflowError, UnicodeDecodeError):
        raise InvalidParameter("not a cursor from this list", param=param) from None

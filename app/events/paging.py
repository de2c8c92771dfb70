"""Keyset paging for discovery: where a page starts, carried in an opaque, signed cursor.

The cursor holds the sort key of the last item served (value, id) and nothing else: it is bound
to the data it continues from, never to the moment it was made, so equal pages carry equal
cursors and equal answers have equal ETags (a client polling a view gets 304s). Every later page
asks for rows strictly after that key in the same total order, so rows inserted meanwhile are
neither repeated nor skipped: a new row sorting after the key appears on a later page, one
sorting before it is simply not part of this walk.

"Not ended yet" (the default time window) is measured at each page's own request time
(``Position.as_of``). It only ever drops rows as time passes, never adds any, so a walk still
neither repeats nor skips a row: an event that ends while someone pages leaves the later pages,
as it leaves the map.

The HMAC covers the criteria's fingerprint: a cursor from another query is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from app.errors import InvalidParameter
from app.events.criteria import Criteria
from app.kit.cursor import CursorSigner, CursorValue, InvalidCursor

CURSOR_VERSION = 2
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

KeyValue = datetime | int | float


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page starts: after ``after`` (None on the first page); "not ended" as of ``as_of``."""

    as_of: datetime
    after: tuple[KeyValue, UUID] | None = None


def first_page(now: datetime | None = None) -> Position:
    return Position(as_of=now or datetime.now(UTC))


def encode_cursor(signer: CursorSigner, criteria: Criteria, key: tuple[KeyValue, UUID]) -> str:
    value, event_id = key
    values: list[CursorValue] = [CURSOR_VERSION, _encode_value(value), event_id.hex]
    return signer.encode(values, criteria.fingerprint())


def decode_cursor(signer: CursorSigner, criteria: Criteria, token: str, now: datetime | None = None) -> Position:
    """The position a cursor points at, as of ``now``, or ``InvalidParameter`` (param ``cursor``)."""
    try:
        values = signer.decode(token, criteria.fingerprint())
    except InvalidCursor as exc:
        raise InvalidParameter(str(exc), param="cursor") from exc
    try:
        version, value, event_hex = values
        if version != CURSOR_VERSION or not isinstance(event_hex, str):
            raise ValueError("unexpected cursor layout")
        key = (_decode_value(criteria, value), UUID(hex=event_hex))
    except (ValueError, TypeError, OverflowError) as exc:  # a cursor signed by an older layout
        raise InvalidParameter("the cursor has expired; start again from the first page", param="cursor") from exc
    return Position(as_of=now or datetime.now(UTC), after=key)


def _encode_value(value: KeyValue) -> CursorValue:
    return _micros(value) if isinstance(value, datetime) else value


def _decode_value(criteria: Criteria, value: CursorValue) -> KeyValue:
    if criteria.sort == "start" and isinstance(value, int) and not isinstance(value, bool):
        return _from_micros(value)
    if criteria.sort == "popularity" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if criteria.sort in ("distance", "relevance") and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueError("cursor value does not fit the sort")


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)

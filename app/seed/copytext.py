"""Rows as PostgreSQL COPY text-format lines (tab-separated, ``\\N`` for NULL).

Points travel as hex EWKB: PostGIS reads it without parsing decimal text, and the bytes are
exactly the generated doubles, so the stored point is the generated one. UUIDs travel as 32 hex
digits (PostgreSQL accepts them without hyphens), instants as ``YYYY-MM-DD HH:MM:SS+00``.
Event titles and descriptions are built only from the vocabulary and city names, which hold no
COPY special character (``tests/seed`` checks it), so event lines skip the escaping pass.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from datetime import timedelta

from app.seed.generator import EventRow, Organizer, Venue
from app.seed.timeplan import EPOCH, SECONDS_PER_DAY

NULL = "\\N"
ORGANIZER_COLUMNS = ("id", "name", "email")
VENUE_COLUMNS = ("id", "organizer_id", "name", "address", "city", "country_code", "timezone", "geom")
EVENT_COLUMNS = (
    "cell", "venue_id", "venue_name", "venue_geom", "timezone", "geom", "id", "organizer_id", "category",
    "title", "description", "tags", "starts_at", "ends_at", "status", "is_free", "price_min", "price_max", "currency",
    "capacity", "popularity",
)  # fmt: skip
SRID = 4326
# Little-endian EWKB point with an SRID: byte order, type (Point | has-SRID flag), SRID, x, y.
_EWKB_POINT = struct.Struct("<BIIdd")
_EWKB_POINT_WITH_SRID = 0x20000001
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_statement(table: str, columns: tuple[str, ...]) -> str:
    """The ``COPY ... FROM STDIN`` statement matching the lines made here."""
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


def point_ewkb_hex(lon: float, lat: float) -> str:
    """A WGS84 point as hex EWKB, what ``SRID=4326;POINT(lon lat)`` reads as."""
    return _EWKB_POINT.pack(1, _EWKB_POINT_WITH_SRID, SRID, lon, lat).hex()


def escape(value: str) -> str:
    """A text field with COPY's special characters escaped."""
    return value.translate(_ESCAPES)


def _uuid(value: int | None) -> str:
    return NULL if value is None else f"{value:032x}"


def _number(value: int | None) -> str:
    return NULL if value is None else str(value)


def organizer_lines(organizers: Iterable[Organizer]) -> str:
    """COPY text for ``ORGANIZER_COLUMNS``."""
    return "".join(f"{_uuid(o.id)}\t{escape(o.name)}\t{escape(o.email)}\n" for o in organizers)


def venue_lines(venues: Iterable[Venue]) -> str:
    """COPY text for ``VENUE_COLUMNS``."""
    return "".join(
        f"{_uuid(v.id)}\t{_uuid(v.organizer_id)}\t{escape(v.name)}\t{escape(v.address)}\t"
        f"{escape(v.city.name)}\t{v.city.country}\t{v.city.timezone}\t{point_ewkb_hex(v.lon, v.lat)}\n"
        for v in venues
    )


class EventEncoder:
    """Events as COPY text for ``EVENT_COLUMNS``, with caches for what many rows share.

    A venue's events share its cell, id, name, zone and point (the first six columns), organizers
    recur, and dates and times of day are few: formatting each once halves the encoding time.
    """

    def __init__(self) -> None:
        self._places: dict[int, str] = {}
        self._ids: dict[int, str] = {}
        self._days: dict[int, str] = {}
        self._times: dict[int, str] = {}

    def lines(self, events: Iterable[EventRow]) -> str:
        """COPY text-format lines, one per event."""
        place, uuid, instant = self._place, self._uuid, self._instant
        return "".join(
            f"{place(e)}\t{e.id:032x}\t{uuid(e.organizer_id)}\t{e.category}\t{e.title}\t{e.description}\t"
            f"{{{','.join(e.tags)}}}\t{instant(e.starts)}\t{instant(e.ends)}\t{e.status}\t"
            f"{'t' if e.is_free else 'f'}\t{_number(e.price_min)}\t{_number(e.price_max)}\t{e.currency or NULL}\t"
            f"{_number(e.capacity)}\t{e.popularity}\n"
            for e in events
        )

    def _place(self, event: EventRow) -> str:
        # cell, venue_id, venue_name, venue_geom, timezone, geom: a venue's events stand at its point.
        if event.venue_id is None:
            return f"{event.cell}\t{NULL}\t{NULL}\t{NULL}\t{event.timezone}\t{point_ewkb_hex(event.lon, event.lat)}"
        text = self._places.get(event.venue_id)
        if text is None:
            point = point_ewkb_hex(event.lon, event.lat)
            name = escape(event.venue_name or "")
            text = f"{event.cell}\t{event.venue_id:032x}\t{name}\t{point}\t{event.timezone}\t{point}"
            self._places[event.venue_id] = text
        return text

    def _uuid(self, value: int) -> str:
        text = self._ids.get(value)
        if text is None:
            text = self._ids[value] = f"{value:032x}"
        return text

    def _instant(self, unix_seconds: int) -> str:
        day, second = divmod(unix_seconds, SECONDS_PER_DAY)
        day_text = self._days.get(day)
        if day_text is None:
            day_text = self._days[day] = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
        time_text = self._times.get(second)
        if time_text is None:
            hours, rest = divmod(second, 3600)
            time_text = self._times[second] = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}+00"
        return f"{day_text} {time_text}"


def event_lines(events: Iterable[EventRow]) -> str:
    """COPY text for ``EVENT_COLUMNS`` (a fresh encoder: use one ``EventEncoder`` for many chunks)."""
    return EventEncoder().lines(events)

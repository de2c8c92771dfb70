"""Pinned instants for the calendar, and the events placed on the edges of the days they show.

Each case is a moment on the browser's clock, the browser's zone and the place on the map. The
calendar counts days in the place's zone and its week view is the seven days from today there, so
each case puts events just inside and just outside that week (and one earlier today, already
over), at local times around midnights, month ends and daylight-saving changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    zone: str


BEIJING = Place("Beijing", 39.9042, 116.4074, "Asia/Shanghai")
PARIS = Place("Paris", 48.8566, 2.3522, "Europe/Paris")
NEW_YORK = Place("New York", 40.7128, -74.0060, "America/New_York")


@dataclass(frozen=True)
class Edge:
    """An event at a local day and time of the place, and whether the week view shows it."""

    day: int  # days after today at the place
    at: time
    shown: bool


@dataclass(frozen=True)
class CalendarCase:
    id: str
    now: datetime  # the browser's clock
    browser_zone: str
    place: Place
    edges: tuple[Edge, ...]

    @property
    def today(self) -> date:
        """Today at the place on the map."""
        return self.now.astimezone(ZoneInfo(self.place.zone)).date()

    def midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), ZoneInfo(self.place.zone)).astimezone(UTC)

    @property
    def week(self) -> list[date]:
        return [self.today + timedelta(days=i) for i in range(7)]

    @property
    def window(self) -> tuple[datetime, datetime]:
        """What the week view asks for: from the start of the current hour (only events to come)
        to the midnight after its seventh day."""
        return self.now.replace(minute=0, second=0, microsecond=0), self.midnight(self.today + timedelta(days=7))

    def title(self, edge: Edge) -> str:
        return f"Calendar edge {self.id} {edge.day} {edge.at:%H%M}"

    def starts_at(self, edge: Edge) -> datetime:
        local = datetime.combine(self.today + timedelta(days=edge.day), edge.at, ZoneInfo(self.place.zone))
        return local.astimezone(UTC)


def _edges(*, tonight: time, earlier: time | None) -> tuple[Edge, ...]:
    edges = [
        Edge(0, tonight, True),
        Edge(1, time(0, 30), True),  # just after the first midnight
        Edge(6, time(23, 30), True),  # the last evening of the week
        Edge(7, time(0, 30), False),  # the day after the week
    ]
    if earlier is not None:
        edges.append(Edge(0, earlier, False))  # over before the current hour began
    return tuple(edges)


CASES = (
    # Sunday 19:15 UTC: in Beijing it is already Monday 03:15.
    CalendarCase(
        "sunday-evening-utc-over-beijing",
        datetime(2026, 3, 29, 19, 15, tzinfo=UTC),
        "UTC",
        BEIJING,
        _edges(tonight=time(22, 0), earlier=time(1, 0)),
    ),
    # 23:30 on a Sunday in Paris, on the night the clocks went forward (02:00 -> 03:00).
    CalendarCase(
        "sunday-night-paris-dst-start",
        datetime(2026, 3, 29, 21, 30, tzinfo=UTC),
        "Europe/Paris",
        PARIS,
        _edges(tonight=time(23, 45), earlier=time(3, 30)),
    ),
    # 01:30 in New York, half an hour before its clocks go forward; the browser is in Paris.
    CalendarCase(
        "new-york-dst-start-seen-from-paris",
        datetime(2026, 3, 8, 6, 30, tzinfo=UTC),
        "Europe/Paris",
        NEW_YORK,
        _edges(tonight=time(3, 30), earlier=time(0, 30)),
    ),
    # The evening of 31 March in Paris, already the morning of 1 April in Beijing.
    CalendarCase(
        "month-end-paris-april-in-beijing",
        datetime(2026, 3, 31, 20, 30, tzinfo=UTC),
        "Europe/Paris",
        BEIJING,
        _edges(tonight=time(20, 0), earlier=time(2, 0)),
    ),
    # 1 April in Tokyo, still 31 March in New York.
    CalendarCase(
        "month-end-tokyo-march-in-new-york",
        datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
        "Asia/Tokyo",
        NEW_YORK,
        _edges(tonight=time(21, 0), earlier=time(18, 0)),
    ),
)


def edge_events() -> list[dict[str, object]]:
    """The events every case needs, as keyword arguments of ``EventCreate`` (less the organizer)."""
    return [
        {
            "title": case.title(edge),
            "category": "community",
            "starts_at": case.starts_at(edge),
            "ends_at": case.starts_at(edge) + timedelta(hours=1),
            "timezone": case.place.zone,
            "status": "published",
            "is_free": True,
            "location": {"lat": case.place.lat, "lon": case.place.lon},
        }
        for case in CASES
        for edge in case.edges
    ]

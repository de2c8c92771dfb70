"""The rules of "for you", "popular near here" and "similar events".

One code path for everyone: a signed-in person's state comes from their own signals (and the
interests and home they chose); an anonymous visitor's state is empty, so the same ranker orders
by what is near, popular, rising and soon. Candidates come from the H3 cells covering a circle
around the point (never a scan of the table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from app.db import Conn
from app.errors import InvalidParameter, NotFound
from app.kit.cursor import CursorSigner, InvalidCursor
from app.recommendations import repository
from app.recommendations.data import EventInfo, Interaction
from app.recommendations.model import Model
from app.recommendations.ranking import Ranked, rank
from app.recommendations.schemas import OrganizerRef, Reason, RecommendationPage, RecommendedEvent, SimilarEvents
from app.recommendations.signals import record_share
from app.recommendations.state import PersonState, build_state
from config.settings import RecommendationSettings
from geo.cells import cached_cells_covering_circle, cell_center
from geo.distance import haversine_m

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(slots=True)
class Person:
    state: PersonState
    titles: dict[Any, str]  # event id -> title, for "because you went to …"
    home: tuple[float, float] | None


async def load_person(conn: Conn, account_id: UUID, now: datetime, settings: RecommendationSettings) -> Person:
    rows, profile = await repository.person_of(conn, account_id, now - timedelta(days=365), settings.state_signals)
    signals, events, titles = [], {}, {}
    for row in rows:
        signals.append(Interaction(account_id, row["event_id"], row["organizer_id"], row["category"], row["kind"],
                                   row["occurred_at"].timestamp()))  # fmt: skip
        if row["lat"] is not None:
            events[row["event_id"]] = _info({**row, "id": row["event_id"], "organizer_id": row["event_organizer_id"],
                                             "category": row["event_category"], "popularity": 0})  # fmt: skip
            titles[row["event_id"]] = row["title"]
    interests = tuple(profile["interests"]) if profile else ()
    state = build_state(signals, events, interests, now.timestamp())
    home = None
    if profile is not None and profile["home_lat"] is not None:
        home = (profile["home_lat"], profile["home_lon"])
    elif profile is not None and profile["home_cell"] is not None:
        home = cell_center(profile["home_cell"])
    if profile is not None and profile["home_radius_m"]:
        state.radius_m = float(profile["home_radius_m"])
    return Person(state, titles, home)


def _info(row: dict[str, Any]) -> EventInfo:
    return EventInfo(
        row["id"], row["organizer_id"], row["venue_id"], row["category"], tuple(row["tags"] or ()),
        row["lat"], row["lon"], row["starts_at"].timestamp(), row["weekday"], row["hour"], row["popularity"] or 0,
    )  # fmt: skip


async def recommend(
    conn: Conn,
    model: Model,
    signer: CursorSigner,
    settings: RecommendationSettings,
    *,
    account_id: UUID | None,
    lat: float | None,
    lon: float | None,
    limit: int | None,
    cursor: str | None,
    now: datetime,
) -> RecommendationPage:
    """One page of recommendations for the person (or, anonymous, of what is popular near the point)."""
    limit = min(limit or settings.default_limit, settings.max_limit)
    person = await load_person(conn, account_id, now, settings) if account_id else Person(PersonState(), {}, None)
    point, origin = _origin(person, lat, lon)
    scope = _scope(account_id, point, limit)
    offset, now = _resume(signer, cursor, scope, now)
    ranked, display = await _ranked(conn, model, person.state, point, now, settings, explain=offset + limit)
    ranked = ranked[: settings.max_results]
    page = ranked[offset : offset + limit]
    following = offset + limit
    next_cursor = signer.encode([following, now.timestamp()], scope) if following < len(ranked) else None
    items = [_item(r, display[r.event.event_id], _words(r, person, origin)) for r in page]
    basis = "personal" if person.state.known else "popular"
    return RecommendationPage(
        items=items, next_cursor=next_cursor, basis=basis, model_version=model.version, origin=origin
    )


def _origin(person: Person, lat: float | None, lon: float | None) -> tuple[tuple[float, float], str]:
    if (lat is None) != (lon is None):
        raise InvalidParameter("lat and lon go together", param="lat" if lat is None else "lon")
    if lat is not None and lon is not None:
        return (lat, lon), "here"
    if person.home is not None:
        return person.home, "home"
    if person.state.centroid is not None:
        return person.state.centroid, "usual_area"
    raise InvalidParameter("lat and lon are required (no home is saved)", param="lat")


def _scope(account_id: UUID | None, point: tuple[float, float], limit: int) -> bytes:
    return f"recommendations|{account_id or '-'}|{point[0]:.5f}|{point[1]:.5f}|{limit}".encode()


def _resume(signer: CursorSigner, cursor: str | None, scope: bytes, now: datetime) -> tuple[int, datetime]:
    if cursor is None:
        return 0, now
    try:
        values = signer.decode(cursor, scope)
    except InvalidCursor as exc:
        raise InvalidParameter(str(exc), param="cursor") from exc
    if len(values) != 2 or not isinstance(values[0], int) or not isinstance(values[1], int | float):
        raise InvalidParameter("the cursor is malformed", param="cursor")
    return values[0], datetime.fromtimestamp(values[1], UTC)


async def _ranked(
    conn: Conn,
    model: Model,
    state: PersonState,
    point: tuple[float, float],
    now: datetime,
    settings: RecommendationSettings,
    *,
    explain: int,
) -> tuple[list[Ranked], dict[Any, dict[str, Any]]]:
    """The area's candidates ranked, with the reasons of the first ``explain`` (those shown)."""
    radius = settings.candidate_radius_m
    cells = cached_cells_covering_circle(point[0], point[1], radius) or ()
    organizers = _top(state, "o:", 20)
    categories = [*state.interests, *_top(state, "c:", 3)]
    rows = await repository.candidates(
        conn, cells, point, now, now + timedelta(days=settings.horizon_days), radius,
        settings.candidates_per_branch, [UUID(str(o)) for o in organizers], sorted(set(categories)),
    )  # fmt: skip
    infos = [_info(row) for row in rows]
    display = {row["id"]: row for row in rows}
    return rank(model, state, infos, point, now.timestamp(), explain=explain, places=settings.max_results), display


def _top(state: PersonState, prefix: str, n: int) -> list[str]:
    keys = sorted((k for k in state.weights if k.startswith(prefix)), key=lambda k: -state.weights[k])
    return [k[len(prefix) :] for k in keys[:n]]


def _item(ranked: Ranked, row: dict[str, Any], reasons: list[Reason]) -> RecommendedEvent:
    return RecommendedEvent(
        id=row["id"],
        title=row["title"],
        category=row["category"],
        tags=list(row["tags"] or ()),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        timezone=row["timezone"],
        lat=row["lat"],
        lon=row["lon"],
        organizer=OrganizerRef(id=row["organizer_id"], name=row["organizer_name"]),
        distance_m=round(ranked.distance_m, 1),
        score=round(ranked.score, 4),
        reasons=reasons,
    )


def _words(ranked: Ranked, person: Person, origin: str) -> list[Reason]:
    """The reasons, said: the ranker names them by code, with what they are about."""
    said = []
    for code, details in ranked.reasons:
        text = _say(code, details, ranked, person, origin)
        if text:
            said.append(Reason(code=code, text=text))
    return said


def _say(code: str, details: dict[str, object], ranked: Ranked, person: Person, origin: str) -> str | None:
    category = str(details.get("category", ranked.event.category))
    if code == "went_to":
        title = person.titles.get(details.get("event_id"))
        return f"because you went to {title}" if title else "from an organizer you went to before"
    if code == "follows_organizer":
        return "from an organizer you follow"
    if code == "interest":
        return f"matches your interest in {category}"
    if code == "likes_category":
        return f"you often go to {category} events"
    if code == "similar_people":
        return f"popular with people who like {category}"
    if code == "trending":
        return "trending near here"
    if code == "popular_nearby":
        return "popular near here"
    if code == "usual_time":
        weekday = WEEKDAYS[int(str(details["weekday"])) % 7]
        part = "evening" if int(str(details["hour"])) >= 17 else "daytime"
        return f"{weekday} {part}, when you usually go out"
    if code == "distance":
        return f"{_km(ranked.distance_m)} from {'home' if origin == 'home' else 'here'}"
    return None


def _km(metres: float) -> str:
    if metres < 1000:
        return f"{max(100, round(metres, -2)):.0f} m"
    return f"{metres / 1000:.0f} km" if metres >= 10_000 else f"{metres / 1000:.1f} km"


async def similar(
    conn: Conn, model: Model, settings: RecommendationSettings, event_id: UUID, limit: int | None, now: datetime
) -> SimilarEvents:
    """Events like this one near it (same organizer, venue, category and tags weigh most), and what
    people who went to this one also went to."""
    limit = min(limit or settings.default_limit, settings.max_limit)
    row = await repository.event_by_id(conn, event_id)
    if row is None:
        raise NotFound(f"event {event_id} does not exist or is not public")
    source = _info(row)
    # The event stands in for a person who liked exactly it: the same ranker, the same features.
    liked = Interaction("-", source.event_id, source.organizer_id, source.category, "save", now.timestamp())
    state = build_state([liked], {source.event_id: source}, (), now.timestamp())
    point = (source.lat, source.lon)
    ranked, display = await _ranked(conn, model, state, point, now, settings, explain=0)
    similar_items = []
    for r in ranked[:limit]:
        reasons = (
            [Reason(code="same_organizer", text=f"also by {row['organizer_name']}")]
            if (r.event.organizer_id == source.organizer_id)
            else [Reason(code="similar", text=f"also {r.event.category}")]
        )
        reasons.append(Reason(code="distance", text=f"{_km(r.distance_m)} away"))
        similar_items.append(_item(r, display[r.event.event_id], reasons))
    co = await repository.also_went(conn, row["cell"], event_id, now - timedelta(days=365), limit * 3)
    people = {e: n for _, e, n in co}
    rows = await repository.events_by_key(conn, [(c, e) for c, e, _ in co], now)
    rows.sort(key=lambda r: (-people[r["id"]], str(r["id"])))
    also = []
    for other in rows[:limit]:
        info = _info(other)
        distance = _distance(point, (info.lat, info.lon))
        fake = Ranked(info, float(people[other["id"]]), distance, ())
        n = people[other["id"]]
        text = f"{n} {'person' if n == 1 else 'people'} who went to this also went"
        also.append(_item(fake, other, [Reason(code="also_went", text=text)]))
    return SimilarEvents(similar=similar_items, also_went=also, model_version=model.version)


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return haversine_m(a[0], a[1], b[0], b[1])


async def share(conn: Conn, account_id: UUID, event_id: UUID, now: datetime) -> None:
    """The person shared a published event: a signal for their recommendations (404 for any other)."""
    if not await record_share(conn, account_id, event_id, now):
        raise NotFound(f"event {event_id} does not exist or is not public")

"""A synthetic population for the offline evaluation of recommendations (see
docs/recommendations-evaluation.md for the model).

The simulator keeps each person's hidden variables (home, usual radius, tastes over categories and
organizers, going-out habits, friends) in ``HiddenPerson`` objects that only the simulator and the
scoring of results read. What the recommender gets is ``World.observed()``: a ``TrainingInput`` of
interactions and public event facts, the same records the API reads from PostgreSQL.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from app.recommendations.data import EventInfo, Interaction, TrainingInput
from geo.distance import haversine_many_m

CATEGORIES = ("music", "arts", "food", "sports", "tech", "family", "film", "theatre", "comedy", "outdoors",
              "nightlife", "community")  # fmt: skip
TAGS = {c: [f"{c}-{i}" for i in range(8)] for c in CATEGORIES}
CITIES = ((48.8566, 2.3522), (52.52, 13.405), (41.3874, 2.1686), (45.4642, 9.19))
DAY = 86400.0
START = 1_900_000_000.0  # a fixed Monday-agnostic epoch: results never depend on today


@dataclass(slots=True)
class Organizer:
    id: str
    city: int
    category: str
    tags: list[str]
    venues: list[tuple[str, float, float]]
    weekday_bias: np.ndarray
    hour: int
    quality: float


@dataclass(slots=True)
class HiddenPerson:
    """What the recommender must never see."""

    id: str
    city: int
    home: tuple[float, float]
    radius_m: float
    taste: np.ndarray  # over CATEGORIES
    organizers: dict[str, float]  # favourite organizers -> liking
    weekdays: np.ndarray  # 7 probabilities of going out
    evening: float  # how much they prefer evenings
    activity: float  # sessions per day
    friends: list[str] = field(default_factory=list)
    interests: tuple[str, ...] = ()


@dataclass(slots=True)
class World:
    events: dict[str, EventInfo]
    people: dict[str, HiddenPerson]
    interactions: list[Interaction]
    end: float

    def observed(self) -> TrainingInput:
        interests = {p.id: p.interests for p in self.people.values() if p.interests}
        return TrainingInput(self.interactions, self.events, interests, self.end)


def simulate(seed: int, *, people: int = 2000, organizers_per_city: int = 60, days: int = 120) -> World:
    rng = np.random.default_rng(seed)
    orgs = _organizers(rng, organizers_per_city)
    events = _events(rng, orgs, days)
    persons = _people(rng, people, orgs)
    interactions = _run(rng, persons, orgs, events, days)
    return World(events, persons, interactions, START + days * DAY)


def _organizers(rng: np.random.Generator, per_city: int) -> list[Organizer]:
    orgs = []
    for city, (lat, lon) in enumerate(CITIES):
        for i in range(per_city):
            category = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
            venues = []
            for v in range(int(rng.integers(1, 4))):
                dlat, dlon = rng.normal(0, 0.06), rng.normal(0, 0.09)
                venues.append((f"v{city}-{i}-{v}", lat + dlat, lon + dlon))
            tags = list(rng.choice(TAGS[category], size=3, replace=False))
            orgs.append(Organizer(f"o{city}-{i}", city, category, tags, venues, rng.dirichlet(np.ones(7) * 0.7),
                                  int(rng.choice([11, 14, 18, 19, 20, 21])), float(rng.lognormal(0, 0.5))))  # fmt: skip
    return orgs


def _events(rng: np.random.Generator, orgs: list[Organizer], days: int) -> dict[str, EventInfo]:
    events: dict[str, EventInfo] = {}
    for org in orgs:
        count = int(rng.poisson(days / 7 * org.quality))
        for n in range(count):
            day = int(rng.integers(0, days + 14))
            weekday = int(rng.choice(7, p=org.weekday_bias))
            day = day - (day % 7) + weekday
            hour = int(np.clip(org.hour + rng.integers(-1, 2), 8, 23))
            venue = org.venues[int(rng.integers(len(org.venues)))]
            category = org.category if rng.random() < 0.85 else CATEGORIES[int(rng.integers(len(CATEGORIES)))]
            tags = tuple(rng.choice(org.tags, size=2, replace=False)) if category == org.category else ()
            event_id = f"{org.id}-e{n}"
            events[event_id] = EventInfo(event_id, org.id, venue[0], category, tags, venue[1], venue[2],
                                         START + day * DAY + hour * 3600, weekday, hour)  # fmt: skip
    return events


def _people(rng: np.random.Generator, count: int, orgs: list[Organizer]) -> dict[str, HiddenPerson]:
    people: dict[str, HiddenPerson] = {}
    by_city: dict[int, list[Organizer]] = defaultdict(list)
    for org in orgs:
        by_city[org.city].append(org)
    for i in range(count):
        city = int(rng.integers(len(CITIES)))
        lat, lon = CITIES[city]
        taste = rng.dirichlet(np.ones(len(CATEGORIES)) * 0.35)
        liked = [o for o in by_city[city] if rng.random() < 0.15 * (1 + 3 * taste[CATEGORIES.index(o.category)])]
        organizers = {o.id: float(rng.lognormal(0.5, 0.5)) for o in liked[:10]}
        top = tuple(CATEGORIES[j] for j in np.argsort(-taste)[:2]) if rng.random() < 0.6 else ()
        people[f"p{i}"] = HiddenPerson(
            f"p{i}", city, (lat + rng.normal(0, 0.05), lon + rng.normal(0, 0.07)),
            float(np.clip(rng.lognormal(math.log(5000), 0.5), 1500, 25000)), taste, organizers,
            rng.dirichlet(np.ones(7) * 2.0), float(rng.uniform(-1, 1)), float(rng.uniform(0.05, 0.3)),
            interests=top,
        )  # fmt: skip
    ids = list(people)
    for person in people.values():
        same = [p for p in ids if people[p].city == person.city and p != person.id]
        person.friends = list(rng.choice(same, size=min(6, len(same)), replace=False))
    return people


def _run(
    rng: np.random.Generator,
    people: dict[str, HiddenPerson],
    orgs: list[Organizer],
    events: dict[str, EventInfo],
    days: int,
) -> list[Interaction]:
    """Each day each person may browse what starts in the next two weeks near them, and view, save,
    RSVP (and buy, follow) by a hidden utility: taste, liked organizers, distance against their own
    radius, weekday and hour habits, friends going, and what is already popular."""
    org_of = {o.id: o for o in orgs}
    catalogue = list(events.values())
    starts = np.array([e.starts_at for e in catalogue])
    lats = np.array([e.lat for e in catalogue])
    lons = np.array([e.lon for e in catalogue])
    cats = np.array([CATEGORIES.index(e.category) for e in catalogue])
    weekdays = np.array([e.weekday for e in catalogue])
    evening = np.array([1.0 if e.hour >= 18 else -1.0 for e in catalogue])
    org_index = {o.id: i for i, o in enumerate(orgs)}
    org_of_event = np.array([org_index[e.organizer_id] for e in catalogue])
    likes = {}
    for person in people.values():
        vector = np.zeros(len(orgs))
        for org_id, liking in person.organizers.items():
            vector[org_index[org_id]] = liking
        likes[person.id] = vector
    city_of = np.array([org_of[e.organizer_id].city for e in catalogue])
    popularity = np.zeros(len(catalogue))
    going: dict[str, list[int]] = defaultdict(list)
    friends_count = np.zeros(len(catalogue))
    out: list[Interaction] = []
    followed: set[tuple[str, str]] = set()
    rsvps_with: dict[tuple[str, str], int] = defaultdict(int)
    person_list = list(people.values())
    for day in range(days):
        now_day = START + day * DAY
        window = np.flatnonzero((starts > now_day + 3600) & (starts <= now_day + 14 * DAY))
        for person in person_list:
            if rng.random() > person.activity:
                continue
            cand = window[city_of[window] == person.city]
            if len(cand) == 0:
                continue
            at = now_day + float(rng.uniform(7, 23)) * 3600
            d = haversine_many_m(person.home[0], person.home[1], lats[cand], lons[cand])
            friends_count[:] = 0.0
            for friend in person.friends:
                np.add.at(friends_count, going[friend], 1.0)
            friends_going = friends_count[cand]
            liked = likes[person.id][org_of_event[cand]]
            utility = (
                2.0 * np.log(person.taste[cats[cand]] * len(CATEGORIES) + 0.05)
                + 1.5 * liked
                - 1.6 * d / person.radius_m
                + 2.5 * np.log(person.weekdays[weekdays[cand]] * 7 + 0.05) / 2
                + 0.6 * person.evening * evening[cand]
                + 0.9 * friends_going
                + 0.25 * np.log1p(popularity[cand])
                + rng.gumbel(size=len(cand))
            )
            top = np.argsort(-utility)[:4]
            best = float(utility[top[0]])
            for rank, position in enumerate(top):
                index = int(cand[position])
                event = catalogue[index]
                u = float(utility[position])
                when = at + rank * 60
                out.append(Interaction(person.id, event.event_id, event.organizer_id, event.category, "view", when))
                popularity[index] += 1
                if u > 2.5 and rng.random() < 0.25:
                    out.append(
                        Interaction(person.id, event.event_id, event.organizer_id, event.category, "save", when + 5)
                    )
                    popularity[index] += 3
                if u >= best and u > 1.5 and rng.random() < 0.7 and index not in going[person.id]:
                    going[person.id].append(index)
                    kind = "purchase" if rng.random() < 0.3 else "rsvp"
                    out.append(
                        Interaction(person.id, event.event_id, event.organizer_id, event.category, kind, when + 10)
                    )
                    popularity[index] += 5
                    key = (person.id, event.organizer_id)
                    rsvps_with[key] += 1
                    if rsvps_with[key] >= 2 and key not in followed and rng.random() < 0.5:
                        followed.add(key)
                        out.append(Interaction(person.id, None, event.organizer_id, None, "follow", when + 20))
    out.sort(key=lambda s: s.occurred_at)
    return out

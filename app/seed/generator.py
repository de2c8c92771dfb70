"""Pure, deterministic generation of organizers, venues and events (no database here).

Determinism: every draw comes from a ``random.Random`` seeded with the user's seed and a label.
The world (organizers, venues) has its own generator; events are made in fixed-size chunks, each
with its own generator, so chunk ``k`` is the same whether it is made first, last or in another
process: the same seed, event count and reference date always give the same rows.

Speed: a million events must be generated in a few seconds, so rows hold cheap values — ids as
the integer of a version-4 UUID, instants as UTC Unix seconds — with properties giving the
``uuid.UUID`` and ``datetime`` views.
"""

from __future__ import annotations

import itertools
import math
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from app.seed.cities import City, city_picker, load_cities, scatter_point
from app.seed.money import draw_price
from app.seed.sampling import Uniform, Weighted, expand, lognormal_quantiles, pick, uuid4_int
from app.seed.timeplan import TimePlanner, start_minutes, to_datetime
from app.seed.vocabulary import (
    CATEGORIES,
    ORGANIZER_FIRST,
    ORGANIZER_SECOND,
    OUTDOOR_PLACES,
    STREETS,
    VENUE_FIRST,
    VENUE_SECOND,
    CategoryWords,
)
from geo.cells import cell_of

CHUNK_SIZE = 10_000
EVENTS_PER_ORGANIZER = 50
EVENTS_PER_VENUE = 10
VENUE_EVENT_SHARE = 0.8
VENUE_OWNED_SHARE = 0.7
VENUE_ORGANIZER_SHARE = 0.5
MAX_TAGS = 4
STATUSES = expand((("published", 92), ("draft", 5), ("cancelled", 3)))
NO_CAPACITY_SHARE = 0.25
# Capacities: a quarter unknown, the rest log-normal around 90 seats (a bar) up to thousands (a stadium).
CAPACITIES: tuple[int | None, ...] = (None,) * round(100 * NO_CAPACITY_SHARE) + tuple(
    max(1, round(value)) for value in lognormal_quantiles(4.5, 1.1, 100 - round(100 * NO_CAPACITY_SHARE))
)
POPULARITY_ALPHA = 1.3
# The Pareto tail is unbounded; the column is a 32-bit integer.
MAX_POPULARITY = 1_000_000
MAX_TITLE = 200


class Organizer(NamedTuple):
    id: int
    name: str
    email: str


class Venue(NamedTuple):
    id: int
    organizer_id: int | None
    name: str
    address: str
    city: City
    lat: float
    lon: float
    # The partition cell of the venue's point: every event held here shares it.
    cell: int


class EventRow(NamedTuple):
    """One ``events`` row; ids are UUID integers and instants UTC Unix seconds (see properties)."""

    cell: int
    id: int
    organizer_id: int
    venue_id: int | None
    venue_name: str | None
    category: str
    title: str
    description: str
    tags: tuple[str, ...]
    starts: int
    ends: int
    timezone: str
    status: str
    is_free: bool
    price_min: int | None
    price_max: int | None
    currency: str | None
    capacity: int | None
    popularity: int
    lat: float
    lon: float

    @property
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.id)

    @property
    def starts_at(self) -> datetime:
        return to_datetime(self.starts)

    @property
    def ends_at(self) -> datetime:
        return to_datetime(self.ends)


@dataclass(frozen=True, slots=True)
class World:
    """Everything events are drawn from: cities, organizers, venues and the calendar."""

    seed: int
    events: int
    cities: Weighted[City]
    organizers: list[Organizer]
    venues: list[Venue]
    planner: TimePlanner


def organizer_count(events: int) -> int:
    """About one organizer per 50 events, at least one."""
    return max(1, round(events / EVENTS_PER_ORGANIZER))


def venue_count(events: int) -> int:
    """About one venue per 10 events, at least one."""
    return max(1, round(events / EVENTS_PER_VENUE))


def chunk_count(events: int) -> int:
    """How many chunks ``events`` events are generated in."""
    return math.ceil(events / CHUNK_SIZE)


def build_world(seed: int, events: int, reference_date: date, cities: Sequence[City] | None = None) -> World:
    """Organizers and venues for a data set of ``events`` events."""
    rng = random.Random(f"happenings-seed/{seed}/world")
    picker = city_picker(cities if cities is not None else load_cities())
    organizers = [_organizer(rng, number) for number in range(organizer_count(events))]
    venues = [_venue(rng, picker, organizers) for _ in range(venue_count(events))]
    return World(seed, events, picker, organizers, venues, TimePlanner(reference_date))


def _organizer(rng: random.Random, number: int) -> Organizer:
    name = f"{pick(rng.random, ORGANIZER_FIRST)} {pick(rng.random, ORGANIZER_SECOND)}"
    slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())
    return Organizer(uuid4_int(rng.getrandbits(128)), name, f"{slug}.{number}@example.org")


def _venue(rng: random.Random, picker: Weighted[City], organizers: list[Organizer]) -> Venue:
    venue_id = uuid4_int(rng.getrandbits(128))
    city = picker.draw(rng.random)
    lat, lon = scatter_point(rng.random, city)
    owner = _pick_organizer(rng.random, organizers).id if rng.random() < VENUE_OWNED_SHARE else None
    name = f"{pick(rng.random, VENUE_FIRST)} {pick(rng.random, VENUE_SECOND)}"
    address = f"{1 + int(rng.random() * 240)} {pick(rng.random, STREETS)}"
    return Venue(venue_id, owner, name, address, city, lat, lon, cell_of(lat, lon))


def _pick_organizer(random: Uniform, organizers: list[Organizer]) -> Organizer:
    # Squaring the uniform draw favours the first organizers: a few big ones, many small ones.
    return organizers[int(random() ** 2 * len(organizers))]


def generate_chunk(world: World, chunk: int) -> list[EventRow]:
    """The events of chunk ``chunk`` (the last one may be short)."""
    rng = random.Random(f"happenings-seed/{world.seed}/events/{chunk}")
    size = min(CHUNK_SIZE, world.events - chunk * CHUNK_SIZE)
    return [_event(rng, world) for _ in range(size)]


def iter_events(world: World) -> Iterator[EventRow]:
    """Every event of the world, chunk after chunk."""
    for chunk in range(chunk_count(world.events)):
        yield from generate_chunk(world, chunk)


class _Kind(NamedTuple):
    """A category's draw tables, prepared once."""

    words: CategoryWords
    # Every title phrase, split where the place name goes: ``place.join(parts)`` is the phrase.
    phrases: tuple[tuple[str, ...], ...]
    # Every tag combination of each size 0..MAX_TAGS: drawing one is a single index.
    tag_sets: tuple[tuple[tuple[str, ...], ...], ...]
    start_minutes: tuple[int, ...]


_PLACE_MARK = "\x00"


def _kind(words: CategoryWords) -> _Kind:
    phrases = tuple(
        tuple(template.format(a=first, b=second, venue=_PLACE_MARK).split(_PLACE_MARK))
        for template, first, second in itertools.product(words.templates, words.first_words, words.second_words)
    )
    sizes = range(min(MAX_TAGS, len(words.tags)) + 1)
    tag_sets = tuple(tuple(itertools.combinations(words.tags, size)) for size in sizes)
    return _Kind(words, phrases, tag_sets, start_minutes(words.daytime_share))


_KINDS = expand([(_kind(words), words.weight) for words in CATEGORIES])


def _event(rng: random.Random, world: World) -> EventRow:
    random = rng.random
    event_id = uuid4_int(rng.getrandbits(128))
    kind = pick(random, _KINDS)
    words = kind.words
    venue_id: int | None = None
    venue_name: str | None = None
    organizer_id: int | None = None
    if random() < VENUE_EVENT_SHARE:
        venue = pick(random, world.venues)
        venue_id, city, lat, lon, cell = venue.id, venue.city, venue.lat, venue.lon, venue.cell
        venue_name = place = venue.name
        if venue.organizer_id is not None and random() < VENUE_ORGANIZER_SHARE:
            organizer_id = venue.organizer_id
    else:
        city = world.cities.draw(random)
        lat, lon = scatter_point(random, city)
        cell, place = cell_of(lat, lon), pick(random, OUTDOOR_PLACES)
    if organizer_id is None:
        organizer_id = _pick_organizer(random, world.organizers).id
    starts, ends = world.planner.draw(random, city.timezone, kind.start_minutes)
    price = draw_price(random, city.currency)
    return EventRow(
        cell, event_id, organizer_id, venue_id, venue_name, words.slug,
        # City names reach ~60 characters: never break the 200-character limit.
        f"{place.join(pick(random, kind.phrases))} — {city.name}"[:MAX_TITLE],
        f"{pick(random, words.descriptions)} At {place}, {city.name}.",
        pick(random, pick(random, kind.tag_sets)),
        starts, ends, city.timezone, pick(random, STATUSES), *price, pick(random, CAPACITIES),
        # Long-tailed: most events have a handful of interested people, a few have thousands.
        min(MAX_POPULARITY, int(20.0 * ((1.0 - random()) ** (-1.0 / POPULARITY_ALPHA) - 1.0))),
        lat, lon,
    )  # fmt: skip

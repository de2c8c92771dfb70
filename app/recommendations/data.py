"""What the recommender learns from and ranks: observed interactions and the public event catalogue.

These records are the whole input of training (``TrainingInput``) and of a person's state: nothing
else reaches the model. ``tests/recommendations/test_training_input.py`` pins their fields, so a
simulator's hidden variables (a person's true home, tastes, habits, friends) cannot leak in.
Times are UTC epoch seconds; ``weekday``/``hour`` are the event's local start (its own time zone).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

Id = Hashable


@dataclass(frozen=True, slots=True)
class Interaction:
    """One observed signal (a row of ``interactions``)."""

    account_id: Id
    event_id: Id | None
    organizer_id: Id | None
    category: str | None
    kind: str  # view | save | share | rsvp | purchase | follow
    occurred_at: float


@dataclass(frozen=True, slots=True)
class EventInfo:
    """The public facts of one event that ranking uses (a row of ``events``)."""

    event_id: Id
    organizer_id: Id
    venue_id: Id | None
    category: str
    tags: tuple[str, ...]
    lat: float
    lon: float
    starts_at: float
    weekday: int  # 0 = Monday, local to the event
    hour: int  # local to the event
    listed_popularity: int = 0  # the event's own ``popularity`` column


@dataclass(frozen=True, slots=True)
class TrainingInput:
    """Everything training may read: interactions, the events they and the candidates are about,
    the interests people chose, and the time of training."""

    interactions: Sequence[Interaction]
    events: Mapping[Id, EventInfo]
    interests: Mapping[Id, tuple[str, ...]] = field(default_factory=dict)
    now: float = 0.0


# Signal strength per kind: a purchase or an RSVP says more than a glance at the detail.
KIND_WEIGHT = {"view": 1.0, "save": 3.0, "share": 3.0, "follow": 4.0, "rsvp": 5.0, "purchase": 6.0}
# What counts as "went" (or meant to): the targets the ranker learns to put first.
POSITIVE_KINDS = frozenset({"rsvp", "purchase"})
HALF_LIFE_S = 120 * 86400.0


def entity_keys(event: EventInfo) -> list[str]:
    """What persists beyond one event: its organizer, venue, category and tags (the collaborative
    signals go through these, because events themselves are always new)."""
    keys = [f"o:{event.organizer_id}", f"c:{event.category}"]
    if event.venue_id is not None:
        keys.append(f"v:{event.venue_id}")
    keys.extend(f"t:{tag}" for tag in event.tags[:8])
    return keys

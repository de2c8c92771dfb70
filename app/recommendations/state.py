"""A person as the ranker sees them: affinities, usual place and radius, going-out habits.

Built from observed interactions only (and the interests chosen at sign-up), as of a moment:
older signals weigh less (half-life ``HALF_LIFE_S``). The same function serves training (the state
before a cut-off) and requests (the state now), so both see the same features.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from app.recommendations.data import HALF_LIFE_S, KIND_WEIGHT, POSITIVE_KINDS, EventInfo, Id, Interaction, entity_keys
from geo.distance import haversine_m

INTEREST_WEIGHT = 3.0
HABIT_BUCKETS = 7 * 6  # weekday x 4-hour slot


@dataclass(slots=True)
class PersonState:
    weights: dict[str, float] = field(default_factory=dict)  # entity key -> affinity
    total: float = 0.0
    centroid: tuple[float, float] | None = None
    radius_m: float | None = None
    habit: np.ndarray | None = None  # HABIT_BUCKETS probabilities, None without history
    seen: set[Id] = field(default_factory=set)  # events already acted on (not recommended again)
    went: dict[str, Id] = field(default_factory=dict)  # organizer key -> last event gone to (for reasons)
    followed: set[Id] = field(default_factory=set)
    interests: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return self.total > 0

    def affinity(self, key: str) -> float:
        return self.weights.get(key, 0.0) / self.total if self.total else 0.0


def habit_bucket(weekday: int, hour: int) -> int:
    return weekday * 6 + hour // 4


def build_state(
    interactions: Iterable[Interaction],
    events: Mapping[Id, EventInfo],
    interests: tuple[str, ...],
    now: float,
) -> PersonState:
    """The state of one person from their own interactions up to ``now`` (later ones are ignored)."""
    state = PersonState(interests=interests)
    weights: dict[str, float] = defaultdict(float)
    habit = np.zeros(HABIT_BUCKETS)
    points: list[tuple[float, float, float]] = []
    last_went: dict[str, float] = {}
    for signal in interactions:
        if signal.occurred_at > now:
            continue
        weight = KIND_WEIGHT.get(signal.kind, 1.0) * 0.5 ** ((now - signal.occurred_at) / HALF_LIFE_S)
        if signal.kind == "follow" and signal.organizer_id is not None:
            state.followed.add(signal.organizer_id)
            weights[f"o:{signal.organizer_id}"] += weight
            continue
        event = events.get(signal.event_id) if signal.event_id is not None else None
        if event is None:  # gone from the catalogue: what persists still counts
            if signal.organizer_id is not None:
                weights[f"o:{signal.organizer_id}"] += weight
            if signal.category is not None:
                weights[f"c:{signal.category}"] += weight
            continue
        state.seen.add(event.event_id)
        for key in entity_keys(event):
            weights[key] += weight if key[0] in "oc" else weight * 0.5
        points.append((event.lat, event.lon, weight))
        habit[habit_bucket(event.weekday, event.hour)] += weight
        if signal.kind in POSITIVE_KINDS | {"save"}:
            key = f"o:{event.organizer_id}"
            if signal.occurred_at >= last_went.get(key, -math.inf):
                last_went[key] = signal.occurred_at
                state.went[key] = event.event_id
    for category in interests:
        weights[f"c:{category}"] += INTEREST_WEIGHT
    state.weights = dict(weights)
    state.total = sum(weights.values())
    if points:
        _place(state, points)
        state.habit = (habit + 0.25) / (habit.sum() + 0.25 * HABIT_BUCKETS)
    return state


def _place(state: PersonState, points: list[tuple[float, float, float]]) -> None:
    """Where the person goes: the weighted median point, and the distance covering most of it."""
    lats = np.array([p[0] for p in points])
    lons = np.array([p[1] for p in points])
    lat, lon = float(np.median(lats)), float(np.median(lons))
    state.centroid = (lat, lon)
    distances = np.array([haversine_m(lat, lon, a, b) for a, b in zip(lats, lons, strict=True)])
    state.radius_m = float(np.clip(np.percentile(distances, 80), 1_500.0, 60_000.0))

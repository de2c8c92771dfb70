"""The ranker's features of (person, candidate event) pairs, one row per candidate.

Shared by training (the state before a cut-off, candidates after it) and serving, so the ranker
sees at request time exactly what it learned from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.recommendations.data import EventInfo, Id, entity_keys
from app.recommendations.state import PersonState, habit_bucket
from geo.distance import haversine_many_m

FEATURES = (
    "distance",  # exp(-d / usual radius)
    "category",  # share of the person's signals on this category (interests included)
    "organizer",  # ... on this organizer (follows included)
    "venue",
    "tags",
    "collab",  # the person's taste vector against the event's organizer/venue/category/tags (ALS)
    "popularity",  # log interactions with this event so far
    "velocity",  # log interactions in the last 7 days
    "organizer_popularity",  # log interactions with this organizer's events
    "listed_popularity",  # the catalogue's own popularity figure
    "time_fit",  # how the start's weekday and hour fit the person's habits
    "soon",  # how soon it starts
)
DEFAULT_RADIUS_M = 8_000.0
SOON_SCALE_S = 10 * 86400.0


@dataclass(frozen=True, slots=True)
class Counts:
    """Popularity as of a moment: interactions per event, in the last week, per organizer."""

    event: Mapping[Id, float]
    recent: Mapping[Id, float]
    organizer: Mapping[Id, float]


Matrix = npt.NDArray[np.float64]


def feature_matrix(
    state: PersonState,
    taste: npt.NDArray[np.float32] | None,
    entity_vectors: EntityVectors,
    candidates: Sequence[EventInfo],
    counts: Counts,
    point: tuple[float, float],
    now: float,
) -> Matrix:
    """One row of ``FEATURES`` per candidate."""
    n = len(candidates)
    x = np.zeros((n, len(FEATURES)))
    if n == 0:
        return x
    lats = np.fromiter((c.lat for c in candidates), float, n)
    lons = np.fromiter((c.lon for c in candidates), float, n)
    distance = haversine_many_m(point[0], point[1], lats, lons)
    x[:, 0] = np.exp(-distance / (state.radius_m or DEFAULT_RADIUS_M))
    for i, event in enumerate(candidates):
        x[i, 1] = state.affinity(f"c:{event.category}")
        x[i, 2] = state.affinity(f"o:{event.organizer_id}") + (0.2 if event.organizer_id in state.followed else 0.0)
        if event.venue_id is not None:
            x[i, 3] = state.affinity(f"v:{event.venue_id}")
        if event.tags:
            x[i, 4] = max(state.affinity(f"t:{tag}") for tag in event.tags)
        x[i, 6] = np.log1p(counts.event.get(event.event_id, 0.0))
        x[i, 7] = np.log1p(counts.recent.get(event.event_id, 0.0))
        x[i, 8] = np.log1p(counts.organizer.get(event.organizer_id, 0.0))
        x[i, 9] = np.log1p(event.listed_popularity)
        if state.habit is not None:
            x[i, 10] = np.log(state.habit[habit_bucket(event.weekday, event.hour)] * len(state.habit))
    if taste is not None:
        x[:, 5] = entity_vectors.scores(taste, candidates)
    starts = np.fromiter((c.starts_at for c in candidates), float, n)
    x[:, 11] = np.exp(-np.maximum(starts - now, 0.0) / SOON_SCALE_S)
    return x


class EntityVectors:
    """Factors of organizers, venues, categories and tags (ALS item factors) and the fold-in of a
    person's signals into a taste vector (the ALS user step, solved for one person)."""

    def __init__(self, index: Mapping[str, int], factors: npt.NDArray[np.float32], regularization: float) -> None:
        self.index = dict(index)
        self.factors = np.asarray(factors, dtype=np.float32)
        k = self.factors.shape[1] if self.factors.ndim == 2 else 0
        self._gram = self.factors.T @ self.factors + regularization * np.eye(k, dtype=np.float32)

    def taste(self, weights: Mapping[str, float], alpha: float = 2.0) -> npt.NDArray[np.float32] | None:
        rows = [(self.index[key], w) for key, w in weights.items() if key in self.index and w > 0]
        if not rows or self.factors.size == 0:
            return None
        ids = np.array([r[0] for r in rows])
        confidence = 1.0 + alpha * np.array([r[1] for r in rows], dtype=np.float32)
        y = self.factors[ids]
        a = self._gram + (y.T * (confidence - 1.0)) @ y
        b = (y.T * confidence).sum(axis=1)
        result: npt.NDArray[np.float32] = np.linalg.solve(a, b).astype(np.float32)
        return result

    def scores(self, taste: npt.NDArray[np.float32], candidates: Sequence[EventInfo]) -> Matrix:
        out = np.zeros(len(candidates))
        for i, event in enumerate(candidates):
            ids = [self.index[key] for key in entity_keys(event) if key in self.index]
            if ids:
                out[i] = float((self.factors[ids] @ taste).mean())
        return out

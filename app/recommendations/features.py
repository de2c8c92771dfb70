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
    # Column by column (one comprehension each, numpy for the arithmetic): a few hundred candidates.
    weight = state.weights.get
    if state.total:
        x[:, 1] = [weight(f"c:{c.category}", 0.0) for c in candidates]
        x[:, 2] = [weight(f"o:{c.organizer_id}", 0.0) for c in candidates]
        x[:, 3] = [0.0 if c.venue_id is None else weight(f"v:{c.venue_id}", 0.0) for c in candidates]
        x[:, 4] = [max([weight(f"t:{tag}", 0.0) for tag in c.tags], default=0.0) for c in candidates]
        x[:, 1:5] /= state.total
    if state.followed:
        x[:, 2] += [0.2 if c.organizer_id in state.followed else 0.0 for c in candidates]
    x[:, 6] = np.log1p([counts.event.get(c.event_id, 0.0) for c in candidates])
    x[:, 7] = np.log1p([counts.recent.get(c.event_id, 0.0) for c in candidates])
    x[:, 8] = np.log1p([counts.organizer.get(c.organizer_id, 0.0) for c in candidates])
    x[:, 9] = np.log1p([c.listed_popularity for c in candidates])
    if state.habit is not None:
        buckets = [habit_bucket(c.weekday, c.hour) for c in candidates]
        x[:, 10] = np.log(state.habit[buckets] * len(state.habit))
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
        """The mean of the taste against each candidate's known entities (0 without any): one
        product per distinct entity, then a sum per candidate."""
        index = self.index.get
        rows: list[int] = []
        owners: list[int] = []
        for i, event in enumerate(candidates):
            for key in entity_keys(event):
                row = index(key)
                if row is not None:
                    rows.append(row)
                    owners.append(i)
        out = np.zeros(len(candidates))
        if not rows:
            return out
        distinct, inverse = np.unique(np.asarray(rows), return_inverse=True)
        per_entity = (self.factors[distinct] @ taste).astype(np.float64)
        n = len(candidates)
        sums = np.bincount(owners, weights=per_entity[inverse], minlength=n)
        known = np.bincount(owners, minlength=n)
        np.divide(sums, known, out=out, where=known > 0)
        return out

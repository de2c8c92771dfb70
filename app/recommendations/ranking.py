"""Ranking a bounded candidate set: the learned blend, then diversity, then the reasons.

Pure (no I/O): the API feeds it candidates from the area's cells, the offline evaluation feeds it
simulated ones, and both get the same order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

import numpy as np
import numpy.typing as npt

from app.recommendations.data import EventInfo, Id
from app.recommendations.features import FEATURES, Counts, EntityVectors, feature_matrix
from app.recommendations.model import Model, prior_weights
from app.recommendations.state import PersonState
from geo.distance import haversine_many_m

# In each window of this many places, at most this many from one organizer / one category.
WINDOW = 10
MAX_PER_ORGANIZER = 3
MAX_PER_CATEGORY = 5
REASON_MIN = 0.15  # a feature's part of the score below this is not worth saying
DIVERSIFIED = 200  # the head of the blend's order that is re-ranked (and the look-ahead of each pick)
_EMPTY = Counts({}, {}, {})


@dataclass(frozen=True, slots=True)
class Ranked:
    event: EventInfo
    score: float
    distance_m: float
    reasons: tuple[tuple[str, dict[str, object]], ...]  # (code, details) — worded by the caller


def prior_model() -> Model:
    """Before any training: the hand-set blend over raw features."""
    mean, scale, weights = prior_weights()
    return Model(EntityVectors({}, np.zeros((0, 1), dtype=np.float32), 0.1), mean, scale, weights, _EMPTY, 0.0)


def rank(
    model: Model,
    state: PersonState,
    candidates: Sequence[EventInfo],
    point: tuple[float, float],
    now: float,
    *,
    counts: Counts | None = None,
    diversify: bool = True,
    explain: int | None = None,
    places: int | None = None,
) -> list[Ranked]:
    """Every candidate (except events the person already acted on), best first; the reasons of the
    first ``explain`` (all when None), the part a caller shows. With ``places``, only that many
    are re-ranked for diversity (the greedy re-rank's first places do not depend on the later ones);
    a caller that keeps no more loses nothing."""
    pool = [c for c in candidates if c.event_id not in state.seen]
    if not pool:
        return []
    taste = model.vectors.taste(state.weights) if state.known else None
    x = feature_matrix(state, taste, model.vectors, pool, counts or model.counts, point, now)
    scores = model.score(x)
    # Ties in the id's text order (a UUID's own order is the same, without formatting each).
    ids = [c.event_id if isinstance(c.event_id, UUID) else str(c.event_id) for c in pool]
    order = sorted(range(len(pool)), key=lambda i: (-scores[i], ids[i]))
    if diversify:  # the head is what people see; the tail keeps the blend's order
        organizers: dict[Id, int] = {}
        categories: dict[str, int] = {}
        keys = [
            (organizers.setdefault(c.organizer_id, len(organizers)), categories.setdefault(c.category, len(categories)))
            for c in pool
        ]
        head = diversified(order[:DIVERSIFIED], keys.__getitem__, places=places)
        order = head + order[DIVERSIFIED:]
    lats = np.fromiter((c.lat for c in pool), float, len(pool))
    lons = np.fromiter((c.lon for c in pool), float, len(pool))
    distances = haversine_many_m(point[0], point[1], lats, lons)
    explained = len(order) if explain is None else explain
    parts = model.contributions(x[order[:explained]])
    return [
        Ranked(
            pool[i],
            float(scores[i]),
            float(distances[i]),
            _reasons(parts[place], x[i], state, pool[i]) if place < explained else (),
        )
        for place, i in enumerate(order)
    ]


def diversified(
    order: Sequence[int], keys: Callable[[int], tuple[Hashable, Hashable]], *, places: int | None = None
) -> list[int]:
    """Greedy re-rank: take the best remaining item that keeps every window of ``WINDOW`` places
    within ``MAX_PER_ORGANIZER`` per organizer and ``MAX_PER_CATEGORY`` per category; when none
    fits both, the best that fits the organizer bound, then the best that fits the category bound,
    then the best remaining (a short list of one organizer is still a list). Looks ahead at most
    ``DIVERSIFIED`` items; the window's counts are kept as it slides. With ``places``, stops after
    that many picks (the rest follows in the given order)."""
    remaining = [(item, *keys(item)) for item in order]
    chosen: list[tuple[int, Hashable, Hashable]] = []
    organizers: Counter[Hashable] = Counter()
    categories: Counter[Hashable] = Counter()
    wanted = len(remaining) if places is None else min(places, len(remaining))
    while len(chosen) < wanted:
        if len(chosen) >= WINDOW:  # the window is the last WINDOW - 1 places chosen: one leaves it
            _, organizer, category = chosen[-WINDOW]
            organizers[organizer] -= 1
            categories[category] -= 1
        picked = _first_fit(remaining, organizers, categories)
        entry = remaining.pop(picked)
        chosen.append(entry)
        organizers[entry[1]] += 1
        categories[entry[2]] += 1
    return [entry[0] for entry in chosen] + [entry[0] for entry in remaining]


def _first_fit(
    remaining: Sequence[tuple[int, Hashable, Hashable]], organizers: Counter[Hashable], categories: Counter[Hashable]
) -> int:
    """The first item within both bounds, else within the organizer bound, else the category one, else 0."""
    organizer_fit = category_fit = -1
    for position, (_, organizer, category) in enumerate(remaining[:DIVERSIFIED]):
        fits_organizer = organizers[organizer] < MAX_PER_ORGANIZER
        fits_category = categories[category] < MAX_PER_CATEGORY
        if fits_organizer and fits_category:
            return position
        if fits_organizer and organizer_fit < 0:
            organizer_fit = position
        if fits_category and category_fit < 0:
            category_fit = position
    if organizer_fit >= 0:
        return organizer_fit
    return max(category_fit, 0)


def _reasons(
    parts: npt.NDArray[np.float64], x: npt.NDArray[np.float64], state: PersonState, event: EventInfo
) -> tuple[tuple[str, dict[str, object]], ...]:
    named: Mapping[str, float] = dict(zip(FEATURES, parts, strict=True))
    raw: Mapping[str, float] = dict(zip(FEATURES, x, strict=True))
    reasons: list[tuple[float, str, dict[str, object]]] = []
    organizer_key = f"o:{event.organizer_id}"
    if event.organizer_id in state.followed:
        reasons.append((9.0, "follows_organizer", {"organizer_id": event.organizer_id}))
    elif named["organizer"] > REASON_MIN and organizer_key in state.went:
        reasons.append((named["organizer"], "went_to", {"event_id": state.went[organizer_key]}))
    if named["category"] > REASON_MIN or (event.category in state.interests and raw["category"] > 0):
        code = "interest" if event.category in state.interests else "likes_category"
        reasons.append((named["category"] + 0.01, code, {"category": event.category}))
    if named["collab"] > REASON_MIN:
        reasons.append((named["collab"], "similar_people", {"category": _top_category(state) or event.category}))
    if named["popularity"] + named["velocity"] > REASON_MIN:
        code = "trending" if named["velocity"] > named["popularity"] else "popular_nearby"
        reasons.append((named["popularity"] + named["velocity"], code, {}))
    if named["time_fit"] > REASON_MIN:
        reasons.append((named["time_fit"], "usual_time", {"weekday": event.weekday, "hour": event.hour}))
    reasons.append((max(named["distance"], 0.05), "distance", {}))  # always said: how far it is
    reasons.sort(key=lambda r: -r[0])
    return tuple((code, details) for _, code, details in reasons[:3])


def _top_category(state: PersonState) -> str | None:
    best = max(
        ((w, key[2:]) for key, w in state.weights.items() if key.startswith("c:")), default=None, key=lambda p: p[0]
    )
    return None if best is None else best[1]

"""Training: collaborative factors over what persists, and a learned ranker over the features.

1. **Factors**: implicit-feedback ALS (``implicit``) over a person x entity matrix, where entities
   are organizers, venues, categories and tags (never event ids alone: every event to recommend
   is new). A person's taste vector is folded in at request time from their latest signals, so the
   model holds no person and a new save changes the next list.
2. **Ranker**: a logistic regression (scikit-learn) over ``features.FEATURES``, trained on a time
   split of the observed history: the state before the cut-off, and as examples the events each
   person went to after it against events near them they did not go to.
3. **Popularity**: interaction counts per event, per organizer and of the last week, at training time.

``train`` takes only a ``TrainingInput`` (observed data) and returns a ``Model``; pickled into
``recommendation_models`` by ``app.recommendations.store``.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from app.recommendations.data import KIND_WEIGHT, POSITIVE_KINDS, EventInfo, Id, Interaction, TrainingInput, entity_keys
from app.recommendations.features import FEATURES, Counts, EntityVectors, feature_matrix
from app.recommendations.state import build_state
from geo.distance import haversine_m

log = logging.getLogger("happenings.recommendations")

WEEK_S = 7 * 86400.0
NEGATIVES_PER_POSITIVE = 8
MAX_POSITIVES_PER_PERSON = 10
MAX_RANKER_PEOPLE = 20_000
NEAR_DEG = 0.25  # the grid that finds negatives near a person


@dataclass(slots=True)
class Model:
    """What serving needs: no person's data, only entities, weights and counts."""

    vectors: EntityVectors
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    coef: npt.NDArray[np.float64]
    counts: Counts
    trained_at: float
    summary: dict[str, object] = field(default_factory=dict)
    version: int = 0

    def score(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        result: npt.NDArray[np.float64] = ((x - self.mean) / self.scale) @ self.coef
        return result

    def contributions(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Each feature's part of each score (for the reasons), relative to an average candidate."""
        result: npt.NDArray[np.float64] = ((x - self.mean) / self.scale) * self.coef
        return result


def train(data: TrainingInput, *, factors: int = 32, iterations: int = 15, seed: int = 7) -> Model:
    """A model from observed interactions only."""
    signals = sorted(data.interactions, key=lambda s: s.occurred_at)
    by_person = _by_person(signals)
    positive_times = [s.occurred_at for s in signals if s.kind in POSITIVE_KINDS]
    cut = float(np.quantile(positive_times, 0.8)) if len(positive_times) >= 10 else data.now
    history = [s for s in signals if s.occurred_at < cut]
    rng = random.Random(seed)
    ranker_vectors = fit_factors(history, data.events, factors, iterations, seed)
    x, y = _examples(by_person, data, cut, ranker_vectors, counts_at(history, data.events, cut), rng)
    mean, scale, coef = _fit_ranker(x, y, seed)
    vectors = fit_factors(signals, data.events, factors, iterations, seed)
    summary: dict[str, object] = {
        "interactions": len(signals),
        "people": len(by_person),
        "entities": len(vectors.index),
        "examples": len(y),
        "positives": int(y.sum()) if len(y) else 0,
        "weights": {name: round(float(w), 4) for name, w in zip(FEATURES, coef, strict=True)},
    }
    counts = counts_at(signals, data.events, data.now)
    return Model(vectors, mean, scale, coef, counts, data.now, summary)


def _by_person(signals: Sequence[Interaction]) -> dict[Id, list[Interaction]]:
    people: dict[Id, list[Interaction]] = defaultdict(list)
    for signal in signals:
        people[signal.account_id].append(signal)
    return people


def fit_factors(
    signals: Sequence[Interaction], events: Mapping[Id, EventInfo], factors: int, iterations: int, seed: int
) -> EntityVectors:
    """ALS over person x entity (organizer, venue, category, tag) with signal weights as confidence."""
    from implicit.cpu.als import AlternatingLeastSquares  # heavy: never on the API's start path
    from scipy.sparse import csr_matrix
    from threadpoolctl import threadpool_limits

    people: dict[Id, int] = {}
    entities: dict[str, int] = {}
    cells: dict[tuple[int, int], float] = defaultdict(float)
    for signal in signals:
        keys = _keys_of(signal, events)
        person = people.setdefault(signal.account_id, len(people))
        for key in keys:
            cells[(person, entities.setdefault(key, len(entities)))] += KIND_WEIGHT.get(signal.kind, 1.0)
    regularization = 0.1
    if not cells:
        return EntityVectors({}, np.zeros((0, factors), dtype=np.float32), regularization)
    rows, cols = zip(*cells.keys(), strict=True)
    values = np.log1p(np.fromiter(cells.values(), np.float32, len(cells))) * 4.0
    matrix = csr_matrix((values, (rows, cols)), shape=(len(people), len(entities)), dtype=np.float32)
    model = AlternatingLeastSquares(
        factors=factors, regularization=regularization, iterations=iterations, random_state=seed
    )
    with threadpool_limits(1, "blas"):
        model.fit(matrix, show_progress=False)
    return EntityVectors(entities, np.asarray(model.item_factors), regularization)


def _keys_of(signal: Interaction, events: Mapping[Id, EventInfo]) -> list[str]:
    event = events.get(signal.event_id) if signal.event_id is not None else None
    if event is not None:
        return entity_keys(event)
    keys = []
    if signal.organizer_id is not None:
        keys.append(f"o:{signal.organizer_id}")
    if signal.category is not None:
        keys.append(f"c:{signal.category}")
    return keys


def counts_at(signals: Sequence[Interaction], events: Mapping[Id, EventInfo], now: float) -> Counts:
    """Interactions per event (all, last week) and per organizer, up to ``now``."""
    event: dict[Id, float] = defaultdict(float)
    recent: dict[Id, float] = defaultdict(float)
    organizer: dict[Id, float] = defaultdict(float)
    for signal in signals:
        if signal.occurred_at > now:
            continue
        weight = KIND_WEIGHT.get(signal.kind, 1.0)
        if signal.event_id is not None:
            event[signal.event_id] += weight
            if now - signal.occurred_at <= WEEK_S:
                recent[signal.event_id] += weight
        if signal.organizer_id is not None:
            organizer[signal.organizer_id] += weight
    return Counts(dict(event), dict(recent), dict(organizer))


def _examples(
    by_person: Mapping[Id, list[Interaction]],
    data: TrainingInput,
    cut: float,
    vectors: EntityVectors,
    counts: Counts,
    rng: random.Random,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Positives: events a person went to after the cut; negatives: events near them after the cut."""
    grid = _grid([e for e in data.events.values() if e.starts_at >= cut])
    xs: list[npt.NDArray[np.float64]] = []
    ys: list[npt.NDArray[np.float64]] = []
    people = list(by_person)
    if len(people) > MAX_RANKER_PEOPLE:  # twelve weights need far fewer examples than a big city gives
        people = rng.sample(people, MAX_RANKER_PEOPLE)
    for person in people:
        signals = by_person[person]
        later = {s.event_id for s in signals if s.occurred_at >= cut and s.kind in POSITIVE_KINDS}
        later &= set(data.events)
        before = [s for s in signals if s.occurred_at < cut]
        if not later:
            continue
        state = build_state(before, data.events, data.interests.get(person, ()), cut)
        positives = [data.events[e] for e in sorted(later, key=str)[:MAX_POSITIVES_PER_PERSON]]
        point = state.centroid or (positives[0].lat, positives[0].lon)
        wanted = NEGATIVES_PER_POSITIVE * len(positives)
        drawn = _sample_near(grid, point, 2 * wanted, rng)
        negatives = [e for e in drawn if e.event_id not in later and e.event_id not in state.seen][:wanted]
        candidates = positives + negatives
        taste = vectors.taste(state.weights)
        xs.append(feature_matrix(state, taste, vectors, candidates, counts, point, cut))
        ys.append(np.r_[np.ones(len(positives)), np.zeros(len(negatives))])
    if not xs:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    return np.vstack(xs), np.concatenate(ys)


def _grid(events: Sequence[EventInfo]) -> dict[tuple[int, int], list[EventInfo]]:
    grid: dict[tuple[int, int], list[EventInfo]] = defaultdict(list)
    for event in events:
        grid[(int(event.lat // NEAR_DEG), int(event.lon // NEAR_DEG))].append(event)
    return grid


def _sample_near(
    grid: Mapping[tuple[int, int], list[EventInfo]], point: tuple[float, float], k: int, rng: random.Random
) -> list[EventInfo]:
    """Up to ``k`` events drawn (with replacement) from the grid squares around the point, without
    copying them: a city's squares hold tens of thousands of events."""
    row, col = int(point[0] // NEAR_DEG), int(point[1] // NEAR_DEG)
    squares = [grid[key] for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (key := (row + dr, col + dc)) in grid]
    sizes = np.cumsum([len(square) for square in squares])
    if not squares or sizes[-1] == 0:
        return []
    drawn = []
    for _ in range(k):
        index = rng.randrange(int(sizes[-1]))
        square = int(np.searchsorted(sizes, index, side="right"))
        drawn.append(squares[square][index - (int(sizes[square - 1]) if square else 0)])
    return list({e.event_id: e for e in drawn}.values())


# Without enough examples to learn from, a hand-set blend: near, liked, popular, soon.
PRIOR = {"distance": 1.0, "category": 0.8, "organizer": 0.8, "venue": 0.2, "tags": 0.3, "collab": 0.5,
         "popularity": 0.6, "velocity": 0.4, "organizer_popularity": 0.3, "listed_popularity": 0.3,
         "time_fit": 0.3, "soon": 0.2}  # fmt: skip
# ... over features divided by these typical spreads (as the trained ranker standardises them).
PRIOR_SCALE = {"distance": 0.3, "category": 0.15, "organizer": 0.1, "venue": 0.1, "tags": 0.1, "collab": 0.1,
               "popularity": 2.0, "velocity": 1.5, "organizer_popularity": 2.0, "listed_popularity": 3.0,
               "time_fit": 1.0, "soon": 0.3}  # fmt: skip


def _fit_ranker(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], seed: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    if len(y) < 50 or y.sum() < 10 or y.sum() == len(y):
        return prior_weights()
    from sklearn.linear_model import LogisticRegression  # heavy: never on the API's start path

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    ranker = LogisticRegression(C=1.0, max_iter=500, random_state=seed)
    ranker.fit((x - mean) / scale, y)
    return mean, scale, np.asarray(ranker.coef_[0], dtype=np.float64)


def prior_weights() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(mean, scale, weights) of the hand-set blend."""
    scale = np.array([PRIOR_SCALE[name] for name in FEATURES])
    return np.zeros(len(FEATURES)), scale, np.array([PRIOR[name] for name in FEATURES])


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return haversine_m(a[0], a[1], b[0], b[1])

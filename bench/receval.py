"""Offline evaluation: hold out the last 20% of each person's RSVPs by time, train on what was
observed before, and score three rankers on the held-out period (see docs/recommendations-evaluation.md)."""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from app.recommendations.data import KIND_WEIGHT, POSITIVE_KINDS, EventInfo, Interaction, TrainingInput
from app.recommendations.features import Counts
from app.recommendations.model import WEEK_S, Model, train
from app.recommendations.ranking import rank
from app.recommendations.state import build_state
from bench.recsim import DAY, World
from geo.distance import haversine_many_m

HOLDOUT = 0.2
MIN_RSVPS = 5
CANDIDATE_RADIUS_M = 30_000.0
HORIZON_S = 21 * DAY
K = 10
METHODS = ("popularity", "nearest", "ours")


@dataclass(frozen=True, slots=True)
class Split:
    train: list[Interaction]
    cut: dict[str, float]  # person -> time of their first held-out RSVP
    held: dict[str, set[str]]  # person -> events of held-out RSVPs


def split(world: World) -> Split:
    rsvps: dict[str, list[Interaction]] = defaultdict(list)
    for s in world.interactions:
        if s.kind in POSITIVE_KINDS:
            rsvps[str(s.account_id)].append(s)
    cut: dict[str, float] = {}
    held: dict[str, set[str]] = {}
    for person, signals in rsvps.items():
        if len(signals) < MIN_RSVPS:
            continue
        n_held = max(1, math.ceil(HOLDOUT * len(signals)))
        last = signals[-n_held:]
        cut[person] = last[0].occurred_at
        held[person] = {str(s.event_id) for s in last}
    kept = [s for s in world.interactions if s.occurred_at < cut.get(str(s.account_id), math.inf)]
    return Split(kept, cut, held)


class CountsAt:
    """Popularity as it stood at any moment (no peeking at later interactions)."""

    def __init__(self, signals: list[Interaction]) -> None:
        events: dict[str, list[tuple[float, float]]] = defaultdict(list)
        orgs: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for s in signals:
            w = KIND_WEIGHT.get(s.kind, 1.0)
            if s.event_id is not None:
                events[str(s.event_id)].append((s.occurred_at, w))
            if s.organizer_id is not None:
                orgs[str(s.organizer_id)].append((s.occurred_at, w))
        self._events = {k: self._cum(v) for k, v in events.items()}
        self._orgs = {k: self._cum(v) for k, v in orgs.items()}

    @staticmethod
    def _cum(rows: list[tuple[float, float]]) -> tuple[list[float], np.ndarray]:
        rows.sort()
        return [r[0] for r in rows], np.concatenate([[0.0], np.cumsum([r[1] for r in rows])])

    @staticmethod
    def _at(table: dict[str, tuple[list[float], np.ndarray]], key: str, t: float) -> float:
        found = table.get(key)
        if found is None:
            return 0.0
        times, cum = found
        return float(cum[bisect_right(times, t)])

    def counts(self, candidates: list[EventInfo], t: float) -> Counts:
        event = {c.event_id: self._at(self._events, str(c.event_id), t) for c in candidates}
        recent = {
            c.event_id: event[c.event_id] - self._at(self._events, str(c.event_id), t - WEEK_S) for c in candidates
        }
        organizer = {c.organizer_id: self._at(self._orgs, str(c.organizer_id), t) for c in candidates}
        return Counts(event, recent, organizer)


def evaluate(world: World, seed: int) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    data = split(world)
    observed = world.observed()
    started = time.perf_counter()
    model = train(TrainingInput(data.train, observed.events, observed.interests, world.end), seed=seed)
    train_s = time.perf_counter() - started
    counts = CountsAt(data.train)
    by_person: dict[str, list[Interaction]] = defaultdict(list)
    for s in data.train:
        by_person[str(s.account_id)].append(s)
    catalogue = list(world.events.values())
    starts = np.array([e.starts_at for e in catalogue])
    lats = np.array([e.lat for e in catalogue])
    lons = np.array([e.lon for e in catalogue])
    results: dict[str, list[dict[str, float]]] = {m: [] for m in METHODS}
    shown: dict[str, set[str]] = {m: set() for m in METHODS}
    offered: set[str] = set()
    for person_id, cut in data.cut.items():
        history = by_person.get(person_id, [])
        hidden = world.people[person_id]
        state = build_state(history, world.events, observed.interests.get(person_id, ()), cut)
        if state.centroid is None:
            continue
        point = state.centroid  # observed: where the person's events were, never the hidden home
        d = haversine_many_m(point[0], point[1], lats, lons)
        pick = np.flatnonzero((starts > cut) & (starts <= cut + HORIZON_S) & (d <= CANDIDATE_RADIUS_M))
        candidates = [catalogue[i] for i in pick if catalogue[i].event_id not in state.seen]
        if not candidates:
            continue
        offered.update(str(c.event_id) for c in candidates)
        now_counts = counts.counts(candidates, cut)
        lists = _lists(model, state, candidates, point, cut, now_counts, d, pick)
        relevant = data.held[person_id]
        for method, ranked in lists.items():
            shown[method].update(ranked[:K])
            results[method].append(_metrics(ranked, relevant, world, hidden.home, hidden.radius_m))
    table = {m: {k: float(np.mean([r[k] for r in results[m]])) for k in results[m][0]} for m in METHODS}
    for m in METHODS:
        table[m]["coverage"] = len(shown[m]) / max(1, len(offered))
    info = {"train_s": train_s, "people": float(len(results["ours"])), "interactions": float(len(data.train))}
    return table, info


def _lists(
    model: Model,
    state: object,
    candidates: list[EventInfo],
    point: tuple[float, float],
    now: float,
    counts: Counts,
    d: np.ndarray,
    pick: np.ndarray,
) -> dict[str, list[str]]:
    distance = {
        catalogue_id: dist
        for catalogue_id, dist in zip((c.event_id for c in candidates), _dist(candidates, point), strict=True)
    }
    popularity = sorted(candidates, key=lambda c: (-counts.event.get(c.event_id, 0.0), distance[c.event_id]))
    nearest = sorted(candidates, key=lambda c: (distance[c.event_id], str(c.event_id)))
    ours = rank(model, state, candidates, point, now, counts=counts)  # type: ignore[arg-type]
    return {
        "popularity": [str(c.event_id) for c in popularity],
        "nearest": [str(c.event_id) for c in nearest],
        "ours": [str(r.event.event_id) for r in ours],
    }


def _dist(candidates: list[EventInfo], point: tuple[float, float]) -> np.ndarray:
    return haversine_many_m(
        point[0], point[1], np.array([c.lat for c in candidates]), np.array([c.lon for c in candidates])
    )


def _metrics(
    ranked: list[str], relevant: set[str], world: World, home: tuple[float, float], radius_m: float
) -> dict[str, float]:
    top = ranked[:K]
    hits = [1.0 if e in relevant else 0.0 for e in top]
    dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hits))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    recall = len(set(ranked[:50]) & relevant) / len(relevant)
    if top:
        events = [world.events[e] for e in top]
        dist = haversine_many_m(home[0], home[1], np.array([e.lat for e in events]), np.array([e.lon for e in events]))
        within = float(np.mean(dist <= radius_m))  # scored against the hidden home and radius
    else:
        within = 0.0
    return {
        "p@10": sum(hits) / K,
        "ndcg@10": dcg / ideal if ideal else 0.0,
        "recall@50": recall,
        "within_radius": within,
    }

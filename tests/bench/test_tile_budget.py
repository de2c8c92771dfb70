"""The tiles benchmark judges the miss target tile by tile (``bench.tiles.BudgetCheck``)."""

from __future__ import annotations

from bench.tiles import BudgetCheck, Run, miss_budget
from tiles.grid import Tile

MS = 0.001


def _runs(raw_ms: dict[Tile, list[float]], miss_ms: dict[Tile, list[float]]) -> tuple[Run, Run]:
    raw, miss = Run(), Run()
    for run, samples in ((raw, raw_ms), (miss, miss_ms)):
        for tile, values in samples.items():
            for value in values:
                run.add(tile, value * MS, 0)
    return raw, miss


def _two_clusters(sparse_miss: float) -> tuple[Run, Run]:
    """Five sparse tiles (raw 1 ms) and five dense ones (raw 3 ms), with one tail sample each way."""
    sparse = [Tile(14, x, 1) for x in range(5)]
    dense = [Tile(14, x, 2) for x in range(5)]
    raw = {t: [1.0, 1.0, 1.0] for t in sparse} | {t: [3.0, 3.0, 1.5] for t in dense}  # a fast dense sample
    miss = {t: [sparse_miss, sparse_miss, 3.4] for t in sparse} | {t: [4.5, 4.5, 4.5] for t in dense}  # a slow one
    return _runs(raw, miss)


def test_budget_is_one_point_two_times_raw_plus_one_millisecond() -> None:
    assert miss_budget(2 * MS) == 1.2 * 2 * MS + 1 * MS


def test_each_tile_is_held_to_its_own_sql() -> None:
    raw, miss = _two_clusters(sparse_miss=2.1)
    check = BudgetCheck.at_zoom(raw, miss, 14)

    assert check.within == 10
    assert check.met
    assert round(check.ratios[Tile(14, 0, 1)], 4) == round(2.1 / 2.2, 4)
    # The pooled p50s of the same samples fall between the clusters, on their tails, and fail.
    assert miss.at_zoom(14).p50 > miss_budget(raw.at_zoom(14).p50)


def test_a_zoom_fails_when_its_median_tile_is_over_budget() -> None:
    raw, miss = _two_clusters(sparse_miss=2.5)
    check = BudgetCheck.at_zoom(raw, miss, 14)

    assert check.within == 5
    assert not check.met
    assert check.median_ratio > 1


def test_only_the_zoom_asked_for_is_judged() -> None:
    raw, miss = _runs({Tile(4, 0, 0): [5.0], Tile(8, 0, 0): [1.0]}, {Tile(4, 0, 0): [6.0], Tile(8, 0, 0): [9.0]})
    assert list(BudgetCheck.at_zoom(raw, miss, 4).ratios) == [Tile(4, 0, 0)]
    assert BudgetCheck.at_zoom(raw, miss, 4).met
    assert not BudgetCheck.at_zoom(raw, miss, 8).met

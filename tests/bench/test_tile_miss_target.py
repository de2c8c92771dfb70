"""The tiles benchmark judges misses against the least cached miss (f), tile by tile (``bench.tiles.MissCheck``)."""

from __future__ import annotations

from bench.tiles import MISS_OVER_LEAST_S, MissCheck, Run
from tiles.grid import Tile

MS = 0.001


def _runs(least_ms: dict[Tile, list[float]], miss_ms: dict[Tile, list[float]]) -> tuple[Run, Run]:
    least, miss = Run(), Run()
    for run, samples in ((least, least_ms), (miss, miss_ms)):
        for tile, values in samples.items():
            for value in values:
                run.add(tile, value * MS, 0)
    return least, miss


def _two_clusters(sparse_miss: float) -> tuple[Run, Run]:
    """Five sparse tiles ((f) 2 ms) and five dense ones ((f) 4 ms), with one tail sample each way."""
    sparse = [Tile(14, x, 1) for x in range(5)]
    dense = [Tile(14, x, 2) for x in range(5)]
    least = {t: [2.0, 2.0, 2.0] for t in sparse} | {t: [4.0, 4.0, 2.5] for t in dense}  # a fast dense sample
    miss = {t: [sparse_miss, sparse_miss, 4.4] for t in sparse} | {t: [4.2, 4.2, 4.2] for t in dense}  # a slow one
    return _runs(least, miss)


def test_a_miss_may_take_three_tenths_of_a_millisecond_more_than_the_least_miss() -> None:
    assert MISS_OVER_LEAST_S == 0.3 * MS


def test_each_tile_is_held_to_its_own_least_miss() -> None:
    least, miss = _two_clusters(sparse_miss=2.2)
    check = MissCheck.at_zoom(least, miss, 14)

    assert check.within == 10
    assert check.met
    assert round(check.overs[Tile(14, 0, 1)] / MS, 6) == 0.2
    # The pooled p50s of the same samples fall between the clusters, on their tails, and fail.
    assert miss.at_zoom(14).p50 - least.at_zoom(14).p50 > MISS_OVER_LEAST_S


def test_a_zoom_fails_when_its_median_tile_is_over() -> None:
    least, miss = _two_clusters(sparse_miss=2.5)
    check = MissCheck.at_zoom(least, miss, 14)

    assert check.within == 5
    assert not check.met
    assert check.median_over > 0.3 * MS


def test_only_the_zoom_asked_for_is_judged() -> None:
    least, miss = _runs({Tile(4, 0, 0): [5.0], Tile(8, 0, 0): [1.0]}, {Tile(4, 0, 0): [5.2], Tile(8, 0, 0): [9.0]})
    assert list(MissCheck.at_zoom(least, miss, 4).overs) == [Tile(4, 0, 0)]
    assert MissCheck.at_zoom(least, miss, 4).met
    assert not MissCheck.at_zoom(least, miss, 8).met

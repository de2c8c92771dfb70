"""Fast, deterministic random draws for the generator's hot loop.

A million events need ~20 million draws, and ``random.Random``'s Python-level helpers
(``choice``, ``randrange``, ``lognormvariate``, ``sample``) cost many C-level calls each. Every draw here
takes one C-level ``random()`` call. Distributions that are drawn often are turned into draw
tables (an item repeated in proportion to its weight, or a distribution's evenly spaced
quantiles), so a draw is one index: indistinguishable for demo data, several times faster.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Sequence
from statistics import NormalDist
from typing import Generic, TypeVar

T = TypeVar("T")
Uniform = Callable[[], float]

NORMAL_QUANTILES = 4096
_Z = tuple(NormalDist().inv_cdf((index + 0.5) / NORMAL_QUANTILES) for index in range(NORMAL_QUANTILES))
# UUID version 4: version nibble 0100, variant bits 10 (same bits uuid.UUID(..., version=4) sets).
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def pick(random: Uniform, items: Sequence[T]) -> T:
    """One item, uniformly."""
    return items[int(random() * len(items))]


def lognormal(random: Uniform, mu: float, sigma: float) -> float:
    """A log-normal draw: exp(mu + sigma * Z)."""
    return math.exp(mu + sigma * _Z[int(random() * NORMAL_QUANTILES)])


def lognormal_quantiles(mu: float, sigma: float, count: int) -> list[float]:
    """``count`` evenly spaced quantiles of a log-normal distribution, smallest first."""
    return [math.exp(mu + sigma * NormalDist().inv_cdf((index + 0.5) / count)) for index in range(count)]


def expand(weighted: Sequence[tuple[T, int]]) -> tuple[T, ...]:
    """A draw table: each item repeated ``weight`` times, so ``pick`` draws it in proportion."""
    return tuple(item for item, weight in weighted for _ in range(weight))


def uuid4_int(bits: int) -> int:
    """128 random bits as a version-4 UUID's integer: ``uuid.UUID(int=bits, version=4).int`` without the object."""
    return (bits & _UUID_CLEAR) | _UUID_SET


class Weighted(Generic[T]):
    """Items drawn in proportion to their weights, with one ``random()`` and a bisection."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        if len(items) != len(weights) or not items:
            raise ValueError("need one weight per item, and at least one item")
        self.items = list(items)
        self._cumulative = list(itertools.accumulate(weights))
        self._total = self._cumulative[-1]

    def draw(self, random: Uniform) -> T:
        """One item, heavier ones more often."""
        index = bisect.bisect_right(self._cumulative, random() * self._total)
        # random() < 1.0, but float rounding of the product may still land on the total.
        return self.items[min(index, len(self.items) - 1)]

"""Slugs, prices in major units and sitemap ranges: pure functions."""

from __future__ import annotations

import itertools
from uuid import UUID

import pytest

from app.sharing.money import major_units
from app.sharing.sitemap import MAX_BITS, bits_for, id_range
from app.sharing.slugs import slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Jazz à la Cave — Nuit #3", "jazz-a-la-cave-nuit-3"),
        ("  Ünïcödé   Straße  ", "unicode-strae"),
        ("東京の夜", "event"),
        ("", "event"),
        ("a" * 100, "a" * 60),
        ("</script><b>", "script-b"),
    ],
)
def test_slugs_are_plain_ascii_words(title: str, slug: str) -> None:
    assert slugify(title) == slug


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(1250, "EUR", "12.50"), (1250, "JPY", "1250"), (1250, "KWD", "1.250"), (5, "USD", "0.05")],
)
def test_prices_in_major_units(amount: int, currency: str, text: str) -> None:
    assert major_units(amount, currency) == text


def test_sitemap_files_split_the_id_space_without_gaps() -> None:
    assert bits_for(0) == 0 and bits_for(20_000) == 0
    assert bits_for(1_000_000) == 6  # 2**6 files of ~15,600
    assert bits_for(10**12) == MAX_BITS
    bits = 3
    ranges = [id_range(bits, index) for index in range(2**bits)]
    assert ranges[0][0] == UUID(int=0) and ranges[-1][1] is None
    for (_, high), (low, _) in itertools.pairwise(ranges):
        assert high == low
    with pytest.raises(ValueError):
        id_range(bits, 2**bits)
    with pytest.raises(ValueError):
        id_range(MAX_BITS + 1, 0)

"""Tile maths: addresses, the fine grid, containment, invalidation neighbours, expansion zooms."""

from __future__ import annotations

import math
import random

import pytest

from geo.mercator import FINE_ZOOM, MAX_LAT, fine_position
from tiles.grid import (
    CLUSTER_LEVELS,
    InvalidTile,
    Tile,
    TileOutOfRange,
    expansion_zoom,
    parse_tile,
    tile_of,
    tiles_showing,
)


@pytest.mark.parametrize("z,x,y", [("-1", "0", "0"), ("1", "-0", "0"), ("1.0", "0", "0"), ("", "0", "0"),
                                   ("1", "0x1", "0"), ("01", "0", "0"), ("1", "0", " 1"), ("1", "0", "1e0"),
                                   ("99999999999", "0", "0")])
def test_malformed_addresses_are_refused(z: str, x: str, y: str) -> None:
    with pytest.raises((InvalidTile, TileOutOfRange)):
        parse_tile(z, x, y)


@pytest.mark.parametrize("z,x,y", [("23", "0", "0"), ("0", "1", "0"), ("3", "8", "0"), ("3", "0", "8")])
def test_out_of_range_addresses_are_refused(z: str, x: str, y: str) -> None:
    with pytest.raises(TileOutOfRange):
        parse_tile(z, x, y)


def test_max_zoom_setting_lowers_the_limit() -> None:
    assert parse_tile("22", "0", "0") == Tile(22, 0, 0)
    with pytest.raises(TileOutOfRange):
        parse_tile("15", "0", "0", max_zoom=14)


def test_known_tiles() -> None:
    # Null Island sits on the corner of the four z1 tiles; it belongs to the south-east one.
    assert tile_of(0.0, 0.0, 1) == Tile(1, 1, 1)
    assert tile_of(48.8584, 2.2945, 14) == Tile(14, 8296, 5636)  # the Eiffel Tower
    assert tile_of(-33.8568, 151.2153, 10) == Tile(10, 942, 614)  # Sydney Opera House
    assert tile_of(89.9, 179.9999, 3) == Tile(3, 7, 0)  # beyond Mercator: the edge row
    assert tile_of(-90.0, -180.0, 3) == Tile(3, 0, 7)


def test_bbox_holds_the_points_of_the_tile() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        lat, lon = rng.uniform(-MAX_LAT, MAX_LAT), rng.uniform(-180, 180)
        z = rng.randrange(0, 23)
        box = tile_of(lat, lon, z).bbox()
        assert box.west <= lon <= box.east and box.south <= lat <= box.north


def test_tiles_nest_and_clusters_never_straddle_tiles() -> None:
    rng = random.Random(4)
    for _ in range(500):
        lat, lon = rng.uniform(-80, 80), rng.uniform(-180, 180)
        px, py = fine_position(lat, lon)
        for z in range(0, 20):
            tile, child = tile_of(lat, lon, z), tile_of(lat, lon, z + 1)
            assert child in tile.children()
            cluster_cell = (px >> (FINE_ZOOM - z - CLUSTER_LEVELS), py >> (FINE_ZOOM - z - CLUSTER_LEVELS))
            assert (cluster_cell[0] >> CLUSTER_LEVELS, cluster_cell[1] >> CLUSTER_LEVELS) == (tile.x, tile.y)


def test_fine_bounds_are_half_open() -> None:
    tile = Tile(5, 10, 12)
    x0, x1, y0, y1 = tile.fine_bounds()
    assert x1 - x0 == y1 - y0 == 1 << (FINE_ZOOM - 5)
    assert (x0 >> tile.shift, (x1 - 1) >> tile.shift, x1 >> tile.shift) == (10, 10, 11)


def test_tiles_showing_adds_neighbours_only_near_edges() -> None:
    tile = Tile(14, 8296, 5636)
    box = tile.bbox()
    centre = ((box.south + box.north) / 2, (box.west + box.east) / 2)
    assert tiles_showing(*centre, 14, 64) == {tile}
    near_east = (centre[0], box.east - (box.east - box.west) / 4096 * 10)
    assert tiles_showing(*near_east, 14, 64) == {tile, Tile(14, 8297, 5636)}
    near_corner = (box.south + 1e-7, box.west + 1e-7)
    assert len(tiles_showing(*near_corner, 14, 64)) == 4
    assert tiles_showing(*near_east, 14, 0) == {tile}


@pytest.mark.parametrize(
    "z,spread_bits,expected",
    [(3, 0, 12), (3, FINE_ZOOM - CLUSTER_LEVELS - 3, 4), (3, FINE_ZOOM - CLUSTER_LEVELS - 5, 6), (10, 1, 12)],
)
def test_expansion_zoom(z: int, spread_bits: int, expected: int) -> None:
    assert expansion_zoom(z, spread_bits, cluster_below_zoom=12) == expected


def test_expansion_zoom_is_where_members_first_split() -> None:
    rng = random.Random(5)
    for _ in range(300):
        lat, lon = rng.uniform(-60, 60), rng.uniform(-170, 170)
        d = 10 ** rng.uniform(-5, 0)
        members = [fine_position(lat + rng.uniform(-d, d), lon + rng.uniform(-d, d)) for _ in range(3)]
        z = 2
        shift = FINE_ZOOM - z - CLUSTER_LEVELS
        if len({(px >> shift, py >> shift) for px, py in members}) > 1:
            continue  # not one cluster at z
        spread = (min(p[0] for p in members) ^ max(p[0] for p in members)) | (
            min(p[1] for p in members) ^ max(p[1] for p in members)
        )
        found = expansion_zoom(z, spread.bit_length(), 12)
        cells = [len({(px >> s, py >> s) for px, py in members}) for s in
                 (FINE_ZOOM - zz - CLUSTER_LEVELS for zz in range(z, 13))]
        first_split = next((z + i for i, n in enumerate(cells) if n > 1), 12)
        assert found == min(first_split, 12)


def test_fine_position_matches_the_mercator_formula() -> None:
    for lat, lon in [(0.0, 0.0), (45.0, 90.0), (-30.0, -120.0)]:
        px, py = fine_position(lat, lon)
        x = (lon + 180) / 360
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2
        assert abs(px / 2**FINE_ZOOM - x) < 1e-9 and abs(py / 2**FINE_ZOOM - y) < 1e-9

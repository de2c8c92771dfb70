"""Web Mercator tile maths (XYZ / "slippy map" scheme), pure and exact.

Every event has a *fine position* ``(px, py)``: its Web Mercator point on a grid of
``2**FINE_ZOOM`` cells per side, the same integers the database stores in ``events.px``/``py``
(migration 0004, same formula as ``fine_position``). Everything else is integer shifts of it:

- the tile that holds an event at zoom ``z`` is ``(px >> (FINE_ZOOM - z), py >> (FINE_ZOOM - z))``,
  so every event lies in exactly one tile per zoom (no double counting on tile edges);
- the cluster cell of an event at zoom ``z`` is its tile at zoom ``z + CLUSTER_LEVELS``: a grid
  anchored to the world whose cells nest across zooms and never straddle a tile edge, so
  neighbouring tiles agree and each event is counted in one cluster.

Latitudes beyond ±85.0511° (outside Web Mercator) are held by the first or last row of tiles.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from geo.bbox import BBox
from geo.mercator import FINE_SIZE, FINE_ZOOM, fine_position

MAX_ZOOM = 22
EXTENT = 4096
# Clusters at zoom z are the tiles of zoom z + 3: an 8 x 8 grid per tile (64 px on a 512 px tile).
CLUSTER_LEVELS = 3
# ``tile_rollup`` (migration 0008) sums events per cell of this zoom's tiles: the cluster cells of
# every zoom up to ``ROLLUP_ZOOM - CLUSTER_LEVELS`` are unions of them.
ROLLUP_ZOOM = 8
# ``tile_rollup_coarse`` (migration 0011) sums ``tile_rollup`` again per cell of this zoom, for the
# widest tiles (up to ``COARSE_ROLLUP_ZOOM - CLUSTER_LEVELS``).
COARSE_ROLLUP_ZOOM = 5
# ``tile_rollup_fine`` (migration 0012) sums events per cell of this zoom, for tiles up to
# ``FINE_ROLLUP_ZOOM - CLUSTER_LEVELS`` that the two above cannot serve.
FINE_ROLLUP_ZOOM = 11
# Half the Web Mercator world's width in metres (EPSG:3857).
ORIGIN_M = 20037508.342789244
# Points are drawn up to this many extent units outside their tile (symbols are not cut at edges).
POINT_BUFFER = 64

_INDEX = re.compile(r"0|[1-9][0-9]{0,9}")


class InvalidTile(ValueError):
    """z/x/y is not written as a tile address (not a non-negative integer)."""


class TileOutOfRange(ValueError):
    """z/x/y is well formed but names no tile (z beyond the maximum, x or y beyond 2**z - 1)."""


@dataclass(frozen=True, slots=True, order=True)
class Tile:
    z: int
    x: int
    y: int

    def __post_init__(self) -> None:
        if not 0 <= self.z <= MAX_ZOOM:
            raise TileOutOfRange(f"zoom must be within 0..{MAX_ZOOM}")
        if not (0 <= self.x < 1 << self.z and 0 <= self.y < 1 << self.z):
            raise TileOutOfRange(f"x and y must be within 0..{(1 << self.z) - 1} at zoom {self.z}")

    @property
    def shift(self) -> int:
        """How many fine bits lie below this tile's address."""
        return FINE_ZOOM - self.z

    def fine_bounds(self, margin: int = 0) -> tuple[int, int, int, int]:
        """Half-open fine-grid bounds ``x0, x1, y0, y1`` (``x0 <= px < x1``), grown by ``margin`` fine cells."""
        x0, y0 = self.x << self.shift, self.y << self.shift
        size = 1 << self.shift
        return x0 - margin, x0 + size + margin, y0 - margin, y0 + size + margin

    def fine_margin(self, extent_units: int) -> int:
        """``extent_units`` of the tile's 4096-unit extent, in fine cells."""
        return (extent_units << self.shift) // EXTENT

    def bbox(self, margin: int = 0) -> BBox:
        """The tile (grown by ``margin`` fine cells) in WGS84 degrees, clamped to the world."""
        x0, x1, y0, y1 = self.fine_bounds(margin)
        west, east = _lon_of(max(x0, 0)), _lon_of(min(x1, FINE_SIZE))
        north, south = _lat_of(max(y0, 0)), _lat_of(min(y1, FINE_SIZE))
        # Outermost rows also hold what lies beyond ±85.05°, up to the poles.
        if y0 <= 0:
            north = 90.0
        if y1 >= FINE_SIZE:
            south = -90.0
        return BBox(west, south, east, north)

    def children(self) -> tuple[Tile, Tile, Tile, Tile]:
        z, x, y = self.z + 1, self.x * 2, self.y * 2
        return Tile(z, x, y), Tile(z, x + 1, y), Tile(z, x, y + 1), Tile(z, x + 1, y + 1)

    def __str__(self) -> str:
        return f"{self.z}/{self.x}/{self.y}"


@lru_cache(maxsize=4096)  # a map view asks for the same tiles again and again; errors are not kept
def parse_tile(z: str, x: str, y: str, max_zoom: int = MAX_ZOOM) -> Tile:
    """A tile from the three path segments, or ``InvalidTile`` / ``TileOutOfRange``."""
    values = []
    for name, text in (("z", z), ("x", x), ("y", y)):
        if not _INDEX.fullmatch(text):
            raise InvalidTile(f"{name} must be a non-negative integer, not {text[:20]!r}")
        values.append(int(text))
    if values[0] > max_zoom:
        raise TileOutOfRange(f"zoom must be within 0..{max_zoom}")
    return Tile(*values)


def tile_of(lat: float, lon: float, z: int) -> Tile:
    """The one tile at zoom ``z`` whose area holds the point."""
    px, py = fine_position(lat, lon)
    return Tile(z, px >> (FINE_ZOOM - z), py >> (FINE_ZOOM - z))


def tiles_showing(lat: float, lon: float, z: int, margin_units: int) -> set[Tile]:
    """Every tile at zoom ``z`` whose area grown by ``margin_units`` (of 4096) holds the point.

    At most four. Invalidation uses it with the point buffer, and with a tiny margin at cluster
    zooms so that a point on a tile edge (where floating point could round either way) clears both.
    """
    px, py = fine_position(lat, lon)
    shift = FINE_ZOOM - z
    margin = max((margin_units << shift) // EXTENT, 1)
    last = (1 << z) - 1
    xs = {min(max((px + d) >> shift, 0), last) for d in (-margin, 0, margin)}
    ys = {min(max((py + d) >> shift, 0), last) for d in (-margin, 0, margin)}
    return {Tile(z, x, y) for x in xs for y in ys}


def expansion_zoom(z: int, spread_bits: int, cluster_below_zoom: int) -> int:
    """The zoom at which a cluster of zoom ``z`` splits, from the members' fine-position spread.

    ``spread_bits`` is the bit length of ``(min px XOR max px) | (min py XOR max py)`` over the
    members: the members share a cluster cell at zoom ``z'`` exactly when the cell's shift
    ``FINE_ZOOM - z' - CLUSTER_LEVELS`` is at least that length. Members that never split
    (one place) expand at ``cluster_below_zoom``, where they become points.
    """
    first_split = FINE_ZOOM - CLUSTER_LEVELS - spread_bits + 1
    return min(cluster_below_zoom, max(z + 1, first_split))


def _lon_of(px: int) -> float:
    return px / FINE_SIZE * 360.0 - 180.0


def _lat_of(py: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * py / FINE_SIZE))))

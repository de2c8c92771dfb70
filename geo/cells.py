"""H3 partition cells: which cell holds a point, and which cells a query must visit.

The partition cell is always computed from the point itself at ``PARTITION_RESOLUTION``
(never as the parent of a finer cell: a parent does not contain all its children's area).
Covers are computed with H3's "overlap" containment on a box grown by ``COVER_MARGIN_DEG``,
because H3 draws cell edges as straight lines in lat/lon while the true edges are
great-circle arcs (at resolution 3 they drift apart by well under 1 km).
"""

from __future__ import annotations

import math
from functools import lru_cache

import h3
import shapely

from geo.bbox import BBox, bbox_around

PARTITION_RESOLUTION = 3
COVER_MARGIN_DEG = 0.02
# Above this many cells the cell predicate prunes nothing useful: scan every partition.
MAX_COVER_CELLS = 2_000


def cell_of(lat: float, lon: float) -> int:
    """The partition cell (as a signed 64-bit integer, H3's top bit is always 0)."""
    cell: int = h3.str_to_int(h3.latlng_to_cell(lat, lon, PARTITION_RESOLUTION))
    return cell


def cell_at(lat: float, lon: float, resolution: int) -> int:
    """The H3 cell of ``resolution`` that contains the point, as a signed 64-bit integer."""
    cell: int = h3.str_to_int(h3.latlng_to_cell(lat, lon, resolution))
    return cell


def cell_center(cell: int) -> tuple[float, float]:
    """The (lat, lon) centre of an H3 cell given as an integer."""
    lat, lon = h3.cell_to_latlng(h3.int_to_str(cell))
    return lat, lon


def cells_covering_bbox(bbox: BBox) -> list[int] | None:
    """Every partition cell that may hold a point inside ``bbox``; None when that is "most of them"."""
    grown = bbox.buffered(COVER_MARGIN_DEG)
    # Rough size check before asking H3: about 1 res-3 cell per 1.1 square degrees near the equator.
    if grown.area_deg2 > MAX_COVER_CELLS:
        return None
    cells: set[str] = set()
    for part in grown.parts():
        cells.update(_cover_part(part))
    if len(cells) > MAX_COVER_CELLS:
        return None
    return sorted(h3.str_to_int(c) for c in cells)


def cells_covering_circle(lat: float, lon: float, radius_m: float) -> list[int] | None:
    """Every partition cell that may hold a point within ``radius_m`` metres of (lat, lon)."""
    return cells_covering_bbox(bbox_around(lat, lon, radius_m))


def _cover_part(part: BBox) -> set[str]:
    # Split boxes wider than 90° so H3 never mistakes the polygon's orientation.
    if part.east - part.west > 90.0:
        middle = (part.west + part.east) / 2
        left = BBox(part.west, part.south, middle, part.north)
        right = BBox(middle, part.south, part.east, part.north)
        return _cover_part(left) | _cover_part(right)
    ring = [(part.south, part.west), (part.south, part.east), (part.north, part.east), (part.north, part.west)]
    covered = set(h3.h3shape_to_cells_experimental(h3.LatLngPoly(ring), PARTITION_RESOLUTION, contain="overlap"))
    # A box smaller than a cell always lies in the cells of its corners.
    covered.update(h3.latlng_to_cell(lat, lon, PARTITION_RESOLUTION) for lat, lon in ring)
    return covered


# Covers snap outward to this grid (degrees) before being cached: a snapped box contains the
# original, so its cover is a superset (still correct), and nearby viewports share one entry.
COVER_CACHE_GRID_DEG = 0.25


@lru_cache(maxsize=4096)
def cached_cells_covering_bbox(bbox: BBox) -> tuple[int, ...] | None:
    """Like ``cells_covering_bbox`` (rarely a cell more): the cover of the box snapped to a coarse
    grid, memoised, then trimmed to the cells whose outline meets the box itself.

    Untrimmed, the snapped cover of a small circle's box often holds cells the box does not meet,
    and each cell is a branch of a walk to plan and read. Trimming costs far less than a fresh
    cover (H3's polygon fill). The trimmed cover is memoised per box too: a tile asks for the same
    box every time it is rendered.
    """
    cover = _cached_cover(_snap_outward(bbox))
    if cover is None or len(cover) == 1 or len(cover) > MAX_TRIMMED_CELLS:
        return cover
    boxes = [shapely.box(p.west, p.south, p.east, p.north) for p in bbox.buffered(COVER_MARGIN_DEG).parts()]
    return tuple(cell for cell in cover if _may_meet(cell, boxes))


def cached_cells_covering_circle(lat: float, lon: float, radius_m: float) -> tuple[int, ...] | None:
    """Like ``cells_covering_circle`` (rarely a cell more), memoised on a coarse grid."""
    return cached_cells_covering_bbox(bbox_around(lat, lon, radius_m))


# A cover this large reaches most of the 64 partitions whatever its size: not worth trimming.
MAX_TRIMMED_CELLS = 256


@lru_cache(maxsize=4096)
def _cached_cover(bbox: BBox) -> tuple[int, ...] | None:
    cells = cells_covering_bbox(bbox)
    return None if cells is None else tuple(cells)


def _may_meet(cell: int, boxes: list[shapely.Polygon]) -> bool:
    """Whether the cell's outline meets one of ``boxes``; always true for an outline that wraps."""
    outline = _outline(cell)
    return outline is None or any(outline.intersects(box) for box in boxes)


@lru_cache(maxsize=16384)
def _outline(cell: int) -> shapely.Polygon | None:
    """The cell's outline, straight in lat/lon as H3 draws it (and ``_cover_part`` fills with it);
    None when it wraps, across the antimeridian or round a pole."""
    boundary = h3.cell_to_boundary(h3.int_to_str(cell))
    longitudes = [lon for _, lon in boundary]
    if max(longitudes) - min(longitudes) > 180.0:
        return None
    return shapely.Polygon([(lon, lat) for lat, lon in boundary])


def _snap_outward(bbox: BBox) -> BBox:
    grid = COVER_CACHE_GRID_DEG
    south = max(math.floor(bbox.south / grid) * grid, -90.0)
    north = min(math.ceil(bbox.north / grid) * grid, 90.0)
    west = max(math.floor(bbox.west / grid) * grid, -180.0)
    east = min(math.ceil(bbox.east / grid) * grid, 180.0)
    if bbox.crosses_antimeridian and west <= east:
        # The two ends grew into each other: the box now goes all the way round.
        return BBox(-180.0, south, 180.0, north)
    return BBox(west, south, east, north)

"""The one place that builds tile SQL. Every value is a bound parameter.

Each statement returns one row: ``mvt`` (the Mapbox Vector Tile 2.1 bytes, layer ``events``,
extent 4096; empty when no feature), ``features`` and ``truncated`` (matching events were
left out to respect the feature cap or the size cap).

Where: the exact integer test on ``px``/``py`` (see ``tiles.grid``) decides which tile holds an
event. Cluster tiles read nothing else than ``events_tile_idx`` (migration 0004) covers, so a
low-zoom tile is an index-only range scan; point tiles add a GiST-friendly ``geom && envelope``
in EPSG:4326 (computed in Python, a hair larger than the tile) and the planner picks. ``cell =
ANY(cover)`` lets PostgreSQL skip the partitions the tile cannot touch, when the cover is small
enough to be worth it.

- **Clusters** (zoom below ``cluster_below_zoom``): events grouped by their cell of the
  world-anchored grid (``px >> shift``), one feature per cell at the members' mean position,
  with ``count``, the dominant ``category`` (ties: alphabetical) and ``expansion_zoom``. Only
  events inside the tile count, so the counts of a tile add up to its matching events.
  Up to zoom ``ROLLUP_ZOOM - CLUSTER_LEVELS`` with the default filters (or only categories),
  the members come from ``tile_rollup`` (migration 0008) instead of hundreds of thousands of
  events; the same features, read from ~1/20 of the rows. Up to ``COARSE_ROLLUP_ZOOM -
  CLUSTER_LEVELS`` from ``tile_rollup_coarse`` (migration 0011), ~1/17 of those again; above
  ``ROLLUP_ZOOM - CLUSTER_LEVELS`` and up to ``FINE_ROLLUP_ZOOM - CLUSTER_LEVELS``, from
  ``tile_rollup_fine`` (migration 0012).
- **Points**: one feature per event inside the tile or within ``POINT_BUFFER`` units of it (so
  symbols near an edge are not cut), ranked by popularity then id; the first ``max_features``
  are kept, and fewer if their estimated encoded size would pass ``MAX_TILE_BYTES``. A point
  whose event is sold out or has few places left says so in ``availability`` (``sold_out``,
  ``few_left``; absent otherwise, see ``app.events.availability``); a change of that level
  invalidates the tiles like any other change of the event (``app.ticketing.availability``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.events.availability import availability_sql
from app.events.filters import Filters
from config.settings import TileSettings
from geo.cells import cached_cells_covering_bbox
from geo.mercator import FINE_ZOOM
from tiles.filters import tile_conditions
from tiles.grid import CLUSTER_LEVELS, COARSE_ROLLUP_ZOOM, EXTENT, FINE_ROLLUP_ZOOM, POINT_BUFFER, ROLLUP_ZOOM, Tile

# The filters whose columns events_tile_idx carries (migration 0004): a new filter is planned per tile
# until its column joins the index and its name this list.
FILTERS_IN_TILE_INDEX = ("categories", "starts_after", "starts_before", "free", "price_max", "min_popularity")
# A tile's encoded size is at most MAX_TILE_BYTES; the SQL aims for the budget (estimates below).
MAX_TILE_BYTES = 500_000
POINT_BYTES_BUDGET = 470_000
# Encoded bytes of one point feature besides its title: geometry, tags, the id and starts_at strings,
# the few distinct small values; an upper bound.
POINT_FIXED_BYTES = 128
# Below this zoom a tile's cover has hundreds of cells: it would prune nothing and cost planning time.
COVER_MIN_ZOOM = 6
# The && envelope is this many fine cells wider than the exact test, so rounding never loses an event.
ENVELOPE_SLACK = 4

# Per (cluster cell, category) of the events read: what ``_cluster_features`` needs.
_MEMBER_COLUMNS = """e.px >> %(cell_shift)s AS cx, e.py >> %(cell_shift)s AS cy, e.category, count(*) AS n,
           sum(e.px::float8) AS sum_x, sum(e.py::float8) AS sum_y,
           min(e.px) AS x_lo, max(e.px) AS x_hi, min(e.py) AS y_lo, max(e.py) AS y_hi"""
_HORIZON = "(SELECT h.counted_from FROM tile_rollup_horizon h)"
_UTC_ISO = """to_char(e.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
_BIT_LENGTH = "length(ltrim(({0})::bit(32)::text, '0'))"
# How full a point's event is ("sold_out", "few_left"; NULL, left out of the feature, otherwise): the
# places ticketing's counter row says are taken, probed by primary key for the kept events that have a
# capacity only (the test on ``k.capacity`` gates the probe: no index is touched for the others).
_AVAILABILITY = availability_sql("k.capacity", "k.capacity - coalesce(t.taken, 0)")
_SHOWN = "k.rank <= %(cap)s AND k.bytes <= %(budget)s"  # the kept events the tile shows
_PLACES = "event_places t ON k.capacity IS NOT NULL AND t.cell = k.cell AND t.event_id = k.id"


@dataclass(frozen=True, slots=True)
class TileQuery:
    sql: str
    params: dict[str, Any]
    clustered: bool
    # Run with one generic plan and hash aggregation (``tiles.service``): see ``_plans_once``.
    generic: bool = False
    # Run instead when the row's ``complete`` is false (see ``_rolled_up_clusters``).
    fallback: TileQuery | None = None
    # Run instead on a Citus coordinator, when the statement differs there (see ``_points``).
    citus_sql: str | None = None

    def __post_init__(self) -> None:
        # The fallback runs on the same connection, whose session fixes the planning mode.
        if self.fallback is not None and self.fallback.generic != self.generic:
            raise ValueError("a tile statement and its fallback must plan the same way")


def tile_query(tile: Tile, filters: Filters, settings: TileSettings, *, limit: int | None = None) -> TileQuery:
    """The statement that renders ``tile`` for ``filters``; ``limit`` lowers the feature cap."""
    params: dict[str, Any] = {}
    if tile.z < settings.cluster_below_zoom:
        where = [*_space(tile, 0, params, envelope=False), *tile_conditions(filters, params)]
        sql = _clusters(tile, where, settings, params)
        if not _rolls_up(tile, filters):
            return TileQuery(sql, params, clustered=True, generic=_plans_once(tile, filters))
        # The rolled-up statement has one generic plan (it reads every partition's few ending
        # events); its fallback runs on the same connection, so generic too.
        live = TileQuery(sql, params, clustered=True, generic=True)
        rolled: dict[str, Any] = {}
        sql = _rolled_up_clusters(tile, filters, settings, rolled)
        return TileQuery(
            sql, rolled, clustered=True, generic=True, fallback=live, citus_sql=_ending_in_cover(tile, sql, rolled)
        )
    where = [*_space(tile, tile.fine_margin(POINT_BUFFER), params, envelope=True), *tile_conditions(filters, params)]
    cap = min(settings.max_features, limit or settings.max_features)
    sql = _points(tile, where, cap, params)
    return TileQuery(sql, params, clustered=False, citus_sql=sql.replace(_PLACES, _places_on_citus(params)))


def _rolls_up(tile: Tile, filters: Filters) -> bool:
    """Whether a rollup holds what the tile counts: its clusters are unions of the finest rollup's
    cells, and the filters are the default ones (public, not ended) with at most a category choice."""
    return tile.z + CLUSTER_LEVELS <= FINE_ROLLUP_ZOOM and filters.only("categories")


def _plans_once(tile: Tile, filters: Filters) -> bool:
    """Whether a cluster tile can share one generic plan.

    Below ``COVER_MIN_ZOOM`` a tile reads all 64 partitions and planning them would cost more
    than many such tiles take to run; the plan is always the same (an index-only range scan of each partition's
    ``events_tile_idx``, then aggregation), whatever the tile, as long as every filter is read
    from that index (``FILTERS_IN_TILE_INDEX``; tags and text are not: their selectivity picks the plan). A generic plan
    estimates a handful of rows, so it would sort 100k+ rows on disk to group them: the service
    runs these with sorting disabled, which makes the planner hash instead.
    """
    return tile.z < COVER_MIN_ZOOM and filters.only(*FILTERS_IN_TILE_INDEX)


def _space(tile: Tile, margin: int, params: dict[str, Any], *, envelope: bool) -> list[str]:
    """The tile (grown by ``margin`` fine cells): exact test, [GiST envelope,] partition cover."""
    if tile.z == 0 and margin == 0:
        return []  # the whole world
    bbox = tile.bbox(margin + ENVELOPE_SLACK)
    x0, x1, y0, y1 = tile.fine_bounds(margin)
    params.update(x0=x0, x1=x1, y0=y0, y1=y1)
    where = ["e.px >= %(x0)s AND e.px < %(x1)s AND e.py >= %(y0)s AND e.py < %(y1)s"]
    if envelope:
        params.update(west=bbox.west, south=bbox.south, east=bbox.east, north=bbox.north)
        where.append("e.geom && ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326)")
    if tile.z >= COVER_MIN_ZOOM:
        cover = cached_cells_covering_bbox(bbox)
        if cover is not None:
            where.insert(0, "e.cell = ANY(%(cells)s)")
            params["cells"] = list(cover)
    return where


def _placement(tile: Tile, params: dict[str, Any]) -> tuple[str, str]:
    """Expressions for a fine position's place in the tile's extent (y down, as MVT wants)."""
    x0, _, y0, _ = tile.fine_bounds()
    # A power of two: the products are exact in double precision.
    params.update(origin_x=x0, origin_y=y0, to_extent=float(EXTENT) / float(1 << tile.shift))
    return "(({0}) - %(origin_x)s) * %(to_extent)s", "(({0}) - %(origin_y)s) * %(to_extent)s"


def _clusters(tile: Tile, where: list[str], settings: TileSettings, params: dict[str, Any]) -> str:
    members = f"""
    SELECT {_MEMBER_COLUMNS}
    FROM events e
    WHERE {" AND ".join(where) or "true"}
    GROUP BY 1, 2, 3"""
    return _cluster_features(tile, members, settings, params)


def _rolled_up_clusters(tile: Tile, filters: Filters, settings: TileSettings, params: dict[str, Any]) -> str:
    """Clusters from ``tile_rollup`` plus the events that end before its horizon.

    ``complete`` is false when the horizon is not ahead of the clock (nothing has moved it for
    a while): the rollup then still counts events that have ended, and the tile must be made
    from ``events`` instead (``TileQuery.fallback``).
    """
    table, zoom = _rollup_level(tile)
    gx0, gx1, gy0, gy1 = tile.fine_bounds()
    down = FINE_ZOOM - zoom
    params.update(
        gx0=gx0 >> down,
        gx1=gx1 >> down,
        gy0=gy0 >> down,
        gy1=gy1 >> down,
        rollup_shift=zoom - tile.z - CLUSTER_LEVELS,
    )
    # Coarse cells left without an event keep a row of zeros (migration 0011).
    rolled = ["r.gx >= %(gx0)s AND r.gx < %(gx1)s AND r.gy >= %(gy0)s AND r.gy < %(gy1)s", "r.events > 0"]
    if filters.categories:
        rolled.append("r.category = ANY(%(categories)s::text[])")
    # The tile as a test no index serves, so that the plan (one for every tile) reads these few
    # events from ``events_ends_idx`` rather than the tile's range of ``events_tile_idx``.
    params.update(tile_shift=tile.shift, tile_x=tile.x, tile_y=tile.y)
    ending = [
        "e.px >> %(tile_shift)s = %(tile_x)s AND e.py >> %(tile_shift)s = %(tile_y)s",
        *tile_conditions(filters, params),
        f"e.ends_at < {_HORIZON}",
    ]
    members = f"""
    SELECT cx, cy, category, sum(n) AS n, sum(sum_x) AS sum_x, sum(sum_y) AS sum_y,
           min(x_lo) AS x_lo, max(x_hi) AS x_hi, min(y_lo) AS y_lo, max(y_hi) AS y_hi
    FROM (
        SELECT r.gx >> %(rollup_shift)s AS cx, r.gy >> %(rollup_shift)s AS cy, r.category, r.events::int8 AS n,
               r.sum_x::float8 AS sum_x, r.sum_y::float8 AS sum_y, r.x_lo, r.x_hi, r.y_lo, r.y_hi
        FROM {table} r
        WHERE {" AND ".join(rolled)}
        UNION ALL
        SELECT {_MEMBER_COLUMNS}
        FROM events e
        WHERE {" AND ".join(ending)}
        GROUP BY 1, 2, 3
    ) parts
    GROUP BY 1, 2, 3"""
    return _cluster_features(tile, members, settings, params, complete=f"{_HORIZON} > now()")


def _ending_in_cover(tile: Tile, sql: str, params: dict[str, Any]) -> str | None:
    """The rolled-up statement on a Citus coordinator, its ending events read in the tile's cells.

    On one node the ending events are a few rows of each partition's ``events_ends_idx`` under one
    generic plan. On Citus, where each statement is planned for its values, the cover prunes that
    part to the covering cells' shards instead of sending it to every shard (at ``COVER_MIN_ZOOM``
    and deeper, where a cover has few cells).
    """
    if tile.z < COVER_MIN_ZOOM:
        return None
    cover = cached_cells_covering_bbox(tile.bbox(ENVELOPE_SLACK))
    if cover is None:
        return None
    params["cells"] = list(cover)
    return sql.replace(f"e.ends_at < {_HORIZON}", f"e.cell = ANY(%(cells)s) AND e.ends_at < {_HORIZON}", 1)


def _rollup_level(tile: Tile) -> tuple[str, int]:
    """The coarsest rollup whose cells nest in the tile's cluster cells, and the zoom of its cells."""
    if tile.z + CLUSTER_LEVELS <= COARSE_ROLLUP_ZOOM:
        return "tile_rollup_coarse", COARSE_ROLLUP_ZOOM
    if tile.z + CLUSTER_LEVELS <= ROLLUP_ZOOM:
        return "tile_rollup", ROLLUP_ZOOM
    return "tile_rollup_fine", FINE_ROLLUP_ZOOM


def _cluster_features(
    tile: Tile, members: str, settings: TileSettings, params: dict[str, Any], *, complete: str | None = None
) -> str:
    """One feature per cluster cell, from ``members``: per (cluster cell, category) sums and bounds."""
    place_x, place_y = _placement(tile, params)
    params.update(
        cell_shift=FINE_ZOOM - tile.z - CLUSTER_LEVELS,
        next_zoom=tile.z + 1,
        cluster_below_zoom=settings.cluster_below_zoom,
        split_base=FINE_ZOOM - CLUSTER_LEVELS + 1,
    )
    spread = _BIT_LENGTH.format("(min(x_lo) # max(x_hi)) | (min(y_lo) # max(y_hi))")
    return f"""
WITH members AS MATERIALIZED ({members}
), clusters AS (
    SELECT sum(n)::int AS count,
           (array_agg(category ORDER BY n DESC, category))[1] AS category,
           sum(sum_x) / sum(n) AS mean_x, sum(sum_y) / sum(n) AS mean_y,
           least(%(cluster_below_zoom)s, greatest(%(next_zoom)s, %(split_base)s - {spread}))::int AS expansion_zoom
    FROM members
    GROUP BY cx, cy
)
SELECT ST_AsMVT(f, 'events', {EXTENT}, 'geom') AS mvt, count(*)::int AS features, false AS truncated{
        "" if complete is None else f", {complete} AS complete"
    }
FROM (
    SELECT ST_Point(floor({place_x.format("c.mean_x")}), floor({place_y.format("c.mean_y")})) AS geom,
           true AS cluster, c.count, c.category, c.expansion_zoom
    FROM clusters c
) f"""


def _places_on_citus(params: dict[str, Any]) -> str:
    """The counters' join on a Citus coordinator: the shown events' counters only, read by their key
    in the tile's covering cells (pruned to their shards), as ``app.events.queries._placed_on_citus``
    does for a page. Joined to ``event_places`` itself, the kept rows (an intermediate result there)
    would make Citus read the whole table on every shard."""
    cover = "c.cell = ANY(%(cells)s) AND " if "cells" in params else ""
    return (
        "(SELECT c.cell, c.event_id, c.taken FROM event_places c "
        f"WHERE {cover}(c.cell, c.event_id) IN "
        f"(SELECT k.cell, k.id FROM kept k WHERE k.capacity IS NOT NULL AND {_SHOWN})) "
        "AS t ON k.capacity IS NOT NULL AND t.cell = k.cell AND t.event_id = k.id"
    )


def _points(tile: Tile, where: list[str], cap: int, params: dict[str, Any]) -> str:
    place_x, place_y = _placement(tile, params)
    params.update(cap=cap, fetch=cap + 1, budget=POINT_BYTES_BUDGET, fixed_bytes=POINT_FIXED_BYTES)
    return f"""
WITH ranked AS (
    SELECT e.cell, e.id, e.title, e.category, {_UTC_ISO} AS starts_at, e.timezone, e.is_free, e.price_min,
           e.currency, e.popularity, e.status, e.capacity, e.px, e.py
    FROM events e
    WHERE {" AND ".join(where)}
    ORDER BY e.popularity DESC, e.id
    LIMIT %(fetch)s
), kept AS (
    SELECT r.*, row_number() OVER w AS rank, sum(%(fixed_bytes)s + octet_length(r.title)) OVER w AS bytes
    FROM ranked r
    WINDOW w AS (ORDER BY r.popularity DESC, r.id)
)
SELECT ST_AsMVT(f, 'events', {EXTENT}, 'geom') AS mvt, count(*)::int AS features,
       (SELECT count(*) FROM ranked) > count(*) AS truncated
FROM (
    SELECT ST_Point(floor({place_x.format("k.px")}), floor({place_y.format("k.py")})) AS geom,
           false AS cluster, k.id::text AS id, k.title, k.category, k.starts_at, k.timezone, k.is_free,
           k.price_min, k.currency, k.popularity, k.status, {_AVAILABILITY} AS availability
    FROM kept k
    LEFT JOIN {_PLACES}
    WHERE {_SHOWN}
) f"""

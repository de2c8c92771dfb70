"""Every discovery query, built in one place.

The SQL text is assembled from fixed fragments chosen by the *shape* of the criteria
(which filters are present, which sort); every value the client sent is a bound
parameter, never part of the text.

List statements are not prepared: a prepared statement soon gets a generic plan, and
``cell = ANY($1)`` with an array parameter prunes no partition in a generic plan
(PostgreSQL prunes a ScalarArrayOp only against a constant array), so every partition
would be read. Planned with their values, they prune at plan time (planning costs far less).

Every sort is ascending on ``(sort_key, id)`` (popularity and relevance are negated), so
one keyset predicate serves them all: ``(key, id) > (cursor key, cursor id)``.

Shapes (see docs/adr-discovery.md for the measurements behind them):

- start / popularity: *ordered walk, else exact*. PostgreSQL cannot estimate how many
  events of a partition fall in a city-sized box (its spatial histogram is far coarser than
  a city), so left alone it fetches every event in the box and sorts them: a cost that
  grows with the table. Instead the page is first sought by walking a covering index in
  sort order over the well-estimated candidates (covering cells, time, category, price...)
  and keeping those inside the area, reading at most ``scan_cap`` index entries. If that
  fills the page it is exactly the page (the walk is in sort order); if not, the area is
  sparse for its cells (or it is the last page) and the service runs ``exact_statement``
  (gather and sort: cheap when sparse).
- distance: a KNN walk of the geography index (sphere distance), re-ranked by the service.
- relevance: for a one-word search, *walk, else exact* again: each covering cell's postings of
  the word (``event_terms``, migration 0010: title and tag words, with the event's rank for the
  word, time and fine position) best first, keeping those in the area, and an event lookup for
  the other filters. Postings hold the top of every ranking, so a full page is exactly the page.
  Otherwise (several words, a sparse area, the last page) ``exact_statement``: full-text matches
  by rank, and the typo-tolerant branch only when they do not fill the page.

The inner query finds the page (raw columns and the sort key); the outer one builds each
item's JSON for those rows only, its venue from the event's own copy of the venue's name and
point (migration 0007: no join, so a page reads only its events). PostgreSQL writes the JSON: the service
concatenates it without parsing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from app.db import Conn
from app.event_images.urls import image_urls_sql
from app.events.criteria import Criteria
from app.events.filter_sql import FULL_TEXT, FUZZY, PUBLIC, TEXT, TSQUERY, filter_conditions, time_conditions
from app.events.paging import Position
from geo.bbox import BBox
from geo.cells import cached_cells_covering_bbox
from geo.mercator import SPHERE_ERROR, fine_box, mercator_walk

# How many candidates the ordered walk may read before handing over to the exact query.
SCAN_CAP_PER_ROW = 10
MIN_SCAN_CAP = 500

_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography"
# Full-text matches rank in [1, 2), typo-only matches in (0, 0.5]: every full-text match comes first.
_TEXT_KEY = f"(-(1 + ts_rank(e.search, {TSQUERY}, 32)::float8))"
_FUZZY_KEY = "(-(word_similarity(happenings_unaccent(%(q)s), happenings_unaccent(e.title))::float8 / 2))"
_DISTANCE = f"ST_Distance(e.geom::geography, {_POINT})"  # geodesic, on the WGS84 spheroid
_KNN = f"(e.geom::geography <-> {_POINT})"  # on the sphere: what the GiST index orders by
# The circle's box as the geography index sees it: the index condition ST_DWithin itself uses.
_KNN_BOX = f"e.geom::geography && _ST_Expand({_POINT}, %(radius_m)s)"
# The fine Web Mercator position as events_nearest_idx (migration 0006) indexes it.
_MERCATOR_POINT = "point(e.px, e.py)"  # events_nearest_idx: (cell, point(px, py))
_MERCATOR_KNN = f"({_MERCATOR_POINT} <-> point(%(mx)s, %(my)s))"
_KEYS = {"start": "e.starts_at", "popularity": "(-e.popularity)"}  # the walk indexes' expressions
# Up to this many covering cells a page walks each cell (planning grows with every cell);
# above it (a zoom-6 view and wider) it walks whole partitions.
MAX_WALKED_CELLS = 128
_COVER = "e.cell = ANY(%(cells)s)"
# A page row looked up by its full primary key, the cell carried through from the walk. On a single
# node the lookup subquery ends in LIMIT 1 (harmless on a key) so that PostgreSQL cannot flatten
# it into a join: flattened, it hash-joined the page with every covering partition (sequential
# scans for a page of rows). Citus cannot plan such a LATERAL lookup once the walk is a subquery
# with a LIMIT of its own, and joins the walked rows to their shards on (cell, id) instead.
_LOOKUP = ["e.cell = w.cell", "e.id = w.id"]

_COLUMNS = (
    "id", "title", "category", "tags", "starts_at", "ends_at", "timezone", "geom",
    "venue_id", "venue_name", "venue_geom", "is_free", "price_min", "price_max", "currency", "popularity", "status",
    "location_approximate",
    "image_key",
    "cell", "capacity",
)  # fmt: skip
# Places left (null: no capacity): the capacity minus what ticketing's counter row says is taken,
# joined on the counter's primary key (cell, event_id): one probe per item in the page, co-located
# by cell (on the event's shard on Citus, which plans no correlated subquery over a walked CTE).
_PLACES = "LEFT JOIN event_places pl ON pl.cell = e.cell AND pl.event_id = e.id"
_SELECT = ", ".join(f"e.{column}" for column in _COLUMNS)


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    params: dict[str, Any]
    # False for a walk: fewer rows than asked for may only mean that the walk ran out, and
    # ``exact_statement`` must tell.
    final: bool = True


def list_statement(
    criteria: Criteria, position: Position, fetch: int, *, geojson: bool = False, distributed: bool = False
) -> Statement:
    """The page of events after ``position``: rows ``(sort_key, id, [knn,] item)``, at most ``fetch``;
    ``distributed``: for a Citus coordinator (see ``_LOOKUP`` and ``_outer_sql``)."""
    params: dict[str, Any] = {"fetch": fetch}
    candidates = _candidates(criteria, position, params)
    area = _area(criteria, params)
    if criteria.sort == "relevance" and not _walks_terms(criteria, params):
        return exact_statement(criteria, position, fetch, geojson=geojson, distributed=distributed)
    if criteria.sort == "relevance":
        page = _term_walk(candidates, area, criteria, position, params)
    elif criteria.sort == "distance":
        page = _nearest(candidates, area, criteria, position, params, fetch, distributed)
    elif criteria.filters.text is None and _walks_per_cell(params):
        page = _cell_walk(candidates, area, criteria, position, params, fetch, distributed)
    else:
        page = _walk(candidates, area, criteria, position, params, fetch, distributed)
    final = criteria.sort == "distance"  # every other shape here is a walk
    return Statement(_outer(page, criteria, geojson, params, distributed), params, final)


def exact_statement(
    criteria: Criteria, position: Position, fetch: int, *, geojson: bool = False, distributed: bool = False
) -> Statement:
    """The page without a walk: every match of the area, sorted (see the module notes)."""
    params: dict[str, Any] = {"fetch": fetch}
    if criteria.sort == "relevance":
        ranked = _relevance(_candidates(criteria, position, params), _area(criteria, params), position, params)
        return Statement(_outer(ranked, criteria, geojson, params, distributed), params)
    key = _KEYS[criteria.sort]
    where = [
        *_candidates(criteria, position, params),
        *_after(key, position, params),
        *_area(criteria, params),
        *_text_filter(criteria),
    ]
    page = f"SELECT {_SELECT}, {key} AS sort_key FROM events e WHERE {_and(where)} ORDER BY {key}, e.id LIMIT %(fetch)s"
    return Statement(_outer(_Page(page), criteria, geojson, params, distributed), params)


def detail_statement(event_id: UUID, cell: int | None) -> Statement:
    """One public event in full, in its cell (from ``event_locator``: one partition, one shard).

    Without a cell (an event written with plain SQL has no locator row; single node only) the id
    alone finds it through every partition's id index.

    An event shown approximately comes without its venue and at its area's centre; the exact point
    and the venue come in columns of their own (``exact_lat``, ``exact_lon``, ``venue``) for the
    service to add when the reader may see them (``app.events.visibility``).
    """
    key = "e.id = %(id)s" if cell is None else "e.cell = %(cell)s AND e.id = %(id)s"
    sql = (
        "SELECT row_to_json(i)::text AS item, e.starts_at, e.ends_at, e.timezone, e.cell, e.location_approximate, "
        "ST_Y(e.exact_geom) AS exact_lat, ST_X(e.exact_geom) AS exact_lon, "
        "CASE WHEN e.location_approximate AND e.venue_id IS NOT NULL THEN row_to_json(vr)::text END AS venue "
        f"FROM events e JOIN organizers o ON o.id = e.organizer_id LEFT JOIN venues v ON v.id = e.venue_id {_PLACES} "
        "CROSS JOIN LATERAL (SELECT v.id, v.name, ST_Y(v.geom) AS lat, ST_X(v.geom) AS lon, v.address, v.city, "
        "v.country_code, v.timezone) AS vr "
        f"CROSS JOIN LATERAL (SELECT {', '.join(_item_columns(None, 'pl.taken'))}, e.description, e.capacity, "
        "json_build_object('id', o.id, 'name', o.name) AS organizer) AS i "
        f"WHERE {key} AND {PUBLIC}"
    )
    return Statement(sql, {"id": event_id, "cell": cell})


async def fetch(conn: Conn, statement: Statement, *, prepare: bool | None = False) -> list[dict[str, Any]]:
    """Run ``statement``; unprepared by default (see the module's note on partition pruning)."""
    cur = await conn.execute(statement.sql, statement.params, prepare=prepare)
    return await cur.fetchall()


@dataclass(frozen=True, slots=True)
class _Page:
    sql: str  # rows of _COLUMNS + sort_key (+ knn)
    prelude: str = ""  # WITH ... the page's SQL refers to


def _walk(
    candidates: list[str], area: list[str], criteria: Criteria, position: Position, params: dict[str, Any], fetch: int,
    distributed: bool,
) -> _Page:  # fmt: skip
    """Start or popularity order: walk the covering index in order, keep what is in the area.

    An index-only scan (cell, times, category, price, popularity and the point are all in
    the walk index's entries) of at most ``scan_cap`` entries; only the page's rows are then
    read, one lookup each by the primary key (see ``_LOOKUP``).
    """
    key = _KEYS[criteria.sort]
    candidates = [*candidates, *_after(key, position, params)]
    params["scan_cap"] = max(MIN_SCAN_CAP, SCAN_CAP_PER_ROW * fetch)
    walk = (
        f"SELECT e.cell, e.id, e.geom, {key} AS sort_key FROM events e WHERE {_and(candidates)} "
        f"ORDER BY {key}, e.id LIMIT %(scan_cap)s"
    )
    # The cover again on the looked-up side: only the covering partitions are planned.
    lookup = [*_LOOKUP, *([_COVER] if "cells" in params else [])]
    text = _text_filter(criteria)
    page = (
        f"SELECT {_SELECT}, w.sort_key FROM (SELECT e.cell, e.id, e.sort_key FROM ({walk}) AS e WHERE {_and(area)}) "
        f"AS w {_lookup([*lookup, *text], distributed)} "
        "ORDER BY w.sort_key, w.id LIMIT %(fetch)s"
    )
    return _Page(page)


def _cell_walk(
    candidates: list[str], area: list[str], criteria: Criteria, position: Position, params: dict[str, Any], fetch: int,
    distributed: bool,
) -> _Page:  # fmt: skip
    """Start or popularity order, one walk per covering cell, merged.

    A partition holds many cells, so a walk over a partition's index also reads the entries
    of cells far from the area, and more of them the larger the table. Each cell's own walk
    (``events_walk_cell_*_idx``: the cell leads the key) reads only that cell: at most
    ``fetch`` entries in the area, or ``scan_cap`` entries in all for a cell that barely
    touches the area. Such a capped cell is complete only up to its last entry read (its
    *frontier*): the page keeps only rows up to the lowest frontier, and is re-run exactly
    when that leaves it short. Cell values are bound one per branch so that each branch is
    planned against its single partition.
    """
    key = _KEYS[criteria.sort]
    params["scan_cap"] = max(MIN_SCAN_CAP, SCAN_CAP_PER_ROW * fetch)
    shared = [condition for condition in candidates if condition != _COVER]
    shared += _after(key, position, params)
    branch = (
        f"(SELECT w.cell, w.id, w.sort_key, w.inside, w.n FROM (SELECT e.cell, e.id, {key} AS sort_key, "
        f"{_and(area)} AS inside, row_number() OVER (ORDER BY {key}, e.id) AS n FROM events e WHERE {{where}} "
        f"ORDER BY {key}, e.id LIMIT %(scan_cap)s) AS w WHERE w.inside OR w.n = %(scan_cap)s LIMIT %(fetch)s)"
    )
    prelude = _walked(branch, shared, params, capped="n = %(scan_cap)s", order="sort_key, id")
    page = (
        f"SELECT {_SELECT}, w.sort_key FROM (SELECT w.cell, w.id, w.sort_key FROM walked w WHERE w.inside "
        "AND NOT EXISTS (SELECT FROM frontier f WHERE (w.sort_key, w.id) > (f.sort_key, f.id)) "
        "ORDER BY w.sort_key, w.id LIMIT %(fetch)s) AS w "
        f"{_lookup([*_LOOKUP, _COVER], distributed)}"
    )
    return _Page(page, prelude=prelude)


def _lookup(conditions: list[str], distributed: bool) -> str:
    """The page rows' events by their primary key (see ``_LOOKUP``)."""
    if distributed:
        return f"JOIN events e ON {_and(conditions)}"
    return f"CROSS JOIN LATERAL (SELECT {_SELECT} FROM events e WHERE {_and(conditions)} LIMIT 1) AS e"


def _nearest(
    candidates: list[str],
    area: list[str],
    criteria: Criteria,
    position: Position,
    params: dict[str, Any],
    fetch: int,
    distributed: bool,
) -> _Page:
    """Nearest first, walked in an index's distance order; the service re-ranks by the spheroid distance.

    Rows, in walk order: the circle's rows, and at most one ``frontier`` row (below). Each carries
    ``knn``: a floor, in metres, under the true distance of that row and of every row its walk
    would have returned after it; ``discovery._nearest`` uses them to prove a page complete.

    - Per covering cell, over ``events_nearest_idx`` (cell, Mercator point; migration 0006) where
      ``geo.mercator.mercator_walk`` can bound the distances: a sorted-built index and planar
      distances, far cheaper than the sphere's in a dense city, and each cell's walk ends with
      the cell's rows (a walk over a whole partition would go on through its other cells). Each
      cell's walk stops after ``walk`` rows; the nearest such capped stop is the ``frontier``:
      rows beyond it are not returned, the frontier row itself is (so that the service sees it).
    - Over the geography index otherwise (across the antimeridian, near the poles, no cover):
      sphere distances within the circle's box (``&& _ST_Expand``, the index condition
      ``ST_DWithin`` itself generates), never capped. On Citus each shard walks its ``fetch``
      nearest in the circle instead (``_nearest_on_shards``).

    The circle is checked *after* the walks, not inside them: inside, a partition whose only rows
    lie outside the circle reads every one of them before it can report that it has none.
    """
    circle = criteria.circle
    assert circle is not None
    walk = mercator_walk(circle)
    later = [*_text_filter(criteria), *_after(_DISTANCE, position, params)]
    if (walk is None or not _walks_per_cell(params)) and distributed:
        return _nearest_on_shards([*candidates, *area, *later])
    if walk is None or not _walks_per_cell(params):
        return _nearest_on_sphere([*candidates, _KNN_BOX, *later], area)
    params.update(mx=walk.x, my=walk.y, floor=walk.metres_floor, walk=fetch + max(8, fetch // 8))
    return _nearest_per_cell([c for c in candidates if c != _COVER] + later, area, params)


def _nearest_on_sphere(where: list[str], area: list[str]) -> _Page:
    # OFFSET 0 keeps the circle test from being pushed back down into the walk.
    walked = (
        f"SELECT {_SELECT}, {_DISTANCE} AS sort_key, {_KNN} * {1 - SPHERE_ERROR} AS knn FROM events e "
        f"WHERE {_and(where)} ORDER BY {_KNN} OFFSET 0"
    )
    return _Page(f"SELECT *, false AS frontier FROM ({walked}) AS e WHERE {_and(area)} LIMIT %(fetch)s")


def _nearest_on_shards(where: list[str]) -> _Page:
    """The sphere walk for a Citus coordinator: the circle inside the walk, and a LIMIT that Citus
    pushes down, so each shard walks its own ``fetch`` nearest and the coordinator merges them.

    Not ``_KNN_BOX``: Citus folds ``_ST_Expand(point, radius)`` into a constant on the coordinator and
    sends it to the shards as text, which keeps the point but drops the expanded box (a geography
    carries it in its header only), so the walk matched the centre alone and answered no rows.
    ``ST_DWithin`` has each shard's planner derive that box itself. Nor the single node's ``OFFSET 0``
    walk: Citus cannot push it down and would pull every row of the box to the coordinator.
    """
    return _Page(
        f"SELECT {_SELECT}, {_DISTANCE} AS sort_key, {_KNN} * {1 - SPHERE_ERROR} AS knn, false AS frontier "
        f"FROM events e WHERE {_and(where)} ORDER BY {_KNN} LIMIT %(fetch)s"
    )


def _nearest_per_cell(shared: list[str], area: list[str], params: dict[str, Any]) -> _Page:
    branch = (
        f"(SELECT {_SELECT}, {_MERCATOR_KNN} AS merc, row_number() OVER (ORDER BY {_MERCATOR_KNN}) = %(walk)s "
        f"AS capped FROM events e WHERE {{where}} ORDER BY {_MERCATOR_KNN} LIMIT %(walk)s)"
    )
    prelude = _walked(branch, shared, params, capped="capped", order="merc")
    columns = f"{_SELECT}, {_DISTANCE} AS sort_key, greatest(e.merc - 2, 0) * %(floor)s AS knn"
    rows = (
        f"(SELECT {columns}, false AS frontier FROM walked e WHERE {_and(area)} "
        "AND NOT EXISTS (SELECT FROM frontier f WHERE e.merc > f.merc) ORDER BY e.merc LIMIT %(fetch)s)"
    )
    last = f"(SELECT {columns}, true AS frontier FROM walked e WHERE e.capped ORDER BY e.merc LIMIT 1)"
    return _Page(f"{rows} UNION ALL {last}", prelude=prelude)


def _walks_per_cell(params: dict[str, Any]) -> bool:
    """Whether the cover is small enough for one walk per cell (see ``MAX_WALKED_CELLS``)."""
    return 0 < len(params.get("cells", ())) <= MAX_WALKED_CELLS


def _per_cell(branch: str, shared: list[str], params: dict[str, Any]) -> str:
    """``branch`` once per covering cell, as a UNION ALL; each cell a bound value of its own, so
    that each branch is planned against its single partition. ``{where}`` in ``branch`` receives
    the cell's condition and ``shared``, ``{cell}`` the cell's value."""
    branches = []
    for n, cell in enumerate(params["cells"]):
        params[f"cell{n}"] = cell
        where = _and([f"e.cell = %(cell{n})s", *shared])
        branches.append(branch.replace("{where}", where).replace("{cell}", f"%(cell{n})s"))
    return " UNION ALL ".join(branches)


def _walked(branch: str, shared: list[str], params: dict[str, Any], *, capped: str, order: str) -> str:
    """``WITH walked`` (the per-cell branches, see ``_per_cell``) and ``frontier``: the first
    row, by ``order``, of a branch that stopped at its cap (``capped``)."""
    return (
        f"WITH walked AS MATERIALIZED ({_per_cell(branch, shared, params)}), "
        f"frontier AS (SELECT {order} FROM walked WHERE {capped} ORDER BY {order} LIMIT 1) "
    )


def _walks_terms(criteria: Criteria, params: dict[str, Any]) -> bool:
    """Whether a relevance page may walk postings: one word (``happenings_search_lexeme`` has the
    last say), over few enough covering cells."""
    text = criteria.filters.text
    return text is not None and len(text.split()) == 1 and _walks_per_cell(params)


def _term_walk(
    candidates: list[str], area: list[str], criteria: Criteria, position: Position, params: dict[str, Any]
) -> _Page:
    """Relevance for one word: each covering cell's postings of the word, best first, merged.

    A cell's walk reads at most ``scan_cap`` postings in the time window (index only), keeps those
    whose fine position lies in the area's fine box, and looks each of those events up by its key
    for every other filter (the exact area included) until ``fetch`` of them passed: a cell
    contributes no more than that to the page. A walk that read ``scan_cap`` postings first is
    complete only up to its last one (its *frontier*, ``capped``), as in ``_cell_walk``. The
    posting table is aliased ``e`` so that the time conditions read the same as on ``events``.
    """
    params["scan_cap"] = max(MIN_SCAN_CAP, SCAN_CAP_PER_ROW * params["fetch"])
    walk_where = [
        "e.lexeme = happenings_search_lexeme(%(q)s)",
        *time_conditions(criteria.filters, params, now="%(as_of)s"),
        *_after("e.sort_key", position, params),
    ]
    # No text condition: a posting, written in the event's own transaction, is the proof of the match
    # (and testing it again would decompress every looked-up event's document).
    lookup = ["e.cell = {cell}", "e.id = w.id", *[c for c in candidates if c != _COVER], *area]
    branch = (
        "(SELECT w.id AS posting_id, w.sort_key, w.capped, e.* FROM (SELECT e.id, e.sort_key, "
        f"{_fine_inside(criteria, params)} AS inside, "
        "row_number() OVER (ORDER BY e.sort_key, e.id) = %(scan_cap)s AS capped "
        "FROM event_terms e WHERE {where} ORDER BY e.sort_key, e.id LIMIT %(scan_cap)s) AS w "
        f"LEFT JOIN LATERAL (SELECT {_SELECT} FROM events e WHERE w.inside AND {_and(lookup)} LIMIT 1) AS e ON true "
        "WHERE e.id IS NOT NULL OR w.capped LIMIT %(fetch)s)"
    )
    prelude = _walked(branch, walk_where, params, capped="capped", order="sort_key, posting_id")
    page = (
        f"SELECT {', '.join(f'w.{column}' for column in _COLUMNS)}, w.sort_key FROM walked w WHERE w.id IS NOT NULL "
        "AND NOT EXISTS (SELECT FROM frontier f WHERE (w.sort_key, w.id) > (f.sort_key, f.posting_id)) "
        "ORDER BY w.sort_key, w.id LIMIT %(fetch)s"
    )
    return _Page(page, prelude=prelude)


def _fine_inside(criteria: Criteria, params: dict[str, Any]) -> str:
    """Whether ``e.px, e.py`` may lie in the area: its box on the fine grid (a superset; exact later)."""
    boxes = []
    for n, part in enumerate(_bbox(criteria).parts()):
        box = fine_box(part)
        params.update({f"fw{n}": box.west, f"fn{n}": box.north, f"fe{n}": box.east, f"fs{n}": box.south})
        boxes.append(f"(e.px BETWEEN %(fw{n})s AND %(fe{n})s AND e.py BETWEEN %(fn{n})s AND %(fs{n})s)")
    return boxes[0] if len(boxes) == 1 else f"({' OR '.join(boxes)})"


def _relevance(candidates: list[str], area: list[str], position: Position, params: dict[str, Any]) -> _Page:
    """Full-text matches by rank; the typo-tolerant branch only when they do not fill the page."""
    text_where = [*candidates, *area, FULL_TEXT, *_after(_TEXT_KEY, position, params)]
    fuzzy_where = [*candidates, *area, f"NOT ({FULL_TEXT})", FUZZY, *_after(_FUZZY_KEY, position, params)]
    matched = (
        f"SELECT {_SELECT}, {_TEXT_KEY} AS sort_key FROM events e WHERE {_and(text_where)} "
        "ORDER BY sort_key, e.id LIMIT %(fetch)s"
    )
    fuzzy = (
        f"SELECT {_SELECT}, {_FUZZY_KEY} AS sort_key FROM events e WHERE {_and(fuzzy_where)} "
        "AND (SELECT count(*) FROM matched) < %(fetch)s ORDER BY sort_key, e.id LIMIT %(fetch)s"
    )
    return _Page(f"SELECT * FROM matched UNION ALL ({fuzzy})", prelude=f"WITH matched AS MATERIALIZED ({matched}) ")


def _candidates(criteria: Criteria, position: Position, params: dict[str, Any]) -> list[str]:
    """The filters PostgreSQL estimates well: partition cover, status, time, category, tags, price, popularity."""
    where = filter_conditions(criteria.filters, params, now="%(as_of)s")
    if criteria.filters.starts_after is None:
        params["as_of"] = position.as_of
    cover = cached_cells_covering_bbox(_bbox(criteria))
    if cover is not None:
        where.insert(1, _COVER)
        params["cells"] = list(cover)
    return where


def _area(criteria: Criteria, params: dict[str, Any]) -> list[str]:
    circle = criteria.circle
    if circle is not None:
        params.update(lat=circle.lat, lon=circle.lon, radius_m=circle.radius_m)
        return [f"ST_DWithin(e.geom::geography, {_POINT}, %(radius_m)s)"]
    envelopes = []
    for n, part in enumerate(_bbox(criteria).parts()):
        params.update({f"w{n}": part.west, f"s{n}": part.south, f"e{n}": part.east, f"n{n}": part.north})
        # ST_Intersects, not bare &&: exact (&& compares float4-rounded boxes) and edges included.
        envelopes.append(f"ST_Intersects(e.geom, ST_MakeEnvelope(%(w{n})s, %(s{n})s, %(e{n})s, %(n{n})s, 4326))")
    return [envelopes[0] if len(envelopes) == 1 else f"({' OR '.join(envelopes)})"]


def _bbox(criteria: Criteria) -> BBox:
    circle = criteria.circle
    area = circle.bbox() if circle is not None else criteria.area
    assert isinstance(area, BBox)
    return area


def _text_filter(criteria: Criteria) -> list[str]:
    return [] if criteria.filters.text is None else [TEXT]


def _after(key: str, position: Position, params: dict[str, Any]) -> list[str]:
    """Rows strictly after the cursor's (key, id): every order is ascending on (key, id)."""
    if position.after is None:
        return []
    params["after_key"], params["after_id"] = position.after
    return [f"({key}, e.id) > (%(after_key)s, %(after_id)s)"]


def _and(conditions: list[str]) -> str:
    return " AND ".join(conditions)


def _outer(page: _Page, criteria: Criteria, geojson: bool, params: dict[str, Any], distributed: bool) -> str:
    distance = None
    if criteria.circle is not None:
        distance = "e.sort_key" if criteria.sort == "distance" else _DISTANCE
    order = "e.knn, e.id" if criteria.sort == "distance" else "e.sort_key, e.id"
    placed = _placed_on_citus("cells" in params) if distributed else _PLACED
    return _outer_sql(page, order, geojson, distance, placed, knn=criteria.sort == "distance")


# The page's rows with their places counters (one primary-key probe per row).
_PLACED = f"placed AS MATERIALIZED (SELECT e.*, pl.taken FROM page e {_PLACES})"


def _placed_on_citus(covered: bool) -> str:
    """``placed`` on a Citus coordinator: the page's counters first, read in the page's shards.

    The page is an intermediate result there, and Citus plans an outer join of one with a
    distributed table by reading the whole table on every shard (a subplan ``… FROM event_places
    WHERE true``). Instead the counters of the page's rows are read by their key (``(cell,
    event_id) IN`` the page), in the covering cells (``covered``: the statement's ``%(cells)s``),
    which Citus prunes to their shards, as it does the walks: at most a page of rows from the
    page's shards, and a statement whose cells all lie in one shard group runs on its worker whole.
    """
    cover = "pl.cell = ANY(%(cells)s) AND " if covered else ""
    return (
        "counted AS MATERIALIZED (SELECT pl.cell, pl.event_id, pl.taken FROM event_places pl "
        f"WHERE {cover}(pl.cell, pl.event_id) IN (SELECT e.cell, e.id FROM page e)), "
        "placed AS MATERIALIZED (SELECT e.*, pl.taken FROM page e "
        "LEFT JOIN counted pl ON pl.cell = e.cell AND pl.event_id = e.id)"
    )


def _outer_sql(page: _Page, order: str, geojson: bool, distance: str | None, placed: str, *, knn: bool) -> str:
    """Each row's item, built from the page's rows with their places counters (``placed``).

    The page and the counters are CTEs of their own (materialized: at most a page of rows each).
    On Citus each is then planned apart and the items are built on the coordinator from their
    results (unless every cell lies in one shard group: the statement then runs whole on its
    worker): pushed down beside a distributed table, the item's FROM-less subqueries would be
    refused (they call functions that are not immutable). On a single node the counters are one
    primary-key probe per row (``_PLACED``); on Citus see ``_placed_on_citus``.
    """
    # row_to_json over a LATERAL row writes compact JSON (json_build_object pads every colon).
    item = "row_to_json(i)"
    if geojson:
        item = (
            "json_build_object('type', 'Feature', 'id', e.id, 'geometry', json_build_object("
            f"'type', 'Point', 'coordinates', json_build_array(ST_X(e.geom), ST_Y(e.geom))), 'properties', {item})"
        )
    ctes = page.prelude.strip().removeprefix("WITH ")
    return (
        f"WITH {ctes}{', ' if ctes else ''}page AS MATERIALIZED ({page.sql}), {placed} "
        f"SELECT e.sort_key, e.id{', e.knn, e.frontier' if knn else ''}, {item}::text AS item "
        "FROM placed e "
        "CROSS JOIN LATERAL (SELECT e.venue_id AS id, e.venue_name AS name, "
        "ST_Y(e.venue_geom) AS lat, ST_X(e.venue_geom) AS lon) AS vr "
        f"CROSS JOIN LATERAL (SELECT {', '.join(_item_columns(distance, 'e.taken'))}) AS i "
        f"ORDER BY {order}"
    )


def _utc(column: str) -> str:
    # RFC 3339 in UTC whatever the session's TimeZone; the event's own zone is the "timezone" field.
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def _item_columns(distance: str | None, taken: str) -> list[str]:
    """The fields of a list item, in the contract's order (see ``EventItem``); ``taken``: the
    places counter's column (null: no counter row)."""
    places_left = f"CASE WHEN e.capacity IS NULL THEN NULL ELSE greatest(e.capacity - coalesce({taken}, 0), 0) END"
    columns = [
        "e.id",
        "e.title",
        "e.category",
        "e.tags",
        f"{_utc('e.starts_at')} AS starts_at",
        f"{_utc('e.ends_at')} AS ends_at",
        "e.timezone",
        # An event shown approximately hides its venue too (its point and address would give it away).
        "CASE WHEN e.venue_id IS NULL OR e.location_approximate THEN NULL ELSE row_to_json(vr) END AS venue",
        "ST_Y(e.geom) AS lat",
        "ST_X(e.geom) AS lon",
        "e.is_free",
        "e.price_min",
        "e.price_max",
        "e.currency",
        "e.popularity",
        "e.status",
        "e.location_approximate",
        f"{image_urls_sql('e.image_key')} AS image",
        f"{places_left} AS places_left",
        f"coalesce({places_left} = 0, false) AS sold_out",
    ]
    if distance is not None:
        columns.append(f"round(({distance})::numeric, 1) AS distance_m")
    return columns

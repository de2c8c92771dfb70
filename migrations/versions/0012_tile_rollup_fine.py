"""``tile_rollup_fine``: the events of every zoom-11 cell, summed per category, for cluster tiles z6-z8.

Revision ID: 0012
Revises: 0011

Cluster tiles from z6 to z8 aggregated their events: 13.4k of them for the z8 tile over Shanghai
(10.7 ms of raw SQL at 1M events), 24-31 ms for dense z6 and z7 tiles over eastern China, and the
dense z8 tiles' tail made the top of the bench's z0-z8 p99. Their clusters are cells of zoom 9 to
11, so every one is a union of zoom-11 cells; per (zoom-11 cell, category) there are 175k rows at
1M events, and a z8 tile reads at most 64 cells' rows (~250 over Shanghai). In a scratch
comparison of the same statements the dense tiles took 1.4-3.2 ms from these rows, with the same
features.

Only this level is counted from events now, by migration 0008's algorithm at zoom 11 (counts and
sums by the difference, bounds widened in place, a row whose bound an event leaves recounted from
``events``). ``tile_rollup`` is summed from it, as ``tile_rollup_coarse`` is from ``tile_rollup``
(migration 0011): ``tile_rollup_change_cells`` changes the zoom-11 rows, then sums the zoom-8 rows of
the change's cells again from their at most 64 zoom-11 rows per category. Its caller,
``tile_rollup_change`` (every write path and the horizon's advance), holds the coarse rows those cells
lie in, so no other writer changes them meanwhile. ``tile_rollup_rebuild`` counts this level from
events and the two coarser ones from it; TRUNCATE empties it.

Runs forward on a populated table (one aggregate over ``events``) and back down cleanly.
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_LOCK = "hashtext('happenings.tile_rollup')"
_PUBLIC = "status IN ('published', 'cancelled')"
_CHANGE_ARGS = "tile_rollup_entry[], tile_rollup_entry[], timestamptz"
# Fine positions have 31 bits (geo.mercator.FINE_ZOOM): a zoom-8 cell is their top 8, zoom 11 their top 11.
_SHIFT = 23
_FINE_SHIFT = 20
# tile_rollup's cells are 3 zooms coarser than tile_rollup_fine's.
_LEVELS = 3
_COLUMNS = "gx, gy, category, events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi"


def _sums(shift: int) -> str:
    """A level's columns for the events in scope, grouped by cell and category (``GROUP BY 1, 2, 3``)."""
    return f"px >> {shift}, py >> {shift}, category, count(*), sum(px), sum(py), min(px), max(px), min(py), max(py)"


# tile_rollup's columns summed from tile_rollup_fine's rows (``GROUP BY 1, 2, 3``).
_SUMMED = (
    f"gx >> {_LEVELS}, gy >> {_LEVELS}, category, sum(events)::int, sum(sum_x)::bigint, sum(sum_y)::bigint, "
    "min(x_lo), max(x_hi), min(y_lo), max(y_hi)"
)


def _counted_from_events(name: str, table: str, shift: int) -> str:
    """Migration 0008's change function, for a level whose cells are ``shift`` bits of fine position coarser."""
    return f"""
-- Take ``removed`` out of {table} and put ``added`` in (both counted against ``counted_from``).
CREATE OR REPLACE FUNCTION {name}(removed tile_rollup_entry[], added tile_rollup_entry[], counted_from timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    stale tile_rollup_key[];
BEGIN
    IF cardinality(removed) = 0 AND cardinality(added) = 0 THEN
        RETURN;
    END IF;
    -- Rows in key order, so two writers never wait on each other in a cycle.
    PERFORM 1 FROM {table} r
    WHERE (r.gx, r.gy, r.category) IN (
        SELECT c.px >> {shift}, c.py >> {shift}, c.category FROM unnest(removed || added) c
    )
    ORDER BY r.gx, r.gy, r.category FOR UPDATE;

    WITH gone AS (
        SELECT px >> {shift} AS gx, py >> {shift} AS gy, category, count(*) AS n, sum(px) AS sx, sum(py) AS sy,
               min(px) AS x_lo, max(px) AS x_hi, min(py) AS y_lo, max(py) AS y_hi
        FROM unnest(removed) GROUP BY 1, 2, 3
    ), taken AS (
        UPDATE {table} r SET events = r.events - g.n, sum_x = r.sum_x - g.sx, sum_y = r.sum_y - g.sy
        FROM gone g WHERE (r.gx, r.gy, r.category) = (g.gx, g.gy, g.category)
        -- A bound an event leaves must be found again among the others.
        RETURNING r.gx, r.gy, r.category,
                  r.events = 0 OR g.x_lo = r.x_lo OR g.x_hi = r.x_hi OR g.y_lo = r.y_lo OR g.y_hi = r.y_hi AS moved
    )
    SELECT array_agg((t.gx, t.gy, t.category)::tile_rollup_key) INTO stale FROM taken t WHERE t.moved;

    INSERT INTO {table} AS r ({_COLUMNS})
    SELECT {_sums(shift)} FROM unnest(added) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (gx, gy, category) DO UPDATE SET
        events = r.events + excluded.events, sum_x = r.sum_x + excluded.sum_x, sum_y = r.sum_y + excluded.sum_y,
        x_lo = least(r.x_lo, excluded.x_lo), x_hi = greatest(r.x_hi, excluded.x_hi),
        y_lo = least(r.y_lo, excluded.y_lo), y_hi = greatest(r.y_hi, excluded.y_hi);

    IF stale IS NULL THEN
        RETURN;
    END IF;
    UPDATE {table} r SET (events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi) = (
        SELECT count(*), coalesce(sum(e.px), 0), coalesce(sum(e.py), 0), coalesce(min(e.px), 0),
               coalesce(max(e.px), 0), coalesce(min(e.py), 0), coalesce(max(e.py), 0)
        FROM events e
        WHERE e.px >= r.gx::bigint << {shift} AND e.px < (r.gx + 1)::bigint << {shift}
          AND e.py >= r.gy::bigint << {shift} AND e.py < (r.gy + 1)::bigint << {shift}
          AND e.category = r.category AND e.{_PUBLIC} AND e.ends_at >= counted_from
    )
    FROM unnest(stale) s WHERE (r.gx, r.gy, r.category) = (s.gx, s.gy, s.category);
    DELETE FROM {table} r USING unnest(stale) s
    WHERE (r.gx, r.gy, r.category) = (s.gx, s.gy, s.category) AND r.events = 0;
END
$$;
"""


# The zoom-11 rows under zoom-8 cell ``r`` (at most 64 per category).
_UNDER = f"""f.gx >= r.gx << {_LEVELS} AND f.gx < (r.gx + 1) << {_LEVELS}
      AND f.gy >= r.gy << {_LEVELS} AND f.gy < (r.gy + 1) << {_LEVELS} AND f.category = r.category"""

_FUNCTIONS = f"""
{_counted_from_events("tile_rollup_change_fine", "tile_rollup_fine", _FINE_SHIFT)}

-- The zoom-11 change, then the zoom-8 rows of its cells summed again. The caller (tile_rollup_change,
-- migration 0011) holds the coarse rows these cells lie in: no other writer changes them meanwhile.
CREATE OR REPLACE FUNCTION tile_rollup_change_cells(
    removed tile_rollup_entry[], added tile_rollup_entry[], counted_from timestamptz
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    cells tile_rollup_key[];
BEGIN
    PERFORM tile_rollup_change_fine(removed, added, counted_from);
    SELECT array_agg(DISTINCT (c.px >> {_SHIFT}, c.py >> {_SHIFT}, c.category)::tile_rollup_key)
    INTO cells FROM unnest(removed || added) c;
    INSERT INTO tile_rollup ({_COLUMNS})
    SELECT r.gx, r.gy, r.category, sum(f.events)::int, sum(f.sum_x)::bigint, sum(f.sum_y)::bigint,
           min(f.x_lo), max(f.x_hi), min(f.y_lo), max(f.y_hi)
    FROM unnest(cells) r JOIN tile_rollup_fine f ON {_UNDER}
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (gx, gy, category) DO UPDATE SET
        events = excluded.events, sum_x = excluded.sum_x, sum_y = excluded.sum_y,
        x_lo = excluded.x_lo, x_hi = excluded.x_hi, y_lo = excluded.y_lo, y_hi = excluded.y_hi;
    -- A cell whose last counted event left it.
    DELETE FROM tile_rollup r USING unnest(cells) k
    WHERE (r.gx, r.gy, r.category) = (k.gx, k.gy, k.category)
      AND NOT EXISTS (SELECT 1 FROM tile_rollup_fine f WHERE {_UNDER});
END
$$;

CREATE FUNCTION tile_rollup_fine_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tile_rollup_fine;
    RETURN NULL;
END
$$;

CREATE TRIGGER tile_rollup_fine_truncated AFTER TRUNCATE ON events
FOR EACH STATEMENT EXECUTE FUNCTION tile_rollup_fine_truncated();
"""


def _counted(table: str, shift: int) -> str:
    """``table`` emptied and counted again from events, in key order (migration 0009)."""
    return f"""
    DELETE FROM {table};
    INSERT INTO {table} ({_COLUMNS})
    SELECT {_sums(shift)}
    FROM events
    WHERE {_PUBLIC} AND ends_at >= tile_rollup_rebuild.counted_from
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3;"""


def _rebuild(*, fine: bool) -> str:
    """``tile_rollup_rebuild``: as migration 0011 left it, or counting the zoom-11 level from events
    and ``tile_rollup`` from it."""
    counts = _counted("tile_rollup", _SHIFT)
    if fine:
        counts = f"""{_counted("tile_rollup_fine", _FINE_SHIFT)}
    DELETE FROM tile_rollup;
    INSERT INTO tile_rollup ({_COLUMNS})
    SELECT {_SUMMED}
    FROM tile_rollup_fine
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3;"""
    return f"""
CREATE OR REPLACE FUNCTION tile_rollup_rebuild(counted_from timestamptz) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({_LOCK});
    UPDATE tile_rollup_horizon h SET counted_from = tile_rollup_rebuild.counted_from;{counts}
    PERFORM tile_rollup_coarse_rebuild();
END
$$;
"""


def upgrade() -> None:
    op.execute(
        """
        -- The same columns, checks and covering key as tile_rollup, over smaller cells.
        CREATE TABLE tile_rollup_fine (LIKE tile_rollup INCLUDING ALL) WITH (
            -- As tile_rollup (migration 0009): rows updated in place, vacuumed often.
            fillfactor = 80,
            autovacuum_vacuum_threshold = 100,
            autovacuum_vacuum_scale_factor = 0,
            autovacuum_vacuum_insert_threshold = 100,
            autovacuum_vacuum_insert_scale_factor = 0,
            autovacuum_analyze_scale_factor = 0.02
        )
        """
    )
    op.execute(_FUNCTIONS)
    op.execute(_rebuild(fine=True))
    # No writer may change events between the count and the new function's first run.
    op.execute(f"SELECT pg_advisory_xact_lock({_LOCK})")
    op.execute(
        f"""
        INSERT INTO tile_rollup_fine ({_COLUMNS})
        SELECT {_sums(_FINE_SHIFT)}
        FROM events
        WHERE {_PUBLIC} AND ends_at >= (SELECT h.counted_from FROM tile_rollup_horizon h)
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3
        """
    )
    op.execute("ANALYZE tile_rollup_fine")


def downgrade() -> None:
    op.execute(_rebuild(fine=False))
    op.execute(_counted_from_events("tile_rollup_change_cells", "tile_rollup", _SHIFT))
    op.execute(
        f"""
        DROP TRIGGER tile_rollup_fine_truncated ON events;
        DROP FUNCTION tile_rollup_fine_truncated();
        DROP FUNCTION tile_rollup_change_fine({_CHANGE_ARGS});
        DROP TABLE tile_rollup_fine;
        """
    )

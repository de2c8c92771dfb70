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

The same algorithm as ``tile_rollup`` (migration 0008) at zoom 11: counts and sums by the
difference, bounds widened in place, a row whose bound an event leaves recounted from
``events``. It runs inside ``tile_rollup_change_cells`` (every write path and the horizon's
advance reach it through ``tile_rollup_change``, migration 0011, after the coarse rows are
locked), so the existing function is renamed ``tile_rollup_change_z8`` and the new
``tile_rollup_change_cells`` runs both levels. ``tile_rollup_rebuild`` and TRUNCATE count it
again and empty it.

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
_COLUMNS = "gx, gy, category, events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi"


def _sums(shift: int) -> str:
    """A level's columns for the events in scope, grouped by cell and category (``GROUP BY 1, 2, 3``)."""
    return f"px >> {shift}, py >> {shift}, category, count(*), sum(px), sum(py), min(px), max(px), min(py), max(py)"


_FUNCTIONS = f"""
-- Take ``removed`` out of tile_rollup_fine and put ``added`` in (both counted against ``counted_from``).
CREATE FUNCTION tile_rollup_change_fine(
    removed tile_rollup_entry[], added tile_rollup_entry[], counted_from timestamptz
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    stale tile_rollup_key[];
BEGIN
    -- Rows in key order, so two writers never wait on each other in a cycle.
    PERFORM 1 FROM tile_rollup_fine f
    WHERE (f.gx, f.gy, f.category) IN (
        SELECT c.px >> {_FINE_SHIFT}, c.py >> {_FINE_SHIFT}, c.category FROM unnest(removed || added) c
    )
    ORDER BY f.gx, f.gy, f.category FOR UPDATE;

    WITH gone AS (
        SELECT c.px >> {_FINE_SHIFT} AS gx, c.py >> {_FINE_SHIFT} AS gy, c.category, count(*) AS n,
               sum(c.px) AS sx, sum(c.py) AS sy, min(c.px) AS x_lo, max(c.px) AS x_hi, min(c.py) AS y_lo,
               max(c.py) AS y_hi
        FROM unnest(removed) c GROUP BY 1, 2, 3
    ), taken AS (
        UPDATE tile_rollup_fine f SET events = f.events - g.n, sum_x = f.sum_x - g.sx, sum_y = f.sum_y - g.sy
        FROM gone g WHERE (f.gx, f.gy, f.category) = (g.gx, g.gy, g.category)
        -- A bound an event leaves must be found again among the others.
        RETURNING f.gx, f.gy, f.category,
                  f.events = 0 OR g.x_lo = f.x_lo OR g.x_hi = f.x_hi OR g.y_lo = f.y_lo OR g.y_hi = f.y_hi AS moved
    )
    SELECT array_agg((t.gx, t.gy, t.category)::tile_rollup_key) INTO stale FROM taken t WHERE t.moved;

    INSERT INTO tile_rollup_fine AS f ({_COLUMNS})
    SELECT {_sums(_FINE_SHIFT)} FROM unnest(added) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (gx, gy, category) DO UPDATE SET
        events = f.events + excluded.events, sum_x = f.sum_x + excluded.sum_x, sum_y = f.sum_y + excluded.sum_y,
        x_lo = least(f.x_lo, excluded.x_lo), x_hi = greatest(f.x_hi, excluded.x_hi),
        y_lo = least(f.y_lo, excluded.y_lo), y_hi = greatest(f.y_hi, excluded.y_hi);

    IF stale IS NULL THEN
        RETURN;
    END IF;
    UPDATE tile_rollup_fine f SET (events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi) = (
        SELECT count(*), coalesce(sum(e.px), 0), coalesce(sum(e.py), 0), coalesce(min(e.px), 0),
               coalesce(max(e.px), 0), coalesce(min(e.py), 0), coalesce(max(e.py), 0)
        FROM events e
        WHERE e.px >= f.gx::bigint << {_FINE_SHIFT} AND e.px < (f.gx + 1)::bigint << {_FINE_SHIFT}
          AND e.py >= f.gy::bigint << {_FINE_SHIFT} AND e.py < (f.gy + 1)::bigint << {_FINE_SHIFT}
          AND e.category = f.category AND e.{_PUBLIC} AND e.ends_at >= counted_from
    )
    FROM unnest(stale) s WHERE (f.gx, f.gy, f.category) = (s.gx, s.gy, s.category);
    DELETE FROM tile_rollup_fine f USING unnest(stale) s
    WHERE (f.gx, f.gy, f.category) = (s.gx, s.gy, s.category) AND f.events = 0;
END
$$;

ALTER FUNCTION tile_rollup_change_cells({_CHANGE_ARGS}) RENAME TO tile_rollup_change_z8;

-- The levels counted from events (migration 0011's wrapper calls it with the coarse rows locked).
CREATE FUNCTION tile_rollup_change_cells(
    removed tile_rollup_entry[], added tile_rollup_entry[], counted_from timestamptz
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tile_rollup_change_z8(removed, added, counted_from);
    PERFORM tile_rollup_change_fine(removed, added, counted_from);
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


def _rebuild(*, fine: bool) -> str:
    """``tile_rollup_rebuild``: as migration 0011 left it, or counting the zoom-11 level too."""
    levels = [("tile_rollup", _SHIFT), *([("tile_rollup_fine", _FINE_SHIFT)] if fine else [])]
    counts = "".join(
        f"""
    DELETE FROM {table};
    INSERT INTO {table} ({_COLUMNS})
    SELECT {_sums(shift)}
    FROM events
    WHERE {_PUBLIC} AND ends_at >= tile_rollup_rebuild.counted_from
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3;"""
        for table, shift in levels
    )
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
    op.execute(
        f"""
        DROP TRIGGER tile_rollup_fine_truncated ON events;
        DROP FUNCTION tile_rollup_fine_truncated();
        DROP FUNCTION tile_rollup_change_cells({_CHANGE_ARGS});
        ALTER FUNCTION tile_rollup_change_z8({_CHANGE_ARGS}) RENAME TO tile_rollup_change_cells;
        DROP FUNCTION tile_rollup_change_fine({_CHANGE_ARGS});
        DROP TABLE tile_rollup_fine;
        """
    )

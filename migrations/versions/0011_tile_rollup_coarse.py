"""``tile_rollup_coarse``: ``tile_rollup`` summed again per zoom-5 cell, for the widest cluster tiles.

Revision ID: 0011
Revises: 0010

The z0 tile's clusters are zoom-3 cells, z1's zoom-4, z2's zoom-5: every one a union of zoom-5
cells. Summed from ``tile_rollup`` (43k rows at 1M events) each of these tiles aggregated the
whole rollup or a quarter of it: 17-31 ms for the z0 tile (raw SQL p50, bench/tiles.py), the
slowest tile a map shows and the one every visitor's first view starts from. Per (zoom-5 cell,
category) there are 2.5k rows at 1M events.

Kept true by ``tile_rollup_change``, the one function every write path goes through (triggers,
horizon advance): it is renamed ``tile_rollup_change_cells`` and wrapped. The wrapper

- makes sure a coarse row exists for every coarse cell the change touches, then locks those rows
  in key order (row locks: any number of them, no lock-table slots), so two writers in the same
  coarse cell take turns, and the second one's statements see the first one's committed rows;
- runs the zoom-8 change;
- recounts each touched coarse row from its (at most 64 per category) zoom-8 rows.

Coarse rows are never deleted by writers (a cell with no event keeps a row of zeros, read with
``events > 0``): a writer that deletes a row another writer waits on would let a third insert
it anew under a snapshot the second one does not see. ``tile_rollup_rebuild`` and TRUNCATE empty
it, with no writer running (the horizon's exclusive lock; TRUNCATE's table lock).

Runs forward on a populated table (one aggregate over ``tile_rollup``) and back down cleanly.
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_LOCK = "hashtext('happenings.tile_rollup')"
_PUBLIC = "status IN ('published', 'cancelled')"
_SHIFT = 23  # tile_rollup's zoom 8
_CHANGE_ARGS = "tile_rollup_entry[], tile_rollup_entry[], timestamptz"
# Fine positions have 31 bits (geo.mercator.FINE_ZOOM); a zoom-5 cell is their top 5.
_COARSE_SHIFT = 26
# tile_rollup's cells are zoom 8: 3 bits finer.
_LEVELS = 3

_COLUMNS = "gx, gy, category, events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi"
# The sums of the zoom-8 rows under coarse cell ``c``.
_RECOUNT = f"""
    SELECT coalesce(sum(r.events), 0)::int, coalesce(sum(r.sum_x), 0)::bigint, coalesce(sum(r.sum_y), 0)::bigint,
           coalesce(min(r.x_lo), 0), coalesce(max(r.x_hi), 0), coalesce(min(r.y_lo), 0), coalesce(max(r.y_hi), 0)
    FROM tile_rollup r
    WHERE r.gx >= c.gx << {_LEVELS} AND r.gx < (c.gx + 1) << {_LEVELS}
      AND r.gy >= c.gy << {_LEVELS} AND r.gy < (c.gy + 1) << {_LEVELS}
      AND r.category = c.category"""

_FUNCTIONS = f"""
ALTER FUNCTION tile_rollup_change({_CHANGE_ARGS}) RENAME TO tile_rollup_change_cells;

CREATE FUNCTION tile_rollup_change(removed tile_rollup_entry[], added tile_rollup_entry[], counted_from timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    coarse tile_rollup_key[];
BEGIN
    IF cardinality(removed) = 0 AND cardinality(added) = 0 THEN
        RETURN;
    END IF;
    SELECT array_agg(DISTINCT (c.px >> {_COARSE_SHIFT}, c.py >> {_COARSE_SHIFT}, c.category)::tile_rollup_key)
    INTO coarse FROM unnest(removed || added) c;
    INSERT INTO tile_rollup_coarse AS c ({_COLUMNS})
    SELECT k.gx, k.gy, k.category, 0, 0, 0, 0, 0, 0, 0 FROM unnest(coarse) k ORDER BY 1, 2, 3
    ON CONFLICT (gx, gy, category) DO NOTHING;
    -- Key order, so two writers never wait on each other in a cycle; the zoom-8 rows come after.
    PERFORM 1 FROM tile_rollup_coarse c
    WHERE (c.gx, c.gy, c.category) IN (SELECT k.gx, k.gy, k.category FROM unnest(coarse) k)
    ORDER BY c.gx, c.gy, c.category FOR UPDATE;

    PERFORM tile_rollup_change_cells(removed, added, counted_from);

    UPDATE tile_rollup_coarse c SET (events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi) = ({_RECOUNT}
    )
    FROM unnest(coarse) k WHERE (c.gx, c.gy, c.category) = (k.gx, k.gy, k.category);
END
$$;

-- Recount the coarse rows from tile_rollup (a rebuild, a migration).
CREATE FUNCTION tile_rollup_coarse_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tile_rollup_coarse;
    INSERT INTO tile_rollup_coarse ({_COLUMNS})
    SELECT gx >> {_LEVELS}, gy >> {_LEVELS}, category, sum(events)::int, sum(sum_x)::bigint, sum(sum_y)::bigint,
           min(x_lo), max(x_hi), min(y_lo), max(y_hi)
    FROM tile_rollup
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
END
$$;

CREATE FUNCTION tile_rollup_coarse_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tile_rollup_coarse;
    RETURN NULL;
END
$$;

CREATE TRIGGER tile_rollup_coarse_truncated AFTER TRUNCATE ON events
FOR EACH STATEMENT EXECUTE FUNCTION tile_rollup_coarse_truncated();
"""


def _rebuild(*, coarse: bool) -> str:
    """``tile_rollup_rebuild`` as migration 0009 left it, and with the coarse rows recounted after."""
    recount = "\n    PERFORM tile_rollup_coarse_rebuild();" if coarse else ""
    return f"""
CREATE OR REPLACE FUNCTION tile_rollup_rebuild(counted_from timestamptz) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({_LOCK});
    UPDATE tile_rollup_horizon h SET counted_from = tile_rollup_rebuild.counted_from;
    DELETE FROM tile_rollup;
    INSERT INTO tile_rollup (gx, gy, category, events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi)
    SELECT px >> {_SHIFT}, py >> {_SHIFT}, category, count(*), sum(px), sum(py), min(px), max(px), min(py), max(py)
    FROM events
    WHERE {_PUBLIC} AND ends_at >= tile_rollup_rebuild.counted_from
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3;{recount}
END
$$;
"""


def upgrade() -> None:
    op.execute(
        """
        -- The same columns, checks and covering key as tile_rollup, summed over bigger cells.
        CREATE TABLE tile_rollup_coarse (LIKE tile_rollup INCLUDING ALL) WITH (
            -- As tile_rollup (migration 0009): every write updates rows in place, and the tile
            -- reads from the index alone where the visibility map allows.
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
    op.execute(_rebuild(coarse=True))
    # No writer may change tile_rollup between the recount and the new triggers' first run.
    op.execute(f"SELECT pg_advisory_xact_lock({_LOCK})")
    op.execute("SELECT tile_rollup_coarse_rebuild()")
    op.execute("ANALYZE tile_rollup_coarse")


def downgrade() -> None:
    op.execute(
        f"""
        DROP TRIGGER tile_rollup_coarse_truncated ON events;
        DROP FUNCTION tile_rollup_coarse_truncated();
        DROP FUNCTION tile_rollup_coarse_rebuild();
        DROP FUNCTION tile_rollup_change({_CHANGE_ARGS});
        ALTER FUNCTION tile_rollup_change_cells({_CHANGE_ARGS}) RENAME TO tile_rollup_change;
        DROP TABLE tile_rollup_coarse;
        """
    )

"""``tile_rollup`` kept in key order on disk, with room for in-place updates and prompt vacuums.

Revision ID: 0009
Revises: 0008

A wide tile reads the rollup rows of a range of zoom-8 cells: ~1.7k rows for a dense z4 tile.
``tile_rollup_rebuild`` inserted them in hash-aggregate order, so those rows lay on 437 of the
table's 444 pages at 1M events, and the planner (seeing no correlation) read them with a bitmap
heap scan: 4.5 ms of a 5.2 ms tile. In key order the same rows sit on ~30 pages and the read is
an index-only scan: 3.5 ms for the whole tile (bench/tiles.py, raw SQL p50 over the dense z4
tiles).

- ``tile_rollup_rebuild`` now inserts in key order; the existing rows are rewritten in key order
  once (``CLUSTER``: an exclusive lock for well under a second at 1M events, ~40k rows).
- ``fillfactor = 80``: every write to the rollup updates a row (and, since the key covers every
  column, its index entry too), and a new version that fits on the row's own page keeps the
  order. At 80% a page absorbs ~20 updates before a vacuum frees them again.
- Vacuum after every 100 changed or inserted rows, whatever the table's size (the default waits
  for 20% of it: 8.6k rows at 1M events, days of edits): the index-only scan skips the heap only
  on pages the visibility map marks all-visible, and every write clears that mark. Vacuuming
  these ~500 pages takes milliseconds.

Runs forward on a populated table and back down cleanly (the order stays; it does no harm).
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_SHIFT = 23
_PUBLIC = "status IN ('published', 'cancelled')"
_LOCK = "hashtext('happenings.tile_rollup')"


_KEY_ORDER = """
    -- Key order on disk: a tile's rows share pages (migration 0009).
    ORDER BY 1, 2, 3"""


def _rebuild(order: str) -> str:
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
    GROUP BY 1, 2, 3{order};
END
$$;
"""


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE tile_rollup SET (
            fillfactor = 80,
            autovacuum_vacuum_threshold = 100,
            autovacuum_vacuum_scale_factor = 0,
            autovacuum_vacuum_insert_threshold = 100,
            autovacuum_vacuum_insert_scale_factor = 0,
            autovacuum_analyze_scale_factor = 0.02
        )
        """
    )
    op.execute(_rebuild(_KEY_ORDER))
    op.execute("CLUSTER tile_rollup USING tile_rollup_pkey")
    op.execute("ANALYZE tile_rollup")


def downgrade() -> None:
    op.execute(_rebuild(""))
    op.execute(
        """
        ALTER TABLE tile_rollup RESET (
            fillfactor, autovacuum_vacuum_threshold, autovacuum_vacuum_scale_factor,
            autovacuum_vacuum_insert_threshold, autovacuum_vacuum_insert_scale_factor,
            autovacuum_analyze_scale_factor
        )
        """
    )

"""``tile_rollup``: the events of every zoom-8 grid cell, summed per category, for wide cluster tiles.

Revision ID: 0008
Revises: 0007

A cluster tile below zoom 6 aggregated every matching event under it: at 1M events the densest
z4 tile read 146k index entries (~50 ms) and the z0 tile 880k (~160-350 ms). Its clusters are
cells of the zoom z+3 grid, so up to z5 every cluster is a union of zoom-8 cells, and a row per
(zoom-8 cell, category) holding what a cluster needs — count, sums and bounds of the fine
positions — answers these tiles from ~43k rows instead of ~880k events (``tiles.sql``).

Only public events that end at or after the *horizon* (``tile_rollup_horizon.counted_from``)
are counted. The horizon stays ahead of the clock (``tiles.rollup`` moves it with
``tile_rollup_advance``), and a tile adds the events ending between now and the horizon from
``events_ends_idx``: the sum is exact without ever subtracting an event that has just ended.

Kept true in the database on every write path, by statement-level triggers (one pass over a
statement's transition table, so a COPY costs one aggregate, not a trigger per row):

- insert / update / delete: counts and sums change by the difference; bounds widen in place; a
  row whose bound an event leaves is recomputed from ``events`` (``events_tile_idx``);
- truncate empties the rollup;
- writers hold a shared advisory lock, the horizon's advance takes it exclusively, so no
  writer counts against a horizon that is moving. Writers must run in READ COMMITTED (the
  default): a snapshot older than the advance would count against the old horizon, so other
  isolation levels are refused with an error rather than silently miscounting.

A bulk load may disable the triggers and call ``tile_rollup_rebuild`` (``app.seed``).

Runs forward on a populated table (one aggregate over it) and back down cleanly.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# 31 fine bits (geo.mercator.FINE_ZOOM) minus the rollup's zoom 8 (tiles.grid.ROLLUP_ZOOM).
_SHIFT = 23
_PUBLIC = "status IN ('published', 'cancelled')"
_LOCK = "hashtext('happenings.tile_rollup')"

_AGGREGATE = f"""
    px >> {_SHIFT}, py >> {_SHIFT}, category, count(*), sum(px), sum(py), min(px), max(px), min(py), max(py)
"""

_FUNCTIONS = f"""
CREATE TYPE tile_rollup_entry AS (px integer, py integer, category text);
CREATE TYPE tile_rollup_key AS (gx integer, gy integer, category text);

-- The horizon a writer counts against; waits while it is being moved.
CREATE FUNCTION tile_rollup_counted_from() RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'events must be written in READ COMMITTED transactions (tile_rollup reads its horizon)';
    END IF;
    PERFORM pg_advisory_xact_lock_shared({_LOCK});
    RETURN (SELECT h.counted_from FROM tile_rollup_horizon h);
END
$$;

-- Take ``removed`` out of the rollup and put ``added`` in (both counted against ``counted_from``).
CREATE FUNCTION tile_rollup_change(removed tile_rollup_entry[], added tile_rollup_entry[], counted_from timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    stale tile_rollup_key[];
BEGIN
    IF cardinality(removed) = 0 AND cardinality(added) = 0 THEN
        RETURN;
    END IF;
    -- Rows in key order, so two writers never wait on each other in a cycle.
    PERFORM 1 FROM tile_rollup r
    WHERE (r.gx, r.gy, r.category) IN (
        SELECT c.px >> {_SHIFT}, c.py >> {_SHIFT}, c.category FROM unnest(removed || added) c
    )
    ORDER BY r.gx, r.gy, r.category FOR UPDATE;

    WITH gone AS (
        SELECT px >> {_SHIFT} AS gx, py >> {_SHIFT} AS gy, category, count(*) AS n, sum(px) AS sx, sum(py) AS sy,
               min(px) AS x_lo, max(px) AS x_hi, min(py) AS y_lo, max(py) AS y_hi
        FROM unnest(removed) GROUP BY 1, 2, 3
    ), taken AS (
        UPDATE tile_rollup r SET events = r.events - g.n, sum_x = r.sum_x - g.sx, sum_y = r.sum_y - g.sy
        FROM gone g WHERE (r.gx, r.gy, r.category) = (g.gx, g.gy, g.category)
        -- A bound an event leaves must be found again among the others.
        RETURNING r.gx, r.gy, r.category,
                  r.events = 0 OR g.x_lo = r.x_lo OR g.x_hi = r.x_hi OR g.y_lo = r.y_lo OR g.y_hi = r.y_hi AS moved
    )
    SELECT array_agg((t.gx, t.gy, t.category)::tile_rollup_key) INTO stale FROM taken t WHERE t.moved;

    INSERT INTO tile_rollup AS r (gx, gy, category, events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi)
    SELECT {_AGGREGATE} FROM unnest(added) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (gx, gy, category) DO UPDATE SET
        events = r.events + excluded.events, sum_x = r.sum_x + excluded.sum_x, sum_y = r.sum_y + excluded.sum_y,
        x_lo = least(r.x_lo, excluded.x_lo), x_hi = greatest(r.x_hi, excluded.x_hi),
        y_lo = least(r.y_lo, excluded.y_lo), y_hi = greatest(r.y_hi, excluded.y_hi);

    IF stale IS NULL THEN
        RETURN;
    END IF;
    UPDATE tile_rollup r SET (events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi) = (
        SELECT count(*), coalesce(sum(e.px), 0), coalesce(sum(e.py), 0), coalesce(min(e.px), 0),
               coalesce(max(e.px), 0), coalesce(min(e.py), 0), coalesce(max(e.py), 0)
        FROM events e
        WHERE e.px >= r.gx::bigint << {_SHIFT} AND e.px < (r.gx + 1)::bigint << {_SHIFT}
          AND e.py >= r.gy::bigint << {_SHIFT} AND e.py < (r.gy + 1)::bigint << {_SHIFT}
          AND e.category = r.category AND e.{_PUBLIC} AND e.ends_at >= counted_from
    )
    FROM unnest(stale) s WHERE (r.gx, r.gy, r.category) = (s.gx, s.gy, s.category);
    DELETE FROM tile_rollup r USING unnest(stale) s
    WHERE (r.gx, r.gy, r.category) = (s.gx, s.gy, s.category) AND r.events = 0;
END
$$;

CREATE FUNCTION tile_rollup_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    horizon timestamptz := tile_rollup_counted_from();
BEGIN
    PERFORM tile_rollup_change('{{}}', ARRAY(
        SELECT (n.px, n.py, n.category)::tile_rollup_entry FROM inserted n
        WHERE n.{_PUBLIC} AND n.ends_at >= horizon
    ), horizon);
    RETURN NULL;
END
$$;

CREATE FUNCTION tile_rollup_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    horizon timestamptz := tile_rollup_counted_from();
BEGIN
    -- Only rows whose place, category or counting changed (a retitle changes nothing here).
    PERFORM tile_rollup_change(
        ARRAY(SELECT (c.px, c.py, c.category)::tile_rollup_entry FROM (
            SELECT o.id, o.px, o.py, o.category FROM old_rows o WHERE o.{_PUBLIC} AND o.ends_at >= horizon
            EXCEPT ALL
            SELECT n.id, n.px, n.py, n.category FROM new_rows n WHERE n.{_PUBLIC} AND n.ends_at >= horizon
        ) c),
        ARRAY(SELECT (c.px, c.py, c.category)::tile_rollup_entry FROM (
            SELECT n.id, n.px, n.py, n.category FROM new_rows n WHERE n.{_PUBLIC} AND n.ends_at >= horizon
            EXCEPT ALL
            SELECT o.id, o.px, o.py, o.category FROM old_rows o WHERE o.{_PUBLIC} AND o.ends_at >= horizon
        ) c),
        horizon);
    RETURN NULL;
END
$$;

CREATE FUNCTION tile_rollup_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    horizon timestamptz := tile_rollup_counted_from();
BEGIN
    PERFORM tile_rollup_change(ARRAY(
        SELECT (o.px, o.py, o.category)::tile_rollup_entry FROM deleted o
        WHERE o.{_PUBLIC} AND o.ends_at >= horizon
    ), '{{}}', horizon);
    RETURN NULL;
END
$$;

CREATE FUNCTION tile_rollup_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tile_rollup;
    RETURN NULL;
END
$$;

-- Move the horizon to ``target`` (never back): events ending before it leave the rollup.
CREATE FUNCTION tile_rollup_advance(target timestamptz) RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
    previous timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock({_LOCK});
    SELECT h.counted_from INTO previous FROM tile_rollup_horizon h FOR UPDATE;
    IF target <= previous THEN
        RETURN previous;
    END IF;
    UPDATE tile_rollup_horizon SET counted_from = target;
    PERFORM tile_rollup_change(ARRAY(
        SELECT (e.px, e.py, e.category)::tile_rollup_entry FROM events e
        WHERE e.{_PUBLIC} AND e.ends_at >= previous AND e.ends_at < target
    ), '{{}}', target);
    RETURN target;
END
$$;

-- Count everything again from ``events`` (after a bulk load with the triggers disabled).
CREATE FUNCTION tile_rollup_rebuild(counted_from timestamptz) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({_LOCK});
    UPDATE tile_rollup_horizon h SET counted_from = tile_rollup_rebuild.counted_from;
    DELETE FROM tile_rollup;
    INSERT INTO tile_rollup (gx, gy, category, events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi)
    SELECT {_AGGREGATE} FROM events
    WHERE {_PUBLIC} AND ends_at >= tile_rollup_rebuild.counted_from
    GROUP BY 1, 2, 3;
END
$$;

CREATE TRIGGER tile_rollup_inserted AFTER INSERT ON events
REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION tile_rollup_inserted();
CREATE TRIGGER tile_rollup_updated AFTER UPDATE ON events
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_rollup_updated();
CREATE TRIGGER tile_rollup_deleted AFTER DELETE ON events
REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION tile_rollup_deleted();
CREATE TRIGGER tile_rollup_truncated AFTER TRUNCATE ON events
FOR EACH STATEMENT EXECUTE FUNCTION tile_rollup_truncated();
"""


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE tile_rollup (
            gx integer NOT NULL,
            gy integer NOT NULL,
            category text NOT NULL,
            events integer NOT NULL CHECK (events >= 0),
            sum_x bigint NOT NULL,
            sum_y bigint NOT NULL,
            x_lo integer NOT NULL,
            x_hi integer NOT NULL,
            y_lo integer NOT NULL,
            y_hi integer NOT NULL,
            -- Covering: a tile reads its rows from the index alone.
            PRIMARY KEY (gx, gy, category) INCLUDE (events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi)
        );
        CREATE TABLE tile_rollup_horizon (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            counted_from timestamptz NOT NULL
        );
        INSERT INTO tile_rollup_horizon (counted_from) VALUES (now());
        """
    )
    # The events a tile adds to the rollup (ending between now and the horizon), and the advance's.
    op.execute(f"CREATE INDEX events_ends_idx ON events (ends_at) INCLUDE (px, py, category) WHERE {_PUBLIC}")
    op.execute(_FUNCTIONS)
    op.execute("SELECT tile_rollup_rebuild(now())")


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER tile_rollup_truncated ON events;
        DROP TRIGGER tile_rollup_deleted ON events;
        DROP TRIGGER tile_rollup_updated ON events;
        DROP TRIGGER tile_rollup_inserted ON events;
        DROP FUNCTION tile_rollup_rebuild(timestamptz);
        DROP FUNCTION tile_rollup_advance(timestamptz);
        DROP FUNCTION tile_rollup_truncated();
        DROP FUNCTION tile_rollup_deleted();
        DROP FUNCTION tile_rollup_updated();
        DROP FUNCTION tile_rollup_inserted();
        DROP FUNCTION tile_rollup_change(tile_rollup_entry[], tile_rollup_entry[], timestamptz);
        DROP FUNCTION tile_rollup_counted_from();
        DROP TYPE tile_rollup_key;
        DROP TYPE tile_rollup_entry;
        DROP INDEX events_ends_idx;
        DROP TABLE tile_rollup_horizon;
        DROP TABLE tile_rollup;
        """
    )

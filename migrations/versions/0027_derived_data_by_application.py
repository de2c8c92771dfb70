"""Derived data of events kept by the application in the writing transaction, not by triggers.

Revision ID: 0027
Revises: 0026

``event_terms`` (0010), the tile rollups ``tile_rollup_fine``/``tile_rollup``/``tile_rollup_coarse``
(0008, 0011, 0012) and each event's copy of its venue (0007) were kept by triggers on ``events`` and
``venues``: statement triggers over transition tables, TRUNCATE triggers, and row triggers that read
or write another table. Citus runs none of them on a distributed table (a shard has no transition
table; a trigger on a shard may not run a distributed query). The event write path
(``app.events.derived``, ADR-9) now does that work itself, row by row and addressed by cell:

- ``event_postings(...)``: the postings of one event row, given its columns (no row type: a
  shard's row type is not ``events``'); the writer deletes a row's postings before it changes or
  deletes the row and inserts those of the new row after, each statement on the row's cell.
- ``tile_rollup_apply(removed, added)``: the rollup change of the counted rows a write took away
  and put in (``tile_rollup_item``: position, category, end), against the horizon it reads under
  the shared advisory lock; the rollup tables are only read and written by statements of their own.
- ``tile_rollup_change_fine`` recounts a zoom-11 row whose bound an event left with a SELECT over
  ``events`` and then an UPDATE of the rollup row (never an UPDATE of the rollup reading ``events``);
  ``tile_rollup_advance`` reads the events that leave the rollup first, then changes it.
- ``events_derived_rebuild(counted_from)``: everything counted again from ``events`` (a bulk load,
  a test that wrote ``events`` with plain SQL or emptied it).

The venue copy is written with the row (``venue_name``, ``venue_geom`` given by the writer, which
holds the venue row) and rewritten by the venue write when a venue is renamed or moved; the
``events_venue_copied`` check stays, so a venue delete that would leave a stale copy is refused.

Runs forward on a populated database: the triggers go in one transaction, with the rollup horizon's
lock held exclusively (no writer counts meanwhile), and the derived tables are rebuilt from
``events`` before it commits. The trigger functions stay, unattached: a downgrade attaches them again.
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_LOCK = "hashtext('happenings.tile_rollup')"
_PUBLIC = "status IN ('published', 'cancelled')"
# Fine positions have 31 bits (geo.mercator.FINE_ZOOM): a zoom-11 cell is their top 11.
_FINE_SHIFT = 20
_COLUMNS = "gx, gy, category, events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi"

# (trigger, table, its definition as the migration that made it left it). The trigger functions stay,
# unattached, so that a downgrade can attach them again.
_STATEMENT = "FOR EACH STATEMENT EXECUTE FUNCTION"
_TRIGGERS = (
    ("event_terms_inserted", "events", f"AFTER INSERT ON events REFERENCING NEW TABLE AS inserted {_STATEMENT}"),
    ("event_terms_updated", "events",
     f"AFTER UPDATE ON events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {_STATEMENT}"),
    ("event_terms_deleted", "events", f"AFTER DELETE ON events REFERENCING OLD TABLE AS deleted {_STATEMENT}"),
    ("event_terms_truncated", "events", f"AFTER TRUNCATE ON events {_STATEMENT}"),
    ("tile_rollup_inserted", "events", f"AFTER INSERT ON events REFERENCING NEW TABLE AS inserted {_STATEMENT}"),
    ("tile_rollup_updated", "events",
     f"AFTER UPDATE ON events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {_STATEMENT}"),
    ("tile_rollup_deleted", "events", f"AFTER DELETE ON events REFERENCING OLD TABLE AS deleted {_STATEMENT}"),
    ("tile_rollup_truncated", "events", f"AFTER TRUNCATE ON events {_STATEMENT}"),
    ("tile_rollup_coarse_truncated", "events", f"AFTER TRUNCATE ON events {_STATEMENT}"),
    ("tile_rollup_fine_truncated", "events", f"AFTER TRUNCATE ON events {_STATEMENT}"),
    ("events_venue_copy", "events",
     "BEFORE UPDATE OF venue_id ON events FOR EACH ROW WHEN (NEW.venue_id IS DISTINCT FROM OLD.venue_id) "
     "EXECUTE FUNCTION"),
    ("venues_copy_to_events", "venues",
     "AFTER UPDATE OF name, geom ON venues FOR EACH ROW "
     "WHEN (NEW.name IS DISTINCT FROM OLD.name OR NEW.geom IS DISTINCT FROM OLD.geom) EXECUTE FUNCTION"),
)  # fmt: skip

_FUNCTIONS = tuple(
    statement.strip()
    for statement in f"""
-- The postings of one event row (migration 0010's definition): a row per title or tag lexeme of a
-- public event, with the event's relevance key for that lexeme.
CREATE FUNCTION event_postings(
    e_cell bigint, e_id uuid, e_search tsvector, e_status text,
    e_starts_at timestamptz, e_ends_at timestamptz, e_px integer, e_py integer
) RETURNS TABLE (
    cell bigint, lexeme text, sort_key double precision, id uuid,
    starts_at timestamptz, ends_at timestamptz, px integer, py integer
) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT e_cell, t.lexeme, -(1 + ts_rank(e_search, happenings_lexeme_query(t.lexeme), 32)::float8),
           e_id, e_starts_at, e_ends_at, e_px, e_py
    FROM unnest(e_search) t
    WHERE e_status IN ('published', 'cancelled') AND t.weights && '{{A,B}}'::text[]
$$;

-- ---
-- A public event as the tile rollups count it (the writer sends those it took away and put in).
CREATE TYPE tile_rollup_item AS (px integer, py integer, category text, ends_at timestamptz);

-- ---
-- The rollup change of a write: ``removed`` rows out, ``added`` rows in, each counted when it ends at
-- or after the horizon (read under the shared lock the horizon's advance takes exclusively).
CREATE FUNCTION tile_rollup_apply(removed tile_rollup_item[], added tile_rollup_item[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    horizon timestamptz := tile_rollup_counted_from();
BEGIN
    -- Only what changed (an edit that keeps place, category and counting changes nothing).
    PERFORM tile_rollup_change(
        ARRAY(SELECT (c.px, c.py, c.category)::tile_rollup_entry FROM (
            SELECT r.px, r.py, r.category FROM unnest(removed) r WHERE r.ends_at >= horizon
            EXCEPT ALL
            SELECT a.px, a.py, a.category FROM unnest(added) a WHERE a.ends_at >= horizon
        ) c),
        ARRAY(SELECT (c.px, c.py, c.category)::tile_rollup_entry FROM (
            SELECT a.px, a.py, a.category FROM unnest(added) a WHERE a.ends_at >= horizon
            EXCEPT ALL
            SELECT r.px, r.py, r.category FROM unnest(removed) r WHERE r.ends_at >= horizon
        ) c),
        horizon);
END
$$;

-- ---
-- Migration 0012's zoom-11 change; a row whose bound an event left is recounted by a SELECT over
-- events, then updated (a statement changing the rollup never reads events: on Citus the rollup is a
-- reference table and events is distributed).
CREATE OR REPLACE FUNCTION tile_rollup_change_fine(
    removed tile_rollup_entry[], added tile_rollup_entry[], counted_from timestamptz
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    stale tile_rollup_key[];
    k tile_rollup_key;
    recount tile_rollup_fine%ROWTYPE;
BEGIN
    IF cardinality(removed) = 0 AND cardinality(added) = 0 THEN
        RETURN;
    END IF;
    -- Rows in key order, so two writers never wait on each other in a cycle.
    PERFORM 1 FROM tile_rollup_fine r
    WHERE (r.gx, r.gy, r.category) IN (
        SELECT c.px >> {_FINE_SHIFT}, c.py >> {_FINE_SHIFT}, c.category FROM unnest(removed || added) c
    )
    ORDER BY r.gx, r.gy, r.category FOR UPDATE;

    WITH gone AS (
        SELECT c.px >> {_FINE_SHIFT} AS gx, c.py >> {_FINE_SHIFT} AS gy, c.category, count(*) AS n,
               sum(c.px) AS sx, sum(c.py) AS sy,
               min(c.px) AS x_lo, max(c.px) AS x_hi, min(c.py) AS y_lo, max(c.py) AS y_hi
        FROM unnest(removed) c GROUP BY 1, 2, 3
    ), taken AS (
        UPDATE tile_rollup_fine r SET events = r.events - g.n, sum_x = r.sum_x - g.sx, sum_y = r.sum_y - g.sy
        FROM gone g WHERE (r.gx, r.gy, r.category) = (g.gx, g.gy, g.category)
        -- A bound an event leaves must be found again among the others.
        RETURNING r.gx, r.gy, r.category,
                  r.events = 0 OR g.x_lo = r.x_lo OR g.x_hi = r.x_hi OR g.y_lo = r.y_lo OR g.y_hi = r.y_hi AS moved
    )
    SELECT array_agg((t.gx, t.gy, t.category)::tile_rollup_key) INTO stale FROM taken t WHERE t.moved;

    INSERT INTO tile_rollup_fine AS r ({_COLUMNS})
    SELECT c.px >> {_FINE_SHIFT}, c.py >> {_FINE_SHIFT}, c.category, count(*), sum(c.px), sum(c.py),
           min(c.px), max(c.px), min(c.py), max(c.py)
    FROM unnest(added) c GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (gx, gy, category) DO UPDATE SET
        events = r.events + excluded.events, sum_x = r.sum_x + excluded.sum_x, sum_y = r.sum_y + excluded.sum_y,
        x_lo = least(r.x_lo, excluded.x_lo), x_hi = greatest(r.x_hi, excluded.x_hi),
        y_lo = least(r.y_lo, excluded.y_lo), y_hi = greatest(r.y_hi, excluded.y_hi);

    IF stale IS NULL THEN
        RETURN;
    END IF;
    FOREACH k IN ARRAY stale LOOP
        SELECT count(*), coalesce(sum(e.px), 0), coalesce(sum(e.py), 0), coalesce(min(e.px), 0),
               coalesce(max(e.px), 0), coalesce(min(e.py), 0), coalesce(max(e.py), 0)
        INTO recount.events, recount.sum_x, recount.sum_y, recount.x_lo, recount.x_hi, recount.y_lo, recount.y_hi
        FROM events e
        WHERE e.px >= k.gx::bigint << {_FINE_SHIFT} AND e.px < (k.gx + 1)::bigint << {_FINE_SHIFT}
          AND e.py >= k.gy::bigint << {_FINE_SHIFT} AND e.py < (k.gy + 1)::bigint << {_FINE_SHIFT}
          AND e.category = k.category AND e.{_PUBLIC} AND e.ends_at >= counted_from;
        IF recount.events = 0 THEN
            DELETE FROM tile_rollup_fine r WHERE (r.gx, r.gy, r.category) = (k.gx, k.gy, k.category);
        ELSE
            UPDATE tile_rollup_fine r
            SET (events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi) =
                (recount.events, recount.sum_x, recount.sum_y, recount.x_lo, recount.x_hi, recount.y_lo, recount.y_hi)
            WHERE (r.gx, r.gy, r.category) = (k.gx, k.gy, k.category);
        END IF;
    END LOOP;
END
$$;

-- ---
-- Move the horizon to ``target`` (never back): events ending before it leave the rollup. The events
-- are read first, by a statement of their own.
CREATE OR REPLACE FUNCTION tile_rollup_advance(target timestamptz) RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
    previous timestamptz;
    leaving tile_rollup_entry[];
BEGIN
    PERFORM pg_advisory_xact_lock({_LOCK});
    SELECT h.counted_from INTO previous FROM tile_rollup_horizon h FOR UPDATE;
    IF target <= previous THEN
        RETURN previous;
    END IF;
    SELECT coalesce(array_agg((e.px, e.py, e.category)::tile_rollup_entry), '{{}}') INTO leaving
    FROM events e
    WHERE e.{_PUBLIC} AND e.ends_at >= previous AND e.ends_at < target;
    UPDATE tile_rollup_horizon SET counted_from = target;
    PERFORM tile_rollup_change(leaving, '{{}}', target);
    RETURN target;
END
$$;

-- ---
-- The text search postings counted again from events.
CREATE FUNCTION event_terms_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE event_terms;
    INSERT INTO event_terms (cell, lexeme, sort_key, id, starts_at, ends_at, px, py)
    SELECT p.* FROM events e
    CROSS JOIN LATERAL event_postings(e.cell, e.id, e.search, e.status, e.starts_at, e.ends_at, e.px, e.py) p;
END
$$;

-- ---
-- Every derived table of events counted again from events; the rollups against ``counted_from``
-- (by default the horizon they have).
CREATE FUNCTION events_derived_rebuild(counted_from timestamptz DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM event_terms_rebuild();
    PERFORM tile_rollup_rebuild(coalesce(counted_from, (SELECT h.counted_from FROM tile_rollup_horizon h)));
END
$$;
""".split("\n-- ---\n")
)


def upgrade() -> None:
    # No writer counts against the rollup while its triggers go and it is rebuilt.
    op.execute(f"SELECT pg_advisory_xact_lock({_LOCK})")
    for trigger, table, _ in _TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for statement in _FUNCTIONS:  # one at a time: Citus propagates one utility statement per query
        op.execute(statement)
    # The copies and counts as the triggers left them, made exact once more.
    op.execute(
        "UPDATE events e SET venue_name = v.name, venue_geom = v.geom FROM venues v "
        "WHERE v.id = e.venue_id AND (e.venue_name, e.venue_geom) IS DISTINCT FROM (v.name, v.geom)"
    )
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute("SELECT events_derived_rebuild()")
    op.execute("ANALYZE event_terms, tile_rollup, tile_rollup_coarse, tile_rollup_fine")


def downgrade() -> None:
    op.execute(f"SELECT pg_advisory_xact_lock({_LOCK})")
    for function in (
        "events_derived_rebuild(timestamptz)", "event_terms_rebuild()",
        "tile_rollup_apply(tile_rollup_item[], tile_rollup_item[])",
        "event_postings(bigint, uuid, tsvector, text, timestamptz, timestamptz, integer, integer)",
    ):  # fmt: skip
        op.execute(f"DROP FUNCTION {function}")
    op.execute("DROP TYPE tile_rollup_item")
    # tile_rollup_change_fine and tile_rollup_advance keep their new bodies: the same results.
    for trigger, _, definition in _TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} {definition} {trigger}()")

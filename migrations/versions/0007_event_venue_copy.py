"""Each event carries a copy of its venue's name and point: ``venue_name``, ``venue_geom``.

Revision ID: 0007
Revises: 0006

Every list item shows its venue. Joining ``venues`` on its primary key cost each item two random
pages (the key's leaf, the heap row): two thirds of the buffers of a nearby page, and at 10M
events (1M venues) pages that are rarely in PostgreSQL's cache. With the copy a page reads only
its events.

The copy is kept true in the database, whatever path writes:

- ``venues_copy_to_events``: renaming or moving a venue rewrites the copy on its events
  (found through ``events_venue_idx``);
- ``events_venue_copy``: changing an event's ``venue_id`` (the foreign key's ON DELETE SET NULL
  too) reads the new venue's copy, holding the venue row so that a concurrent rename waits;
- ``events_venue_copied``: an event with a venue and no copy is refused. Inserts bring the copy
  themselves (the service reads the venue FOR SHARE; the seed writes it): a BEFORE INSERT
  trigger would turn COPY's batched inserts into row-by-row ones.

Runs forward on a populated table (one pass filling the copies) and back down cleanly.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE events ADD COLUMN venue_name text, ADD COLUMN venue_geom geometry(Point, 4326)")
    op.execute(
        "UPDATE events e SET venue_name = v.name, venue_geom = v.geom FROM venues v WHERE v.id = e.venue_id"
    )
    op.execute(
        "ALTER TABLE events ADD CONSTRAINT events_venue_copied CHECK "
        "((venue_id IS NULL) = (venue_name IS NULL) AND (venue_id IS NULL) = (venue_geom IS NULL))"
    )
    op.execute("CREATE INDEX events_venue_idx ON events (venue_id) WHERE venue_id IS NOT NULL")
    op.execute(
        """
        CREATE FUNCTION events_venue_copy() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- No row (venue_id NULL): both copies become NULL.
            SELECT v.name, v.geom INTO NEW.venue_name, NEW.venue_geom
            FROM venues v WHERE v.id = NEW.venue_id FOR SHARE;
            RETURN NEW;
        END
        $$;

        CREATE TRIGGER events_venue_copy BEFORE UPDATE OF venue_id ON events
        FOR EACH ROW WHEN (NEW.venue_id IS DISTINCT FROM OLD.venue_id)
        EXECUTE FUNCTION events_venue_copy();

        CREATE FUNCTION venues_copy_to_events() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE events SET venue_name = NEW.name, venue_geom = NEW.geom WHERE venue_id = NEW.id;
            RETURN NULL;
        END
        $$;

        CREATE TRIGGER venues_copy_to_events AFTER UPDATE OF name, geom ON venues
        FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name OR NEW.geom IS DISTINCT FROM OLD.geom)
        EXECUTE FUNCTION venues_copy_to_events();
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER venues_copy_to_events ON venues;
        DROP FUNCTION venues_copy_to_events();
        DROP TRIGGER events_venue_copy ON events;
        DROP FUNCTION events_venue_copy();
        DROP INDEX events_venue_idx;
        ALTER TABLE events DROP CONSTRAINT events_venue_copied,
            DROP COLUMN venue_name, DROP COLUMN venue_geom;
        """
    )

"""The organizers' audit log; the exact point of an event shown only approximately.

Revision ID: 0018
Revises: 0017

- ``audit_log``: who (``actor_account_id``; NULL once the person is erased, or for the system)
  did what (``action``) to which object (``entity``, ``entity_id``) of an organizer, when, with
  the object before and after (jsonb). Read by the organizer's members, newest first, keyset-paged
  on ``(organizer_id, at, id)``. Not bound to an event's shard: on Citus a reference-free table
  distributed by ``organizer_id`` (every query names it).
- ``events_organizer_start_idx`` on ``(organizer_id, starts_at, id)`` replaces ``events_organizer_idx``:
  an organizer's own list ("my events", keyset-paged by start) walks it in order, and it serves
  every lookup by organizer the old one did (one index more to write would cost every insert).
- ``events.exact_geom``: the exact point of an event whose ``location_approximate`` is set; its
  ``geom`` (the point every read path, tile, rollup, distance and partition uses) is then the
  centre of the H3 resolution-7 cell that holds the exact point, so that no read path can reveal
  it, by value or by order (ADR "Approximate location"). NULL for every other event.

Plain nullable column and a new table: nothing is rewritten on a populated database.
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE audit_log (
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            organizer_id uuid NOT NULL REFERENCES organizers(id) ON DELETE CASCADE,
            actor_account_id uuid REFERENCES accounts(id) ON DELETE SET NULL,
            entity text NOT NULL CHECK (entity ~ '^[a-z_]{1,40}$'),
            entity_id uuid NOT NULL,
            action text NOT NULL CHECK (action ~ '^[a-z_]{1,40}$'),
            before jsonb,
            after jsonb,
            at timestamptz NOT NULL,
            PRIMARY KEY (organizer_id, id)
        );
        CREATE INDEX audit_log_page_idx ON audit_log (organizer_id, at DESC, id DESC);
        CREATE INDEX audit_log_actor_idx ON audit_log (actor_account_id) WHERE actor_account_id IS NOT NULL;
        CREATE INDEX audit_log_entity_idx ON audit_log (organizer_id, entity, entity_id);
        """
    )
    op.execute("CREATE INDEX events_organizer_start_idx ON events (organizer_id, starts_at, id)")
    op.execute("DROP INDEX events_organizer_idx")
    op.execute(
        "ALTER TABLE events ADD COLUMN exact_geom geometry(Point, 4326), "
        "ADD CONSTRAINT events_exact_only_when_approximate CHECK (exact_geom IS NULL OR location_approximate)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE events DROP CONSTRAINT events_exact_only_when_approximate, DROP COLUMN exact_geom")
    op.execute("CREATE INDEX events_organizer_idx ON events (organizer_id)")
    op.execute("DROP INDEX events_organizer_start_idx")
    op.execute("DROP TABLE audit_log")

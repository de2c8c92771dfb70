"""What publishing needs: each event's series, approximate-location flag, image, version; a change log.

Revision ID: 0017
Revises: 0016

- ``series_id``/``recurrence_id``: an occurrence of a recurring series is a real event row; it
  names its series and the start the rule gave it (RFC 5545 RECURRENCE-ID, an instant), which an
  override keeps when it moves the occurrence to another time. NULL on one-off events.
- ``location_approximate``: the organizer shows only a blurred area until a person holds a ticket
  or an RSVP; ``geom`` stays exact (the map's partition and tiles need it) and the read paths blur.
- ``image_key``: the event's image in the media store (NULL: none).
- ``sequence``: bumped on each change an attendee's calendar must see (RFC 5545 SEQUENCE).
- ``published_at``: when it was first published (NULL: never).

- ``event_changes``: the durable log of what each write did to an event (kind, aspects, old and new
  point), written by the events write service in the same transaction as the write. Work that
  must not be lost when a process dies (geofenced push, notices to attendees) drains it in the job
  worker with ``FOR UPDATE SKIP LOCKED``; ``handled_at`` marks a drained row. Not bound to an
  event's shard: on Citus it stays on the coordinator, like the other queues.

Plain columns with defaults: adding them rewrites no row. ``events_series_idx`` finds a series'
occurrences; on Citus it is a per-shard index like the others.
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE events
            ADD COLUMN series_id uuid,
            ADD COLUMN recurrence_id timestamptz,
            ADD COLUMN location_approximate boolean NOT NULL DEFAULT false,
            ADD COLUMN image_key text CHECK (image_key ~ '^[A-Za-z0-9/_.-]{1,200}$'),
            ADD COLUMN sequence integer NOT NULL DEFAULT 0 CHECK (sequence >= 0),
            ADD COLUMN published_at timestamptz,
            ADD CONSTRAINT events_occurrence_of_series CHECK ((series_id IS NULL) = (recurrence_id IS NULL))
        """
    )
    op.execute("CREATE INDEX events_series_idx ON events (series_id, recurrence_id) WHERE series_id IS NOT NULL")
    op.execute(
        """
        CREATE TABLE event_changes (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            cell bigint NOT NULL,
            event_id uuid NOT NULL,
            kind text NOT NULL CHECK (kind IN ('created', 'updated', 'deleted')),
            aspects text[] NOT NULL DEFAULT '{}',
            before_geom geometry(Point, 4326),
            after_geom geometry(Point, 4326),
            changed_at timestamptz NOT NULL DEFAULT now(),
            handled_at timestamptz
        );
        CREATE INDEX event_changes_pending_idx ON event_changes (id) WHERE handled_at IS NULL;
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE event_changes")
    op.execute("DROP INDEX events_series_idx")
    op.execute(
        "ALTER TABLE events DROP CONSTRAINT events_occurrence_of_series, DROP COLUMN series_id, "
        "DROP COLUMN recurrence_id, DROP COLUMN location_approximate, DROP COLUMN image_key, "
        "DROP COLUMN sequence, DROP COLUMN published_at"
    )

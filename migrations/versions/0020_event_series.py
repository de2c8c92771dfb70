"""Recurring events: a series' rule and template, and its overridden occurrences.

Revision ID: 0020
Revises: 0019

- ``event_series``: one row per series: the organizer, the template every occurrence copies
  (title, category, prices ...), the RFC 5545 rule (``rrule``, UNTIL in UTC), ``exdates`` (local
  wall-clock starts the rule gives that do not happen), the first start as a local wall-clock time
  (``dtstart_local``) with its ``timezone`` and the ``duration`` (wall clock), the venue or point,
  and ``materialised_until``: occurrences exist as event rows for every start before that instant.
  ``rule_ends_at`` is the last start of a bounded rule (NULL: unbounded), so the horizon job skips
  finished series.
- ``event_series_overrides``: one row per occurrence changed on its own, keyed by (series_id,
  recurrence_id = the instant the rule gave it): another time, another venue or point, other
  details, or cancelled. Re-materialising the series applies them again.

Occurrences themselves are rows of ``events`` (``series_id``, ``recurrence_id``, migration 0017).
Neither table is bound to an event's cell (a series' occurrences may sit in several cells once one
is moved): on Citus both stay local to the coordinator, like the queues; every write of a series
locks its row there first, which also serialises the materialisation of its occurrences.
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE event_series (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            organizer_id uuid NOT NULL REFERENCES organizers(id) ON DELETE CASCADE,
            venue_id uuid REFERENCES venues(id) ON DELETE SET NULL,
            geom geometry(Point, 4326) NOT NULL,
            title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
            description text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
            category text NOT NULL REFERENCES categories(slug),
            tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
            status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'cancelled')),
            is_free boolean NOT NULL DEFAULT false,
            price_min integer CHECK (price_min >= 0),
            price_max integer CHECK (price_max >= 0),
            currency char(3) CHECK (currency ~ '^[A-Z]{3}$'),
            capacity integer CHECK (capacity > 0),
            location_approximate boolean NOT NULL DEFAULT false,
            rrule text NOT NULL CHECK (length(rrule) BETWEEN 6 AND 500),
            exdates timestamp[] NOT NULL DEFAULT '{}' CHECK (cardinality(exdates) <= 1000),
            dtstart_local timestamp NOT NULL,
            duration interval NOT NULL CHECK (duration >= interval '0'),
            timezone text NOT NULL,
            materialised_until timestamptz NOT NULL,
            rule_ends_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX event_series_organizer_idx ON event_series (organizer_id);
        CREATE INDEX event_series_horizon_idx ON event_series (materialised_until);

        CREATE TABLE event_series_overrides (
            series_id uuid NOT NULL REFERENCES event_series(id) ON DELETE CASCADE,
            recurrence_id timestamptz NOT NULL,
            starts_at timestamptz,
            ends_at timestamptz,
            venue_id uuid REFERENCES venues(id) ON DELETE SET NULL,
            geom geometry(Point, 4326),
            details jsonb NOT NULL DEFAULT '{}',
            cancelled boolean NOT NULL DEFAULT false,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (series_id, recurrence_id),
            CONSTRAINT event_series_overrides_time_order
                CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at >= starts_at)
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE event_series_overrides, event_series")

"""Profiles, interests, saved events, followed organizers, and the record of erasures.

Revision ID: 0015
Revises: 0014

- ``profiles``: one per account (created on first write). A home location and a preferred radius
  exist only with consent (``home_consent_at``, checked by constraints): either the exact point
  (``home_geom``) or, coarsened, only the H3 cell that contains it (``home_cell``), never both.
  Avatars are files under the media root, in a folder named by ``media_token`` (random, never the
  account id), so an erase removes every file the person ever uploaded with one folder.
- ``profile_interests``: categories a person cares about.
- ``saved_events``: bound to an event, so it carries the event's ``cell`` and references
  ``events (cell, id)`` (``ON UPDATE CASCADE``: a move to another cell carries the row along; on Citus it
  is co-located with ``events`` by ``cell``). Listing a person's saved events reads the account index.
- ``organizer_follows``: organizers a person follows.
- ``erasures``: one row per erased account: a random pseudonym and the time, nothing that names the
  person. Records the law makes us keep (payments) point at the pseudonym after an erase.

Every table that holds something about a person references ``accounts`` with ``ON DELETE CASCADE``
and is described by a personal-data holder (``app.privacy.holders``) for the export and the erase.
No triggers.
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE profiles (
            account_id uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
            media_token text NOT NULL UNIQUE CHECK (media_token ~ '^[A-Za-z0-9_-]{16,64}$'),
            avatar_name text CHECK (avatar_name ~ '^[A-Za-z0-9_-]{16,64}\\.webp$'),
            locale text CHECK (length(locale) BETWEEN 2 AND 35),
            time_zone text CHECK (length(time_zone) BETWEEN 1 AND 64),
            units text NOT NULL DEFAULT 'metric' CHECK (units IN ('metric', 'imperial')),
            home_consent_at timestamptz,
            home_geom geometry(Point, 4326),
            home_cell bigint,
            home_radius_m integer CHECK (home_radius_m > 0),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT profiles_home_only_with_consent
                CHECK ((home_consent_at IS NULL) = (home_geom IS NULL AND home_cell IS NULL)),
            CONSTRAINT profiles_radius_only_with_consent CHECK (home_radius_m IS NULL OR home_consent_at IS NOT NULL),
            CONSTRAINT profiles_home_exact_or_coarse CHECK (home_geom IS NULL OR home_cell IS NULL)
        );

        CREATE TABLE profile_interests (
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            category text NOT NULL REFERENCES categories(slug) ON DELETE CASCADE,
            PRIMARY KEY (account_id, category)
        );

        CREATE TABLE saved_events (
            cell bigint NOT NULL,
            event_id uuid NOT NULL,
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            saved_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (cell, event_id, account_id),
            FOREIGN KEY (cell, event_id) REFERENCES events (cell, id) ON UPDATE CASCADE ON DELETE CASCADE
        );
        CREATE INDEX saved_events_account_idx ON saved_events (account_id, saved_at DESC, event_id);

        CREATE TABLE organizer_follows (
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            organizer_id uuid NOT NULL REFERENCES organizers(id) ON DELETE CASCADE,
            followed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (account_id, organizer_id)
        );
        CREATE INDEX organizer_follows_account_idx ON organizer_follows (account_id, followed_at DESC, organizer_id);
        CREATE INDEX organizer_follows_organizer_idx ON organizer_follows (organizer_id);

        CREATE TABLE erasures (
            pseudonym uuid PRIMARY KEY,
            erased_at timestamptz NOT NULL DEFAULT now()
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE erasures, organizer_follows, saved_events, profile_interests, profiles")

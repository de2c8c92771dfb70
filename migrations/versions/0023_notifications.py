"""Push devices, geofences, notices and notification settings.

Revision ID: 0023
Revises: 0022

- ``push_devices``: a person's FCM registration tokens and Web Push subscriptions (endpoint and keys);
  one row per (platform, token): a token that moves to another account moves with it.
- ``geofences``: areas a person watches. ``area`` is the area in lon/lat (straight edges, as GeoJSON
  draws them), split at the antimeridian into a MultiPolygon; a circle keeps ``center`` and
  ``radius_m`` (the exact test) and its bounding box as ``area`` (the index test). GiST on ``area``.
- ``geofence_cells``: the H3 cells (resolution 5, grown by one ring) covering each geofence: the
  prefilter that turns "which geofences hold this point" into an index lookup on one cell.
- ``notices``: what a person is told (in-app inbox and push), unique per (person, event, kind, topic):
  draining a change twice, or two workers at once, cannot tell anyone twice. Not bound to an event's
  shard (an event may be deleted, the notice stays): on Citus it stays on the coordinator like the
  other queues, and references the event by (cell, event_id) without a foreign key.
- ``notification_settings``: per-person channels, kinds, quiet hours, time zone.

Every table holding something about a person references ``accounts`` with ``ON DELETE CASCADE`` and is
named by a personal-data holder (``app.notifications.personal_data``). No triggers.
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE push_devices (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            platform text NOT NULL CHECK (platform IN ('fcm', 'webpush')),
            token text NOT NULL CHECK (length(token) BETWEEN 1 AND 2048),
            p256dh text CHECK (length(p256dh) <= 200),
            auth text CHECK (length(auth) <= 100),
            created_at timestamptz NOT NULL DEFAULT now(),
            last_error text,
            UNIQUE (platform, token),
            CHECK (platform = 'fcm' OR (p256dh IS NOT NULL AND auth IS NOT NULL))
        );
        CREATE INDEX push_devices_account_idx ON push_devices (account_id);

        CREATE TABLE geofences (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            name text NOT NULL DEFAULT '' CHECK (length(name) <= 80),
            area geometry(MultiPolygon, 4326) NOT NULL,
            shape jsonb NOT NULL,
            center geography(Point, 4326),
            radius_m integer CHECK (radius_m > 0),
            categories text[],
            price_max integer CHECK (price_max >= 0),
            days smallint[],
            time_from smallint CHECK (time_from BETWEEN 0 AND 1439),
            time_to smallint CHECK (time_to BETWEEN 0 AND 1440),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK ((center IS NULL) = (radius_m IS NULL)),
            CHECK ((time_from IS NULL) = (time_to IS NULL))
        );
        CREATE INDEX geofences_account_idx ON geofences (account_id, created_at);
        CREATE INDEX geofences_area_idx ON geofences USING gist (area);

        CREATE TABLE geofence_cells (
            cell bigint NOT NULL,
            geofence_id uuid NOT NULL REFERENCES geofences(id) ON DELETE CASCADE,
            PRIMARY KEY (cell, geofence_id)
        );
        CREATE INDEX geofence_cells_geofence_idx ON geofence_cells (geofence_id);

        CREATE TABLE notification_settings (
            account_id uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
            fcm boolean NOT NULL DEFAULT true,
            webpush boolean NOT NULL DEFAULT true,
            nearby boolean NOT NULL DEFAULT true,
            changes boolean NOT NULL DEFAULT true,
            reminders boolean NOT NULL DEFAULT true,
            starting_soon boolean NOT NULL DEFAULT false,
            quiet_start time,
            quiet_end time,
            time_zone text CHECK (length(time_zone) BETWEEN 1 AND 64),
            last_location_at timestamptz,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
        );

        CREATE TABLE notices (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            cell bigint NOT NULL,
            event_id uuid NOT NULL,
            kind text NOT NULL CHECK (kind IN (
                'nearby', 'moved', 'rescheduled', 'cancelled', 'reminder_24h', 'reminder_1h', 'starting_soon'
            )),
            topic text NOT NULL DEFAULT '',
            title text NOT NULL CHECK (length(title) <= 300),
            body text NOT NULL CHECK (length(body) <= 2000),
            data jsonb NOT NULL DEFAULT '{}',
            created_at timestamptz NOT NULL,
            state text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sent', 'inbox_only', 'failed')),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            sent_at timestamptz,
            channels text[] NOT NULL DEFAULT '{}',
            delivered_to uuid[] NOT NULL DEFAULT '{}',
            last_error text,
            read_at timestamptz,
            UNIQUE (account_id, event_id, kind, topic)
        );
        CREATE INDEX notices_due_idx ON notices (next_attempt_at) WHERE state = 'pending';
        CREATE INDEX notices_inbox_idx ON notices (account_id, id DESC);
        CREATE INDEX notices_sent_idx ON notices (account_id, sent_at) WHERE state = 'sent';
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP TABLE notices; DROP TABLE notification_settings; DROP TABLE geofence_cells; "
        "DROP TABLE geofences; DROP TABLE push_devices"
    )

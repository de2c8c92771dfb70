"""Organizers, categories, venues and events (hash-partitioned by H3 res-3 cell).

Revision ID: 0002
Revises: 0001

See docs/ARCHITECTURE.md, "ADR-1 Partition key", for why the key is the resolution-3
H3 cell of the event's own point and why there are 64 hash partitions.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PARTITIONS = 64

CATEGORIES = [
    ("music", "Music", "#e6194b"),
    ("nightlife", "Nightlife", "#911eb4"),
    ("arts", "Arts & Theatre", "#f58231"),
    ("film", "Film", "#9a6324"),
    ("food", "Food & Drink", "#3cb44b"),
    ("sports", "Sports", "#4363d8"),
    ("outdoors", "Outdoors", "#2e8b57"),
    ("family", "Family", "#f032e6"),
    ("tech", "Tech", "#008080"),
    ("community", "Community", "#808000"),
    ("markets", "Markets", "#b8860b"),
    ("wellness", "Wellness", "#469990"),
]


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE organizers (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            email text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE categories (
            slug text PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9-]{0,31}$'),
            name text NOT NULL,
            color text NOT NULL CHECK (color ~ '^#[0-9a-f]{6}$')
        );

        CREATE TABLE venues (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            organizer_id uuid REFERENCES organizers(id) ON DELETE SET NULL,
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            address text NOT NULL DEFAULT '',
            city text NOT NULL DEFAULT '',
            country_code char(2),
            timezone text NOT NULL,
            geom geometry(Point, 4326) NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX venues_geom_idx ON venues USING gist (geom);
        CREATE INDEX venues_organizer_idx ON venues (organizer_id);

        CREATE TABLE events (
            -- H3 resolution-3 cell that contains geom: the partition key (and the Citus
            -- distribution column). Computed by the application from the point itself.
            cell bigint NOT NULL,
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            organizer_id uuid NOT NULL REFERENCES organizers(id),
            venue_id uuid REFERENCES venues(id) ON DELETE SET NULL,
            category text NOT NULL REFERENCES categories(slug),
            title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
            description text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
            tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
            starts_at timestamptz NOT NULL,
            ends_at timestamptz NOT NULL,
            timezone text NOT NULL,
            status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'cancelled')),
            is_free boolean NOT NULL DEFAULT false,
            price_min integer CHECK (price_min >= 0),
            price_max integer CHECK (price_max >= 0),
            currency char(3) CHECK (currency ~ '^[A-Z]{3}$'),
            capacity integer CHECK (capacity > 0),
            popularity integer NOT NULL DEFAULT 0 CHECK (popularity >= 0),
            geom geometry(Point, 4326) NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (cell, id),
            CONSTRAINT events_time_order CHECK (ends_at >= starts_at),
            CONSTRAINT events_price_order CHECK (price_min IS NULL OR price_max IS NULL OR price_min <= price_max),
            CONSTRAINT events_free_is_free CHECK (NOT is_free OR coalesce(price_min, 0) = 0),
            CONSTRAINT events_priced_has_currency CHECK (is_free OR price_min IS NULL OR currency IS NOT NULL)
        ) PARTITION BY HASH (cell);
        """
    )
    for remainder in range(PARTITIONS):
        op.execute(
            f"CREATE TABLE events_p{remainder:02d} PARTITION OF events "
            f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {remainder})"
        )
    op.execute(
        """
        CREATE INDEX events_geom_idx ON events USING gist (geom);
        CREATE INDEX events_geog_idx ON events USING gist ((geom::geography));
        CREATE INDEX events_id_idx ON events (id);
        CREATE INDEX events_starts_at_idx ON events (starts_at, id);
        CREATE INDEX events_organizer_idx ON events (organizer_id);
        """
    )
    values = ", ".join(f"('{slug}', '{name}', '{color}')" for slug, name, color in CATEGORIES)
    op.execute(f"INSERT INTO categories (slug, name, color) VALUES {values}")


def downgrade() -> None:
    op.execute("DROP TABLE events, venues, categories, organizers")

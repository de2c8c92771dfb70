"""Full-text search on events: ranked, stemmed, accent-insensitive, tolerant of a typo.

Revision ID: 0003
Revises: 0002

- ``happenings_unaccent(text)``: ``unaccent`` with its dictionary named explicitly, so it is
  truly IMMUTABLE and may appear in a generated column and an index expression.
- ``happenings_search_vector(title, tags, description)``: the weighted document
  (title A, tags B, description C), English stemming on unaccented text.
- ``events.search``: that document as a STORED generated column (adding it rewrites the
  table once; every later INSERT/COPY/UPDATE keeps it current), with a GIN index.
- A trigram GIN index on the unaccented title answers the typo-tolerant fallback
  (``happenings_unaccent(title) %> query``).
- Two covering "walk" indexes for the start and popularity orders (public events only):
  discovery walks them in sort order, filtering by cell, time and area on the index entry
  alone (an index-only scan), and stops once the page is full, instead of fetching and
  sorting every event of the area: the cost follows the page, not the table. Popularity is
  negated so that every order is ascending and one row comparison serves as the keyset.

Runs forward on a populated table and back down cleanly. See docs/adr-discovery.md.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Must match app/events/queries.py: the filters a walk evaluates on the index entry.
_PUBLIC = "status IN ('published', 'cancelled')"
_WALK_COLUMNS = "category, is_free, price_min, geom"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # SQL-standard bodies (RETURN ...) bind their dependencies at creation time, so they keep
    # working whatever the search_path of the session that evaluates them (dumps, COPY, tools).
    # unaccent's own C entry point declared IMMUTABLE (the extension ships it STABLE). Called with
    # the dictionary named explicitly it is search_path-proof, and the SQL wrapper below becomes
    # inlinable: the generated column then costs ~21 instead of ~37 µs per row on COPY.
    op.execute(
        """
        CREATE FUNCTION happenings_unaccent_dict(regdictionary, text) RETURNS text
        LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS '$libdir/unaccent', 'unaccent_dict'
        """
    )
    op.execute(
        """
        CREATE FUNCTION happenings_unaccent(value text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        RETURN happenings_unaccent_dict('public.unaccent'::regdictionary, value)
        """
    )
    op.execute(
        """
        CREATE FUNCTION happenings_search_vector(title text, tags text[], description text)
        RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN setweight(to_tsvector('pg_catalog.english'::regconfig,
                                     happenings_unaccent(coalesce(title, ''))), 'A')
            || setweight(to_tsvector('pg_catalog.english'::regconfig,
                                     happenings_unaccent(coalesce(array_to_string(tags, ' '), ''))), 'B')
            || setweight(to_tsvector('pg_catalog.english'::regconfig,
                                     happenings_unaccent(coalesce(description, ''))), 'C')
        """
    )
    op.execute(
        "ALTER TABLE events ADD COLUMN search tsvector "
        "GENERATED ALWAYS AS (happenings_search_vector(title, tags, description)) STORED"
    )
    op.execute("CREATE INDEX events_search_idx ON events USING gin (search)")
    op.execute("CREATE INDEX events_title_trgm_idx ON events USING gin (happenings_unaccent(title) gin_trgm_ops)")
    op.execute(
        f"CREATE INDEX events_walk_start_idx ON events (starts_at, id) "
        f"INCLUDE (cell, ends_at, popularity, {_WALK_COLUMNS}) WHERE {_PUBLIC}"
    )
    op.execute(
        f"CREATE INDEX events_walk_popularity_idx ON events ((-popularity), id) "
        f"INCLUDE (cell, starts_at, ends_at, popularity, {_WALK_COLUMNS}) WHERE {_PUBLIC}"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS events_walk_popularity_idx")
    op.execute("DROP INDEX IF EXISTS events_walk_start_idx")
    op.execute("DROP INDEX IF EXISTS events_title_trgm_idx")
    op.execute("DROP INDEX IF EXISTS events_search_idx")
    op.execute("ALTER TABLE events DROP COLUMN IF EXISTS search")
    op.execute("DROP FUNCTION IF EXISTS happenings_search_vector(text, text[], text)")
    op.execute("DROP FUNCTION IF EXISTS happenings_unaccent(text)")
    op.execute("DROP FUNCTION IF EXISTS happenings_unaccent_dict(regdictionary, text)")
    # The extensions stay: other objects (or other databases' habits) may rely on them, as with PostGIS.

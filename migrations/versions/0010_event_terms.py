"""``event_terms``: a posting per (event, title or tag word), in rank order per cell, for text search.

Revision ID: 0010
Revises: 0009

Text search sorted by relevance ranked every full-text match in the view (GIN bitmap, then each
match's heap row for ``ts_rank``): the work followed the matches, which grow with the table
(2.6x from 1M to 10M events). A posting row per (event, lexeme of its title or tags) carries the
event's relevance key for that lexeme, ``-(1 + ts_rank(search, lexeme, 32))``, exactly the list's
sort key; ``event_terms_walk_idx`` orders them by (cell, lexeme, key, id) with the time and the
fine position alongside, so a one-word search walks each covering cell's postings best-first,
index only, and stops when the page is full (``app.events.queries``): the cost follows the page.

Why title and tag words only: ``ts_rank`` of one lexeme lies in [w/1.645, w] where w is the
heaviest weight it occurs with (``calc_rank_or``: the first occurrence of that weight counts in
full, the others by 1/j**2), so every event with the word in its title (A: 1.0) outranks every
event with it only in its tags (B: 0.4 <= 0.608), and those outrank every event with it only in
its description (C: 0.2 <= 0.243). The postings therefore hold the top of every ranking in order;
description-only matches (and everything else a walk cannot prove) come from the exact query.

Only public events have postings. Kept true by statement-level triggers on ``events`` (one pass
over a statement's transition table, so a COPY costs one insert): inserted and deleted rows add
and remove their postings, an update replaces those of rows whose words, status, cell, times or
position changed, truncate empties the table. A row's postings are found again by their full key
(the rank is recomputed from the old row), so no second index is needed.

Runs forward on a populated table (one insert over it, then the index) and back down cleanly.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_PUBLIC = "status IN ('published', 'cancelled')"

# The postings of the event rows in ``source`` (an alias or table of events rows named ``e``).
_POSTINGS = """
    SELECT e.cell, t.lexeme, -(1 + ts_rank(e.search, happenings_lexeme_query(t.lexeme), 32)::float8),
           e.id, e.starts_at, e.ends_at, e.px, e.py
    FROM {source} e CROSS JOIN LATERAL unnest(e.search) t
    WHERE e.{public} AND t.weights && '{{A,B}}'::text[]
"""
_COLUMNS = "cell, lexeme, sort_key, id, starts_at, ends_at, px, py"
_KEY = "(p.cell, p.lexeme, p.sort_key, p.id) = (d.cell, d.lexeme, d.sort_key, d.id)"
# The columns whose change changes a row's postings.
_POSTED = ("cell", "id", "search", "status", "starts_at", "ends_at", "px", "py")


def _postings(source: str) -> str:
    return _POSTINGS.format(source=source, public=_PUBLIC)


def _changed(rows: str, others: str) -> str:
    """The rows of transition table ``rows`` that have no unchanged counterpart in ``others``."""
    mine, theirs = (", ".join(f"{alias}.{column}" for column in _POSTED) for alias in ("r", "x"))
    return (
        f"(SELECT r.* FROM {rows} r WHERE NOT EXISTS "
        f"(SELECT FROM {others} x WHERE x.id = r.id AND ({theirs}) IS NOT DISTINCT FROM ({mine})))"
    )


_FUNCTIONS = f"""
-- A lexeme as a one-term tsquery (quoted: a lexeme may hold quotes, backslashes, spaces).
CREATE FUNCTION happenings_lexeme_query(lexeme text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''')::tsquery;

-- The one lexeme a search text asks for, or NULL when it asks for anything else (several words,
-- operators, a phrase, only stop words): then no walk over postings can answer it.
CREATE FUNCTION happenings_search_lexeme(q text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (
    SELECT CASE WHEN cardinality(s.lexemes) = 1 AND happenings_lexeme_query(s.lexemes[1])
                     = websearch_to_tsquery('pg_catalog.english'::regconfig, happenings_unaccent(q))
                THEN s.lexemes[1] END
    FROM (SELECT tsvector_to_array(to_tsvector('pg_catalog.english'::regconfig, happenings_unaccent(q)))
          AS lexemes) s
);

CREATE FUNCTION event_terms_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_terms ({_COLUMNS}) {_postings("inserted")};
    RETURN NULL;
END
$$;

CREATE FUNCTION event_terms_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_terms p USING ({_postings("deleted")}) AS d ({_COLUMNS}) WHERE {_KEY};
    RETURN NULL;
END
$$;

CREATE FUNCTION event_terms_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only rows whose postings change (a new price or popularity changes none).
    DELETE FROM event_terms p USING ({_postings(_changed("old_rows", "new_rows"))}) AS d ({_COLUMNS})
    WHERE {_KEY};
    INSERT INTO event_terms ({_COLUMNS}) {_postings(_changed("new_rows", "old_rows"))};
    RETURN NULL;
END
$$;

CREATE FUNCTION event_terms_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE event_terms;
    RETURN NULL;
END
$$;
"""

# (trigger and function suffix, event, transition tables)
_TRIGGERS = (
    ("inserted", "INSERT", "REFERENCING NEW TABLE AS inserted"),
    ("updated", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("deleted", "DELETE", "REFERENCING OLD TABLE AS deleted"),
    ("truncated", "TRUNCATE", ""),
)


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE event_terms (
            cell bigint NOT NULL,
            lexeme text NOT NULL,
            sort_key double precision NOT NULL,
            id uuid NOT NULL,
            starts_at timestamptz NOT NULL,
            ends_at timestamptz NOT NULL,
            px integer NOT NULL,
            py integer NOT NULL
        ) WITH (
            -- Searches read the index alone where the visibility map allows: vacuum after 1% of
            -- the table changed, not the default 20% (at 10M events, 15M written postings).
            autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01
        )
        """
    )
    op.execute(_FUNCTIONS)
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")  # the index sorts every posting once
    op.execute(f"INSERT INTO event_terms ({_COLUMNS}) {_postings('events')}")
    op.execute(
        "CREATE INDEX event_terms_walk_idx ON event_terms (cell, lexeme, sort_key, id) "
        "INCLUDE (starts_at, ends_at, px, py)"
    )
    for suffix, event, tables in _TRIGGERS:
        op.execute(
            f"CREATE TRIGGER event_terms_{suffix} AFTER {event} ON events {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION event_terms_{suffix}()"
        )
    op.execute("ANALYZE event_terms")  # VACUUM cannot run in the migration's transaction


def downgrade() -> None:
    for suffix, _, _ in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS event_terms_{suffix} ON events")
    op.execute("DROP TABLE IF EXISTS event_terms")
    for function in (
        "event_terms_truncated()",
        "event_terms_updated()",
        "event_terms_deleted()",
        "event_terms_inserted()",
        "happenings_search_lexeme(text)",
        "happenings_lexeme_query(text)",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")

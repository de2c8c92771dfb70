"""Recommendations: the interaction log (partitioned by month) and the trained models.

Revision ID: 0024
Revises: 0023

- ``interactions``: append-only signals (view, save, share, rsvp, purchase, follow), one row each,
  ``PARTITION BY RANGE (occurred_at)`` with one partition per UTC month. The worker creates the
  months ahead (``app.recommendations.tasks.ensure_partitions``); this migration creates the current
  month and the next three, plus a DEFAULT partition so a row never fails for want of its month
  (it stays empty while the worker keeps ahead). Old months are dropped as whole partitions.
  Event-bound rows carry the event's ``cell`` with its id (the co-location key of ``events``), and a
  copy of the organizer and category, which persist when the event has passed or is gone: no
  foreign key to ``events`` (history outlives the event). ``account_id`` references ``accounts``
  with ``ON DELETE CASCADE``; the erase deletes the person's rows (``app.recommendations.personal_data``).
  On Citus the table is distributed by ``account_id`` (a person's history on one shard).
- ``recommendation_models``: versioned trained models (a pickled payload of entity factors, ranker
  weights and popularity counts, no person in it). The API polls the highest version and loads it
  in a thread.

No triggers.
"""

from datetime import UTC, datetime

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

KINDS = ("view", "save", "share", "rsvp", "purchase", "follow")


def _month(year: int, month: int, offset: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + offset
    return index // 12, index % 12 + 1


def upgrade() -> None:
    kinds = ", ".join(f"'{kind}'" for kind in KINDS)
    op.execute(
        f"""
        CREATE TABLE interactions (
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            cell bigint,
            event_id uuid,
            organizer_id uuid,
            category text,
            kind text NOT NULL CHECK (kind IN ({kinds})),
            occurred_at timestamptz NOT NULL,
            CONSTRAINT interactions_event_has_cell CHECK ((event_id IS NULL) = (cell IS NULL)),
            CONSTRAINT interactions_about_something CHECK (event_id IS NOT NULL OR organizer_id IS NOT NULL)
        ) PARTITION BY RANGE (occurred_at);
        CREATE INDEX interactions_account_idx ON interactions (account_id, occurred_at DESC);
        CREATE INDEX interactions_event_idx ON interactions (cell, event_id, occurred_at DESC)
            WHERE event_id IS NOT NULL;
        CREATE INDEX interactions_time_idx ON interactions USING brin (occurred_at);
        CREATE TABLE interactions_default PARTITION OF interactions DEFAULT;

        CREATE TABLE recommendation_models (
            version bigserial PRIMARY KEY,
            trained_at timestamptz NOT NULL DEFAULT now(),
            summary jsonb NOT NULL DEFAULT '{{}}'::jsonb,
            payload bytea NOT NULL
        );
        """
    )
    now = datetime.now(UTC)
    for offset in range(0, 4):
        year, month = _month(now.year, now.month, offset)
        next_year, next_month = _month(now.year, now.month, offset + 1)
        op.execute(
            f"CREATE TABLE IF NOT EXISTS interactions_{year:04d}_{month:02d} PARTITION OF interactions "
            f"FOR VALUES FROM ('{year:04d}-{month:02d}-01 00:00:00+00') "
            f"TO ('{next_year:04d}-{next_month:02d}-01 00:00:00+00')"
        )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS recommendation_models")
    op.execute("DROP TABLE IF EXISTS interactions")

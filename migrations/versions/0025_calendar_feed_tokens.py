"""The secret address of each person's calendar feed; finding an event's reschedules quickly.

Revision ID: 0025
Revises: 0024

- ``calendar_feed_tokens``: one row per person who asked for a feed address; the token is kept as
  its SHA-256 (a leak of the table does not open anyone's feed). Rotating replaces the row.
  Not bound to an event: on Citus it stays with ``accounts`` on the coordinator.
- ``event_changes_rescheduled_idx``: an event page says "rescheduled" when its time ever changed;
  the partial index keeps that lookup to the few rows that record a reschedule.
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE calendar_feed_tokens (
            account_id uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
            token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
            created_at timestamptz NOT NULL
        );
        CREATE INDEX event_changes_rescheduled_idx ON event_changes (event_id, cell)
            WHERE 'rescheduled' = ANY(aspects);
        """
    )


def downgrade() -> None:
    op.execute("DROP INDEX event_changes_rescheduled_idx")
    op.execute("DROP TABLE calendar_feed_tokens")

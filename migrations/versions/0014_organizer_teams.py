"""Organizer teams: memberships with a role, and invitations by email.

Revision ID: 0014
Revises: 0013

The ``organizers`` table is the organization; these tables make it a team.

- ``organizer_members``: one row per (organizer, account) with the account's role in it:
  ``owner`` (runs the team), ``editor`` (publishes and edits events and venues), ``checker``
  (checks tickets at the door). The rule "an organizer keeps at least one owner" is enforced by the
  service under a lock of the organizer's membership rows (``app.organizers.repository``), not by a
  trigger: a trigger counting other rows is cross-row work Citus cannot run on a distributed table.
- ``organizer_invitations``: an invitation of an email address to a role, by a single-use token
  that expires; only the token's SHA-256 is stored. Accepting deletes the row (the membership is the
  record), so a token works once; an expired row stays until it is replaced or revoked.

Both tables are small and read by every organizer-scoped request: on Citus they become reference
tables (after ``accounts`` and ``organizers``), so joins to them push down to any shard. No triggers.
An account's memberships go with the account (``ON DELETE CASCADE``); invitations name an email
address, not an account, and are removed by the organizers domain's erase step.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE organizer_members (
            organizer_id uuid NOT NULL REFERENCES organizers(id) ON DELETE CASCADE,
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            role text NOT NULL CHECK (role IN ('owner', 'editor', 'checker')),
            joined_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (organizer_id, account_id)
        );
        -- "the organizers I belong to", and the scope check of every organizer-scoped request.
        CREATE INDEX organizer_members_account_idx ON organizer_members (account_id, organizer_id) INCLUDE (role);

        CREATE TABLE organizer_invitations (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            organizer_id uuid NOT NULL REFERENCES organizers(id) ON DELETE CASCADE,
            -- Compared without regard to case, like accounts.email.
            email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
            role text NOT NULL CHECK (role IN ('owner', 'editor', 'checker')),
            token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
            invited_by uuid REFERENCES accounts(id) ON DELETE SET NULL,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            CONSTRAINT organizer_invitations_time_order CHECK (expires_at > created_at)
        );
        -- One invitation per address and organizer: a new one replaces the old (and its token).
        CREATE UNIQUE INDEX organizer_invitations_email_key ON organizer_invitations (organizer_id, lower(email));
        CREATE INDEX organizer_invitations_email_idx ON organizer_invitations (lower(email));
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE organizer_invitations, organizer_members")

"""Sign-in identities at OpenID Connect providers, linked to accounts.

Revision ID: 0016
Revises: 0015

- ``account_identities``: one row per (provider, subject) — the provider's name in the settings and
  the ``sub`` claim of its ID tokens, which the provider never reuses for another person. The row
  says which account that person signs in to. ``email_verified`` keeps whether the provider had
  verified the address when the link was made (a link made on an unproven address stops working
  once the mailbox's reader sets a password through a reset: app.accounts.oidc.service).

The row references ``accounts`` with ``ON DELETE CASCADE``: erasing the account removes its links.
Not bound to an event: on Citus it stays local to the coordinator with ``accounts``; no triggers.
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE account_identities (
            provider text NOT NULL CHECK (provider ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
            subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            email_verified boolean NOT NULL,
            created_at timestamptz NOT NULL,
            last_used_at timestamptz NOT NULL,
            PRIMARY KEY (provider, subject)
        );
        CREATE INDEX account_identities_account_idx ON account_identities (account_id);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE account_identities")

"""Accounts, sign-in sessions with their refresh tokens, one-time tokens, and the mail outbox.

Revision ID: 0013
Revises: 0012

- ``accounts``: one per person; the email is unique whatever its case (``lower(email)``);
  ``password_hash`` is NULL for an account that only signs in through a social provider.
- ``auth_sessions``: one per sign-in; its id is the refresh-token family and the ``sid`` claim of
  every access token issued in it. Revoking the row ends the session at once (access tokens too).
- ``refresh_tokens``: SHA-256 of each opaque refresh token ever issued in a session; a rotated
  token presented again revokes its session.
- ``account_tokens``: single-use tokens for email verification and password reset, SHA-256 at rest.
- ``mail_outbox``: every mail, written in the transaction of the action that causes it and
  delivered after commit (or by the periodic drain when a sender died).

Every row that holds something about a person references ``accounts`` with ``ON DELETE CASCADE``,
so erasing the account row removes its sessions, tokens and mails. None of these tables is bound to
an event: on Citus they stay local to the coordinator (or become reference tables); no triggers.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE accounts (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
            password_hash text CHECK (length(password_hash) <= 512),
            role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
            email_verified_at timestamptz,
            display_name text CHECK (length(display_name) BETWEEN 1 AND 100),
            password_changed_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));

        CREATE TABLE auth_sessions (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            -- SHA-256 of the CSRF token of a web (cookie) session; NULL for a bearer-only session.
            csrf_hash bytea,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            last_refreshed_at timestamptz,
            revoked_at timestamptz,
            revoked_reason text CHECK (revoked_reason IN ('logout', 'logout-all', 'reuse', 'password', 'erase'))
        );
        CREATE INDEX auth_sessions_account_idx ON auth_sessions (account_id) WHERE revoked_at IS NULL;

        CREATE TABLE refresh_tokens (
            token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
            session_id uuid NOT NULL REFERENCES auth_sessions(id) ON DELETE CASCADE,
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            issued_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            rotated_at timestamptz,
            revoked_at timestamptz
        );
        CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
        CREATE INDEX refresh_tokens_account_idx ON refresh_tokens (account_id);

        CREATE TABLE account_tokens (
            token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            purpose text NOT NULL CHECK (purpose IN ('verify', 'reset')),
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            used_at timestamptz
        );
        CREATE INDEX account_tokens_account_idx ON account_tokens (account_id, purpose);

        CREATE TABLE mail_outbox (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            account_id uuid REFERENCES accounts(id) ON DELETE CASCADE,
            kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9-]{0,39}$'),
            to_address text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 254),
            subject text NOT NULL CHECK (length(subject) <= 200),
            body text NOT NULL CHECK (length(body) <= 20000),
            created_at timestamptz NOT NULL,
            attempts int NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            sent_at timestamptz,
            last_error text
        );
        CREATE INDEX mail_outbox_pending_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;
        CREATE INDEX mail_outbox_to_idx ON mail_outbox (lower(to_address), id);
        CREATE INDEX mail_outbox_account_idx ON mail_outbox (account_id);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE mail_outbox, account_tokens, refresh_tokens, auth_sessions, accounts")

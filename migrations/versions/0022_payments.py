"""Payments: Stripe webhook events seen, refunds owed and made, organizers' connected accounts.

Revision ID: 0022
Revises: 0021

- ``stripe_events``: one row per Stripe event id handled (the primary key is the unique
  constraint), written in the same transaction as the event's effect: a redelivery finds it and
  does nothing; a transaction that failed wrote neither. Not bound to an event (a reference table
  on Citus, keyed by the provider's id).
- ``payment_refunds``: the refund an order is owed, at most one per order (primary key
  ``(cell, order_id)``, the order's own key: co-located with ``orders``). Written in the
  transaction that makes the order ``refund_pending``; the refunds job claims it (``claimed_until``:
  a lease, so two workers never call the provider for the same row at once), calls the provider
  outside any transaction and records ``refund_id`` (unique: one provider refund settles one row).
- ``organizer_payment_accounts``: an organizer's Stripe Connect account (destination charges) and
  its refund policy (how long before the start attendees may still ask for a refund).
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE stripe_events (
            id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
            type text NOT NULL CHECK (length(type) <= 100),
            intent_id text CHECK (length(intent_id) <= 255),
            order_id uuid,
            outcome text NOT NULL CHECK (length(outcome) <= 100),
            received_at timestamptz NOT NULL
        );
        CREATE INDEX stripe_events_received_idx ON stripe_events (received_at);

        CREATE TABLE payment_refunds (
            cell bigint NOT NULL,
            order_id uuid NOT NULL,
            event_id uuid NOT NULL,
            intent_id text NOT NULL CHECK (length(intent_id) <= 255),
            amount integer NOT NULL CHECK (amount > 0),
            currency char(3) NOT NULL,
            reason text NOT NULL CHECK (reason IN ('attendee', 'event_cancelled', 'late_payment', 'mismatch')),
            status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
            refund_id text UNIQUE CHECK (length(refund_id) <= 255),
            attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            claimed_until timestamptz,
            last_error text CHECK (length(last_error) <= 500),
            requested_at timestamptz NOT NULL,
            executed_at timestamptz,
            PRIMARY KEY (cell, order_id),
            FOREIGN KEY (cell, order_id) REFERENCES orders (cell, id) ON UPDATE CASCADE ON DELETE CASCADE
        );
        CREATE INDEX payment_refunds_due_idx ON payment_refunds (requested_at) WHERE status = 'pending';

        CREATE TABLE organizer_payment_accounts (
            organizer_id uuid PRIMARY KEY REFERENCES organizers(id) ON DELETE CASCADE,
            stripe_account_id text UNIQUE CHECK (length(stripe_account_id) <= 255),
            charges_enabled boolean NOT NULL DEFAULT false,
            refund_window_s integer CHECK (refund_window_s >= 0),
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE organizer_payment_accounts, payment_refunds, stripe_events")

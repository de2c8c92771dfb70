"""Keys a Citus cluster accepts, and the event locator.

Revision ID: 0028
Revises: 0027

- **References follow a move by the application, not by ``ON UPDATE CASCADE``.** Citus refuses a
  cascading update of a foreign key that includes the distribution column (``cell``), and refuses a
  change of the distribution column itself. The foreign keys ``(cell, …) → events / orders /
  ticket_tiers / tickets`` keep ``ON DELETE CASCADE`` and become ``ON UPDATE NO ACTION``: an event
  moved to another cell is written as an insert of the same id in the new cell, its event-bound rows
  copied there, and the old row deleted, in one transaction (``app.events.moves``).
- **Unique keys carry the cell.** ``orders.payment_intent_id`` and ``payment_refunds.refund_id``
  were unique alone; a distributed table's unique keys must include the distribution column. They
  are unique per ``cell`` now (the provider's ids are unique anyway) with a plain index for the
  lookups by the provider's id (webhooks, reconciliation).
- **``event_locator(id → cell)``**: an event's cell by its id, for every lookup that only has the id
  (the detail page, the write path's lock). On Citus it is a reference table (a copy on every node),
  so ``SELECT cell FROM event_locator WHERE id = …`` is answered locally and the event's own
  statement then goes to one shard. The event write path keeps it (insert, move, delete); filled
  here from ``events``.
"""

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

# (table, constraint, columns, referenced table and columns) of every foreign key keyed by cell.
_CELL_KEYS = (
    ("saved_events", "saved_events_cell_event_id_fkey", "cell, event_id", "events (cell, id)"),
    ("event_places", "event_places_cell_event_id_fkey", "cell, event_id", "events (cell, id)"),
    ("ticket_tiers", "ticket_tiers_cell_event_id_fkey", "cell, event_id", "events (cell, id)"),
    ("rsvps", "rsvps_cell_event_id_fkey", "cell, event_id", "events (cell, id)"),
    ("orders", "orders_cell_event_id_fkey", "cell, event_id", "events (cell, id)"),
    ("order_items", "order_items_cell_order_id_fkey", "cell, order_id", "orders (cell, id)"),
    ("order_items", "order_items_cell_tier_id_fkey", "cell, tier_id", "ticket_tiers (cell, id)"),
    ("tickets", "tickets_cell_order_id_fkey", "cell, order_id", "orders (cell, id)"),
    ("tickets", "tickets_cell_event_id_fkey", "cell, event_id", "events (cell, id)"),
    ("checkins", "checkins_cell_ticket_id_fkey", "cell, ticket_id", "tickets (cell, id)"),
    ("checkins", "checkins_cell_event_id_fkey", "cell, event_id", "events (cell, id)"),
    ("payment_refunds", "payment_refunds_cell_order_id_fkey", "cell, order_id", "orders (cell, id)"),
)


def _rekey(on_update: str) -> None:
    for table, name, columns, target in _CELL_KEYS:
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {name}, ADD CONSTRAINT {name} FOREIGN KEY ({columns}) "
            f"REFERENCES {target} ON UPDATE {on_update} ON DELETE CASCADE"
        )


def upgrade() -> None:
    _rekey("NO ACTION")
    op.execute(
        """
        ALTER TABLE orders DROP CONSTRAINT orders_payment_intent_id_key,
            ADD CONSTRAINT orders_payment_intent_id_key UNIQUE (cell, payment_intent_id);
        CREATE INDEX orders_payment_intent_idx ON orders (payment_intent_id) WHERE payment_intent_id IS NOT NULL;
        ALTER TABLE payment_refunds DROP CONSTRAINT payment_refunds_refund_id_key,
            ADD CONSTRAINT payment_refunds_refund_id_key UNIQUE (cell, refund_id);
        CREATE INDEX payment_refunds_refund_idx ON payment_refunds (refund_id) WHERE refund_id IS NOT NULL;

        CREATE TABLE event_locator (
            id uuid PRIMARY KEY,
            cell bigint NOT NULL
        );
        INSERT INTO event_locator (id, cell) SELECT id, cell FROM events;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE event_locator;
        DROP INDEX payment_refunds_refund_idx;
        ALTER TABLE payment_refunds DROP CONSTRAINT payment_refunds_refund_id_key,
            ADD CONSTRAINT payment_refunds_refund_id_key UNIQUE (refund_id);
        DROP INDEX orders_payment_intent_idx;
        ALTER TABLE orders DROP CONSTRAINT orders_payment_intent_id_key,
            ADD CONSTRAINT orders_payment_intent_id_key UNIQUE (payment_intent_id);
        """
    )
    _rekey("CASCADE")

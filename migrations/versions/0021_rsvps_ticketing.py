"""RSVPs, waitlists, ticket tiers, orders (with their payment), tickets and check-ins.

Revision ID: 0021
Revises: 0020

Every row bound to an event carries the event's ``cell`` and references ``events (cell, id)``
(``ON UPDATE CASCADE``: a move to another cell carries the rows along; on Citus they are co-located
with ``events`` by ``cell``). No triggers.

Capacity accounting (ADR "Capacity accounting and locking"): scarce places are counters on small
rows, each with a CHECK that is the last word against overselling, whatever the code above does.

- ``event_places``: one row per event that sells or reserves places: ``capacity`` (a copy of
  ``events.capacity`` kept by the events write service in its transaction; NULL: unlimited) and
  ``taken`` (going RSVPs + held + sold tickets of every tier). CHECK ``taken <= capacity``. It is
  also the event id -> cell locator of ticketing (index on ``event_id``). A
  separate row, not columns of ``events``: ``events`` is wide, indexed many times and has a
  statement trigger (tile roll-ups), so every hold would pay for them; this row updates HOT.
- ``ticket_tiers``: name, price (minor units), currency, ``quota`` (NULL: only the event's
  capacity bounds it), the sales window, the maximum per order, and the counters ``sold`` and
  ``held`` with CHECK ``sold + held <= quota``.
- ``rsvps``: one row per (event, person) with ``going``, ``interested``, ``not_going`` or
  ``waitlisted``. The waitlist is the ``waitlisted`` rows in ``waitlist_seq`` order (first come,
  first served; a sequence number, not a clock, so two joins in one millisecond still queue).
- ``orders``: the buyer's order of one event, its hold (``expires_at``) and its payment
  (provider, PaymentIntent id — unique: one intent settles one order —, client secret, amount,
  currency, application fee, status). ``account_id`` is ``ON DELETE SET NULL`` and an erased
  buyer's orders keep their accounting under ``erased_pseudonym`` (``app.ticketing.personal_data``).
- ``order_items``: tier and quantity (and the unit price at the time of the order).
- ``order_requests``: the ``Idempotency-Key`` of each order creation per account, with the hash of
  its body and the order it made; also the order's id → cell locator for later lookups.
- ``tickets``: one per place: from an order (``order_id``, ``tier_id``) or a going RSVP (neither).
  Its QR code is a signature over its id and event, computed when shown (never stored).
- ``checkins``: at most one per ticket (the primary key): two doors scanning the same ticket at the
  same moment race on it and exactly one insert wins.
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# Take places of an event's tiers (held, or sold with ``p_sell``) and of the event, re-checking each
# counter under the row lock its UPDATE takes; no room: a check_violation naming the constraint that
# guards it (the caller's transaction is then rolled back). Tiers are locked in the order given,
# which callers sort by id (the lock order). One statement on the wire: the locks are held for
# the server's work only, never for a round trip to the application. Not a trigger: called.
_TAKE = """
CREATE FUNCTION ticketing_take(p_cell bigint, p_event uuid, p_tiers uuid[], p_quantities integer[], p_sell boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    total integer := 0;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_tiers, 1), 0) LOOP
        UPDATE ticket_tiers
           SET held = held + CASE WHEN p_sell THEN 0 ELSE p_quantities[i] END,
               sold = sold + CASE WHEN p_sell THEN p_quantities[i] ELSE 0 END
         WHERE cell = p_cell AND id = p_tiers[i] AND event_id = p_event
           AND (quota IS NULL OR sold + held + p_quantities[i] <= quota);
        IF NOT FOUND THEN
            RAISE EXCEPTION 'not enough places left in tier %', p_tiers[i]
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ticket_tiers_within_quota';
        END IF;
        total := total + p_quantities[i];
    END LOOP;
    UPDATE event_places SET taken = taken + total
     WHERE cell = p_cell AND event_id = p_event AND (capacity IS NULL OR taken + total <= capacity);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'not enough places left for event %', p_event
            USING ERRCODE = 'check_violation', CONSTRAINT = 'event_places_within_capacity';
    END IF;
END
$$;
"""

_EVENT_FK = "FOREIGN KEY (cell, event_id) REFERENCES events (cell, id) ON UPDATE CASCADE ON DELETE CASCADE"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE event_places (
            cell bigint NOT NULL,
            event_id uuid NOT NULL,
            capacity integer CHECK (capacity > 0),
            taken integer NOT NULL DEFAULT 0 CHECK (taken >= 0),
            PRIMARY KEY (cell, event_id),
            CONSTRAINT event_places_within_capacity CHECK (capacity IS NULL OR taken <= capacity),
            {_EVENT_FK}
        );
        -- The event id -> cell locator of ticketing: requests name an event by id alone, and a lookup in
        -- the partitioned events table without its cell opens (and locks) all 64 partitions.
        CREATE INDEX event_places_event_idx ON event_places (event_id) INCLUDE (cell);

        CREATE TABLE ticket_tiers (
            cell bigint NOT NULL,
            event_id uuid NOT NULL,
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
            price integer NOT NULL CHECK (price >= 0),
            currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{{3}}$'),
            quota integer CHECK (quota > 0),
            sold integer NOT NULL DEFAULT 0 CHECK (sold >= 0),
            held integer NOT NULL DEFAULT 0 CHECK (held >= 0),
            sales_start timestamptz,
            sales_end timestamptz,
            max_per_order integer NOT NULL DEFAULT 10 CHECK (max_per_order BETWEEN 1 AND 100),
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (cell, id),
            CONSTRAINT ticket_tiers_within_quota CHECK (quota IS NULL OR sold + held <= quota),
            CONSTRAINT ticket_tiers_window_order
                CHECK (sales_start IS NULL OR sales_end IS NULL OR sales_start < sales_end),
            {_EVENT_FK}
        );
        CREATE INDEX ticket_tiers_event_idx ON ticket_tiers (cell, event_id, price, id);
        CREATE INDEX ticket_tiers_id_idx ON ticket_tiers (id);

        CREATE TABLE rsvps (
            cell bigint NOT NULL,
            event_id uuid NOT NULL,
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            status text NOT NULL CHECK (status IN ('going', 'interested', 'not_going', 'waitlisted')),
            waitlist_seq bigint,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (cell, event_id, account_id),
            CONSTRAINT rsvps_waitlisted_has_seq CHECK ((status = 'waitlisted') = (waitlist_seq IS NOT NULL)),
            {_EVENT_FK}
        );
        CREATE SEQUENCE rsvps_waitlist_seq AS bigint;
        CREATE INDEX rsvps_waitlist_idx ON rsvps (cell, event_id, waitlist_seq) WHERE status = 'waitlisted';
        CREATE INDEX rsvps_event_status_idx ON rsvps (cell, event_id, status, created_at);
        CREATE INDEX rsvps_account_idx ON rsvps (account_id, updated_at DESC);

        CREATE TABLE orders (
            cell bigint NOT NULL,
            event_id uuid NOT NULL,
            id uuid NOT NULL,
            account_id uuid REFERENCES accounts(id) ON DELETE SET NULL,
            erased_pseudonym uuid,
            status text NOT NULL CHECK (status IN (
                'awaiting_payment', 'paid', 'expired', 'cancelled', 'failed',
                'refund_pending', 'refunded', 'flagged')),
            flagged boolean NOT NULL DEFAULT false,
            flag_reason text CHECK (length(flag_reason) <= 500),
            amount integer NOT NULL CHECK (amount >= 0),
            currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{{3}}$'),
            application_fee integer CHECK (application_fee >= 0),
            payment_provider text CHECK (payment_provider IN ('stripe')),
            payment_intent_id text UNIQUE CHECK (length(payment_intent_id) <= 255),
            client_secret text CHECK (length(client_secret) <= 500),
            refund_id text CHECK (length(refund_id) <= 255),
            expires_at timestamptz NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            paid_at timestamptz,
            PRIMARY KEY (cell, id),
            CONSTRAINT orders_owner_or_erased CHECK (account_id IS NOT NULL OR erased_pseudonym IS NOT NULL),
            CONSTRAINT orders_paid_has_intent CHECK (status <> 'paid' OR amount = 0 OR payment_intent_id IS NOT NULL),
            {_EVENT_FK}
        );
        CREATE INDEX orders_id_idx ON orders (id);
        CREATE INDEX orders_account_idx ON orders (account_id, created_at DESC);
        CREATE INDEX orders_event_status_idx ON orders (cell, event_id, status);
        -- The sweeper's scan: holds still open, by the time they end.
        CREATE INDEX orders_open_holds_idx ON orders (expires_at) WHERE status = 'awaiting_payment';

        CREATE TABLE order_items (
            cell bigint NOT NULL,
            order_id uuid NOT NULL,
            tier_id uuid NOT NULL,
            quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
            unit_price integer NOT NULL CHECK (unit_price >= 0),
            PRIMARY KEY (cell, order_id, tier_id),
            FOREIGN KEY (cell, order_id) REFERENCES orders (cell, id) ON UPDATE CASCADE ON DELETE CASCADE,
            FOREIGN KEY (cell, tier_id) REFERENCES ticket_tiers (cell, id) ON UPDATE CASCADE ON DELETE CASCADE
        );

        CREATE TABLE order_requests (
            account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
            request_hash bytea NOT NULL CHECK (length(request_hash) = 32),
            cell bigint NOT NULL,
            order_id uuid NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (account_id, idempotency_key)
        );

        CREATE TABLE tickets (
            cell bigint NOT NULL,
            event_id uuid NOT NULL,
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            account_id uuid REFERENCES accounts(id) ON DELETE CASCADE,
            order_id uuid,
            tier_id uuid,
            status text NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'void')),
            issued_at timestamptz NOT NULL,
            PRIMARY KEY (cell, id),
            FOREIGN KEY (cell, order_id) REFERENCES orders (cell, id) ON UPDATE CASCADE ON DELETE CASCADE,
            {_EVENT_FK}
        );
        CREATE INDEX tickets_account_idx ON tickets (account_id, issued_at DESC);
        CREATE INDEX tickets_event_idx ON tickets (cell, event_id, id);
        CREATE INDEX tickets_order_idx ON tickets (cell, order_id) WHERE order_id IS NOT NULL;
        CREATE INDEX tickets_id_idx ON tickets (id);
        -- A going RSVP has one ticket (an RSVP re-made after a cancellation gets a new one).
        CREATE UNIQUE INDEX tickets_rsvp_key ON tickets (cell, event_id, account_id)
            WHERE order_id IS NULL AND status = 'valid';

        CREATE TABLE checkins (
            cell bigint NOT NULL,
            event_id uuid NOT NULL,
            ticket_id uuid NOT NULL,
            door text NOT NULL CHECK (length(door) BETWEEN 1 AND 50),
            checked_in_at timestamptz NOT NULL,
            PRIMARY KEY (cell, ticket_id),
            FOREIGN KEY (cell, ticket_id) REFERENCES tickets (cell, id) ON UPDATE CASCADE ON DELETE CASCADE,
            {_EVENT_FK}
        );
        CREATE INDEX checkins_event_idx ON checkins (cell, event_id, checked_in_at);
        """
    )
    op.execute(_TAKE)


def downgrade() -> None:
    op.execute("DROP FUNCTION ticketing_take(bigint, uuid, uuid[], integer[], boolean)")
    op.execute(
        "DROP TABLE checkins, tickets, order_requests, order_items, orders, rsvps, ticket_tiers, event_places; "
        "DROP SEQUENCE rsvps_waitlist_seq"
    )

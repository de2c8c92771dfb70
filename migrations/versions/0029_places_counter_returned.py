"""``ticketing_take`` returns the event's places counter as it left it.

Revision ID: 0029
Revises: 0028

The function (migration 0021) holds or sells places of an event's tiers and of the event in one
statement. It now returns the event's ``event_places`` row after the update (``capacity``,
``taken``), so the caller sees whether the event became sold out or has few places left
(``app.ticketing.availability``) without another round trip while it holds the places' lock. The body
is otherwise the same. A new return type needs a new function: dropped and made again, in one
transaction (no caller sees it missing).
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

_BODY = """
DECLARE
    total integer := 0;
    counter event_places;
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
     WHERE cell = p_cell AND event_id = p_event AND (capacity IS NULL OR taken + total <= capacity)
    RETURNING * INTO counter;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'not enough places left for event %', p_event
            USING ERRCODE = 'check_violation', CONSTRAINT = 'event_places_within_capacity';
    END IF;
    RETURN counter;
END
"""

_SIGNATURE = "ticketing_take(p_cell bigint, p_event uuid, p_tiers uuid[], p_quantities integer[], p_sell boolean)"


def upgrade() -> None:
    op.execute("DROP FUNCTION ticketing_take(bigint, uuid, uuid[], integer[], boolean)")
    op.execute(f"CREATE FUNCTION {_SIGNATURE} RETURNS event_places LANGUAGE plpgsql AS $${_BODY}$$")


def downgrade() -> None:
    body = _BODY.replace("    counter event_places;\n", "").replace("\n    RETURNING * INTO counter;", ";")
    body = body.replace("    RETURN counter;\n", "")
    op.execute("DROP FUNCTION ticketing_take(bigint, uuid, uuid[], integer[], boolean)")
    op.execute(f"CREATE FUNCTION {_SIGNATURE} RETURNS void LANGUAGE plpgsql AS $${body}$$")

"""What ticketing and RSVPs hold about a person, for the export and the erase (``app.privacy.registry``).

- RSVPs (and waitlist places): exported, deleted on erase; the places going RSVPs held are freed.
- Tickets: exported (without codes: they are signatures anyone can recompute from the ids, but
  a code is a credential at the door); deleted on erase with their check-ins.
- Orders: the accounting of a payment is kept after an erase, detached from the person: the
  account link becomes NULL and the erasure's pseudonym stands in (``pseudonymised_rows``);
  amounts, currency, status, PaymentIntent id and items stay. The client secret is cleared.
- Idempotency keys of order requests: deleted (they name nothing but link orders to the account).
"""

from __future__ import annotations

from psycopg import sql

from app.db import Conn
from app.privacy.registry import Erasure, Exported, Holder, Person, fetch_json, owned_rows, pseudonymised_rows

_RSVPS = sql.SQL(
    "SELECT coalesce(jsonb_agg(jsonb_build_object('event_id', r.event_id, 'status', r.status, "
    "'created_at', r.created_at, 'updated_at', r.updated_at) ORDER BY r.updated_at DESC), '[]'::jsonb) AS rows "
    "FROM (SELECT * FROM rsvps WHERE account_id = %(account_id)s ORDER BY updated_at DESC LIMIT 10000) r"
)


def holders() -> list[Holder]:
    return [
        Holder("rsvps", ("rsvps",), _export_rsvps, _erase_rsvps),
        owned_rows("tickets", "tickets", order_by="issued_at DESC, id"),
        owned_rows("order_requests", "order_requests", order_by="created_at DESC", hidden=("request_hash",)),
        pseudonymised_rows("orders", "orders", cleared=("client_secret",), order_by="created_at DESC, id"),
    ]


async def _export_rsvps(conn: Conn, person: Person) -> Exported:
    return await fetch_json(conn, _RSVPS, {"account_id": person.account_id})


async def _erase_rsvps(conn: Conn, erasure: Erasure) -> None:
    """Delete the person's RSVPs and free the places their going ones held (in event order, the
    lock order). Nobody is promoted here: the erase keeps to the person's rows."""
    cur = await conn.execute(
        "DELETE FROM rsvps WHERE account_id = %s AND status = 'going' RETURNING cell, event_id",
        (erasure.person.account_id,),
    )
    for row in sorted(await cur.fetchall(), key=lambda r: (r["cell"], r["event_id"])):
        await conn.execute(
            "UPDATE event_places SET taken = taken - 1 WHERE cell = %s AND event_id = %s",
            (row["cell"], row["event_id"]),
        )
    await conn.execute("DELETE FROM rsvps WHERE account_id = %s", (erasure.person.account_id,))

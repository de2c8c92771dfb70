"""Door check-in: admit a ticket once, and the signed list scanners use offline.

Two doors scanning the same ticket at the same moment both try to insert its one ``checkins`` row
(primary key: the ticket); the database lets exactly one insert win and the other door is told when
and where the ticket was used. The check-in list carries every valid ticket of the event with its
check-in, signed with the key that signs the codes, so a scanner that lost the network keeps
admitting known tickets (and syncs its check-ins through ``POST /checkins`` when back online,
where the same rule refuses a ticket another door admitted meanwhile).

An offline admission is synced with ``scanned_at``, the door's clock when it let the person in, and
that is the check-in time recorded. The first check-in to reach the server still wins, whatever its
time. The door's clock is believed within bounds: at most ``SCAN_CLOCK_SKEW`` ahead of the server's
(a phone's clock drifts) and at most ``SCAN_MAX_AGE`` in the past (a door that stays offline longer
than an event's night and the next day syncs by scanning again); outside them the answer is a 422.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from app.accounts.auth import Subject
from app.db import Conn
from app.errors import InvalidParameter
from app.kit.cursor import CursorSigner, InvalidCursor
from app.organizers.auth import Role, authorize
from app.ticketing import repository
from app.ticketing.context import TicketingContext
from app.ticketing.errors import (
    AlreadyCheckedIn,
    InvalidTicket,
    ScanTimeOutOfRange,
    TicketNotFound,
    TicketVoid,
    WrongEvent,
)
from app.ticketing.signing import BadCode

DEFAULT_LIST_SIZE = 10_000
SCAN_CLOCK_SKEW = timedelta(minutes=2)
SCAN_MAX_AGE = timedelta(hours=48)


async def admit(
    conn: Conn,
    subject: Subject,
    code: str,
    door: str,
    event_id: UUID | None,
    ctx: TicketingContext,
    *,
    scanned_at: datetime | None = None,
) -> dict[str, Any]:
    """Check the ticket in at ``door`` (at ``scanned_at`` for an offline scan synced later, else now);
    refused when used before, void, or for another event."""
    now = ctx.clock()
    if scanned_at is not None:
        if scanned_at > now + SCAN_CLOCK_SKEW:
            raise ScanTimeOutOfRange("the scan time is in the future", param="scanned_at")
        if scanned_at < now - SCAN_MAX_AGE:
            raise ScanTimeOutOfRange("the scan is older than 48 hours", param="scanned_at")
    try:
        ref = ctx.signer.verify(code.strip())
    except BadCode as exc:
        raise InvalidTicket(str(exc), param="code") from exc
    ticket = await repository.ticket_by_id(conn, ref.ticket_id)
    not_found = TicketNotFound("no such ticket")
    if ticket is None or ticket["event_id"] != ref.event_id:
        raise not_found
    event = await repository.event_of(conn, ticket["event_id"])
    if event is None:
        raise not_found
    await authorize(conn, subject, event["organizer_id"], Role.CHECKER, not_found=not_found)
    if event_id is not None and event_id != ticket["event_id"]:
        raise WrongEvent(f"this ticket is for {event['title']!r}", param="code", ticket_event_id=str(event["id"]))
    if ticket["status"] != "valid":
        raise TicketVoid("this ticket was cancelled or refunded", param="code")
    at = now if scanned_at is None else scanned_at
    if not await repository.insert_checkin(conn, ticket["cell"], ticket["event_id"], ticket["id"], door, at):
        earlier = await repository.checkin_of(conn, ticket["cell"], ticket["id"])
        assert earlier is not None
        raise AlreadyCheckedIn(
            f"already used at {earlier['checked_in_at'].isoformat()} at door {earlier['door']!r}",
            param="code",
            checked_in_at=earlier["checked_in_at"].isoformat(),
            door=earlier["door"],
        )
    return {"ticket_id": ticket["id"], "event_id": ticket["event_id"], "door": door, "checked_in_at": at}


async def signed_list(
    conn: Conn, event: dict[str, Any], limit: int | None, cursor: str | None, ctx: TicketingContext
) -> dict[str, Any]:
    """One page of the event's valid tickets (by id) with their check-ins, signed as a whole."""
    size = limit or DEFAULT_LIST_SIZE
    signer = CursorSigner(ctx.settings.discovery.cursor_secret)
    scope = b"checkin-list:" + event["id"].bytes
    after = None
    if cursor is not None:
        try:
            after = UUID(str(signer.decode(cursor, scope)[0]))
        except (InvalidCursor, ValueError, IndexError) as exc:
            raise InvalidParameter("the cursor is malformed", param="cursor") from exc
    rows = await repository.valid_tickets_of_event(conn, event["cell"], event["id"], after, size + 1)
    next_cursor = signer.encode([str(rows[size - 1]["id"])], scope) if len(rows) > size else None
    document: dict[str, Any] = {
        "event_id": str(event["id"]),
        "generated_at": ctx.clock().isoformat(),
        "public_key": ctx.signer.public_key_b64,
        "tickets": [
            {
                "id": str(r["id"]),
                "checked_in_at": r["checked_in_at"].isoformat() if r["checked_in_at"] else None,
                "door": r["door"],
            }
            for r in rows[:size]
        ],
        "next_cursor": next_cursor,
    }
    document["signature"] = ctx.signer.sign_list(document)
    return document

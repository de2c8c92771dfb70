"""The rules of RSVPs and the waitlist for free events.

A going RSVP takes one of the event's places (``event_places.taken``, shared with ticket tiers) and
gets a ticket; when none is left the person joins the waitlist. A going answer takes its place with
one conditional update (re-checked under the row lock it takes); every other change — a refusal
that joins the waitlist, a going person who changes their answer or leaves — runs under the lock
of the event's places row, so they are serialised per event: a place that frees up passes straight
to the first person waiting (the counter does not move), so no more people are promoted than places
were freed, and nobody joins the waitlist while a place is free. Commits are asynchronous (the
lock goes without a disk flush); the endpoint waits for durability before it answers.
Each promotion writes a mail into the outbox and returns a ``WaitlistPromoted`` for the unit of
work (push listens to it after commit). A capacity raise hands its new places to the waitlist the
same way, in the transaction of the edit (``fill_new_places``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from app.db import Conn
from app.events.changes import EventChange
from app.kit.clock import Clock
from app.kit.mail import Mail, MailQueued, enqueue
from app.recommendations.signals import record_interaction
from app.rsvps import repository
from app.rsvps.errors import EventSellsTickets
from app.ticketing import repository as places
from app.ticketing.errors import EventNotFound, NotOnSale
from app.ticketing.service import capacity_errors
from config.settings import Settings

Answer = Literal["going", "interested", "not_going"]


@dataclass(frozen=True, slots=True)
class WaitlistPromoted:
    """Published after commit: a person on the waitlist got a place (push tells them)."""

    cell: int
    event_id: UUID
    account_id: UUID


@dataclass(slots=True)
class RsvpResult:
    status: str | None  # None once the RSVP was withdrawn
    waitlist_position: int | None
    # A new place in the line: its position is counted after the commit, outside the lock.
    waitlist_seq: int | None = None
    # Domain events to publish on the unit of work (promotions, queued mails).
    published: list[object] = field(default_factory=list)


async def answer(
    conn: Conn, account_id: UUID, event_id: UUID, status: Answer, settings: Settings, clock: Clock
) -> RsvpResult:
    """Record the person's answer; ``going`` takes a place or joins the waitlist."""
    event = await _open_event(conn, event_id, settings, clock)
    cell = event["cell"]
    async with capacity_errors(settings.ticketing):
        current = await repository.lock_rsvp(conn, cell, event_id, account_id)
        was = None if current is None else current["status"]
        now = clock()
        if status == "going":
            if was == "going":
                return RsvpResult("going", None)
            if was == "waitlisted":
                assert current is not None
                position = await repository.waitlist_position(conn, cell, event_id, current["waitlist_seq"])
                return RsvpResult("waitlisted", position)
            # A signal for recommendations (going, or waitlisted: the wish is the same), before the places' lock.
            await record_interaction(conn, account_id=account_id, cell=cell, event_id=event_id, kind="rsvp", at=now)
            await repository.upsert_rsvp(conn, cell, event_id, account_id, "going", now)
            await places.issue_tickets(conn, cell, event_id, account_id, None, None, 1, now)
            if await places.take_places(conn, cell, event_id, 1):  # the last statement: the lock is brief
                return RsvpResult("going", None)
            # Full: under the places lock (a departure frees and promotes under it too), look again.
            await places.lock_places(conn, cell, event_id)
            if await places.take_places(conn, cell, event_id, 1):
                return RsvpResult("going", None)
            await places.void_rsvp_ticket(conn, cell, event_id, account_id)
            row = await repository.upsert_rsvp(conn, cell, event_id, account_id, "waitlisted", now, queue=True)
            return RsvpResult("waitlisted", None, waitlist_seq=row["waitlist_seq"])
        if was == "going":
            await places.lock_places(conn, cell, event_id)
        await repository.upsert_rsvp(conn, cell, event_id, account_id, status, now)
        published = await _place_freed(conn, event, account_id, settings, clock) if was == "going" else []
        return RsvpResult(status, None, published=published)


async def withdraw(conn: Conn, account_id: UUID, event_id: UUID, settings: Settings, clock: Clock) -> RsvpResult:
    """The person takes back their RSVP (and leaves the waitlist); a place they held passes on."""
    event = await _open_event(conn, event_id, settings, clock)
    async with capacity_errors(settings.ticketing):
        current = await repository.lock_rsvp(conn, event["cell"], event_id, account_id)
        if current is None:
            return RsvpResult(None, None)
        if current["status"] == "going":
            await places.lock_places(conn, event["cell"], event_id)
        await repository.delete_rsvp(conn, event["cell"], event_id, account_id)
        published = await _place_freed(conn, event, account_id, settings, clock) if current["status"] == "going" else []
        return RsvpResult(None, None, published=published)


async def _open_event(conn: Conn, event_id: UUID, settings: Settings, clock: Clock) -> dict[str, Any]:
    """The published, not yet ended event without ticket tiers (with its places row)."""
    await places.set_lock_timeout(conn, settings.ticketing.lock_timeout_ms, commit_async=True)
    async with capacity_errors(settings.ticketing):
        event = await places.event_of(conn, event_id, key_share=True)
        if event is None or event["status"] != "published":
            raise EventNotFound(f"event {event_id} not found")
        if clock() >= event["ends_at"]:
            raise NotOnSale("the event is over")
        if await places.tiers_of_event(conn, event["cell"], event_id, 1):
            raise EventSellsTickets("this event sells tickets: buy one instead of answering")
        await places.ensure_places(conn, event["cell"], event_id)
    return event


async def _place_freed(
    conn: Conn, event: dict[str, Any], leaving: UUID, settings: Settings, clock: Clock
) -> list[object]:
    """A going person left: void their ticket and hand the place to the first person waiting, if any."""
    cell, event_id = int(str(event["cell"])), UUID(str(event["id"]))
    await places.void_rsvp_ticket(conn, cell, event_id, leaving)
    waiting = await repository.next_waitlisted(conn, cell, event_id, 1)
    if not waiting:
        await places.free_places(conn, cell, event_id, 1)
        return []
    return await _promote(conn, cell, event_id, str(event["title"]), waiting[0], settings, clock)


async def _promote(
    conn: Conn, cell: int, event_id: UUID, title: str, person: dict[str, Any], settings: Settings, clock: Clock
) -> list[object]:
    now = clock()
    account_id = UUID(str(person["account_id"]))
    await repository.promote(conn, cell, event_id, account_id, now)
    await places.issue_tickets(conn, cell, event_id, account_id, None, None, 1, now)
    link = f"{settings.mail.public_url.rstrip('/')}/events/{event_id}"
    mail = Mail(
        to=str(person["email"]),
        subject=f"You have a place: {title}",
        body=f"A place came free at {title} and it is yours. Your ticket is in your tickets.\n\n{link}\n",
        kind="waitlist-promoted",
        account_id=account_id,
    )
    queued: MailQueued = await enqueue(conn, mail, clock)
    return [queued, WaitlistPromoted(cell, event_id, account_id)]


async def fill_new_places(conn: Conn, changes: Iterable[EventChange], settings: Settings, clock: Clock) -> list[object]:
    """After writes that changed events' capacity (``capacity`` aspect), in their transaction: hand the
    places a raise added to the waitlists, first come first served, as a place freed by a departure
    is handed on (a mail in the outbox, a ``WaitlistPromoted`` for push). What to publish after commit."""
    published: list[object] = []
    for change in changes:
        if "capacity" not in change.aspects or change.kind != "updated":
            continue
        cell = await places.cell_of_event(conn, change.event_id)
        if cell is not None:
            published += await promote_into_new_places(conn, cell, change.event_id, settings, clock)
    return published


async def promote_into_new_places(
    conn: Conn, cell: int, event_id: UUID, settings: Settings, clock: Clock
) -> list[object]:
    """Fill the event's free places from its waitlist, under the places row's lock (held to the end of
    the transaction: a departure or a newcomer waits, so nobody passes the people in line and no more
    are promoted than places are free)."""
    await places.set_lock_timeout(conn, settings.ticketing.lock_timeout_ms)
    async with capacity_errors(settings.ticketing):
        row = await places.lock_places(conn, cell, event_id)
        if row is None:
            return []  # nothing was ever taken: nobody waits
        free = settings.ticketing.max_promotions if row["capacity"] is None else row["capacity"] - row["taken"]
        if free <= 0:
            return []
        waiting = await repository.next_waitlisted(conn, cell, event_id, min(free, settings.ticketing.max_promotions))
        if not waiting or not await places.take_places(conn, cell, event_id, len(waiting)):
            return []
        event = await places.event_of(conn, event_id)
        title = str(event["title"]) if event else ""
        published: list[object] = []
        for person in waiting:
            published += await _promote(conn, cell, event_id, title, person, settings, clock)
        return published

"""How full an event is, as the map shows it: sold out, few places left, or nothing to say.

One definition for the tiles' ``availability`` property (``tiles.sql``) and for the changes that
announce a move from one level to another (``app.ticketing.availability``): an event with a capacity
is *sold out* when no place is left, and has *few left* when at most ``FEW_LEFT_PLACES`` places and
at most a ``1 / FEW_LEFT_SHARE`` share of its capacity are left (at least one place counts as few: an
event of three places with one left has few left). Events without a capacity have no availability.
Places are counted as the lists count them (``places_left``): the capacity minus the going RSVPs and
the held and sold tickets of ``event_places``.
"""

from __future__ import annotations

from typing import Literal

Availability = Literal["sold_out", "few_left"]

FEW_LEFT_PLACES = 10
FEW_LEFT_SHARE = 5


def availability(capacity: int | None, taken: int) -> Availability | None:
    """The level of an event with ``capacity`` places (None: unlimited) of which ``taken`` are taken."""
    if capacity is None:
        return None
    left = max(capacity - taken, 0)
    if left == 0:
        return "sold_out"
    if left <= few_left_at_most(capacity):
        return "few_left"
    return None


def few_left_at_most(capacity: int) -> int:
    """The most places left that still count as few, for an event of ``capacity`` places."""
    return max(1, min(FEW_LEFT_PLACES, capacity // FEW_LEFT_SHARE))


def availability_sql(capacity: str, left: str) -> str:
    """The same rule in SQL over the expressions ``capacity`` and ``left`` (NULL: no availability)."""
    return (
        f"CASE WHEN {capacity} IS NULL THEN NULL WHEN {left} <= 0 THEN 'sold_out' "
        f"WHEN {left} <= greatest(1, least({FEW_LEFT_PLACES}, ({capacity}) / {FEW_LEFT_SHARE})) THEN 'few_left' END"
    )

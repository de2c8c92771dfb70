"""Sales of an event for its organizer: per-tier totals and tickets over time.

Buckets are hours or days of the event's own wall clock (its time zone), so "Tuesday" on the chart
is Tuesday where the event happens, whoever looks. The series runs from the first bucket with a
ticket to the last, empty buckets included, and holds at most ``MAX_BUCKETS``: a longer history
keeps its newest part and says it was cut (``truncated``). A day that changes clocks is still one
bucket; an hour the clocks skip (spring) has no bucket, and an hour they repeat (autumn) counts both
passes in one bucket, keyed by its first.
The chart counts tickets that are valid now (a refunded or cancelled one leaves it), paid and
RSVP alike; takings count paid orders only, per currency.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from app.db import Conn
from app.ticketing import repository
from config.settings import TicketingSettings

Bucket = Literal["hour", "day"]
MAX_BUCKETS = 400
_STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


async def summary(conn: Conn, event: dict[str, Any], bucket: Bucket, settings: TicketingSettings) -> dict[str, Any]:
    """Per-tier totals (sold, held, quota, revenue, refunds) and the tickets-over-time series."""
    cell, event_id, zone = event["cell"], event["id"], event["timezone"]
    tiers = await repository.tiers_of_event(conn, cell, event_id, settings.max_tiers_per_event)
    money = {row["tier_id"]: row for row in await repository.money_by_tier(conn, cell, event_id)}
    counts = await repository.tickets_by_bucket(conn, cell, event_id, bucket, zone, MAX_BUCKETS + 1)
    takings = await repository.revenue_by_bucket(conn, cell, event_id, bucket, zone, MAX_BUCKETS + 1)
    buckets, truncated = series(counts, takings, bucket, zone)
    return {
        "event_id": event_id,
        "timezone": zone,
        "bucket": bucket,
        "tiers": [_tier(t, money.get(t["id"])) for t in tiers],
        "buckets": buckets,
        "truncated": truncated,
    }


def _tier(tier: dict[str, Any], money: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "tier_id": tier["id"],
        "name": tier["name"],
        "price": tier["price"],
        "currency": tier["currency"],
        "quota": tier["quota"],
        "sold": tier["sold"],
        "held": tier["held"],
        "revenue": int(money["revenue"]) if money else 0,
        "refunded": int(money["refunded"]) if money else 0,
        "refunded_amount": int(money["refunded_amount"]) if money else 0,
    }


def series(
    counts: list[dict[str, Any]], takings: list[dict[str, Any]], bucket: Bucket, zone: str
) -> tuple[list[dict[str, Any]], bool]:
    """Every bucket from the first with a ticket to the last (at most ``MAX_BUCKETS``, the newest),
    each with its tickets and takings; and whether older buckets were left out."""
    local_starts = [row["local_start"] for row in counts] + [row["local_start"] for row in takings]
    if not local_starts:
        return [], False
    step = _STEP[bucket]
    last = max(local_starts)
    first = min(local_starts)
    oldest_kept = last - step * (MAX_BUCKETS - 1)
    truncated = first < oldest_kept or len(counts) > MAX_BUCKETS or len(takings) > MAX_BUCKETS
    first = max(first, oldest_kept)
    tickets = {row["local_start"]: int(row["tickets"]) for row in counts}
    revenue: dict[datetime, dict[str, int]] = {}
    for row in takings:
        revenue.setdefault(row["local_start"], {})[row["currency"]] = int(row["amount"])
    tz = ZoneInfo(zone)
    out = []
    at = first
    while at <= last:
        start = at.replace(tzinfo=tz)
        if start.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == at:  # not an hour the clocks skip
            out.append({"start": start, "tickets": tickets.get(at, 0), "revenue": revenue.get(at, {})})
        at += step
    return out, truncated

"""Sending notices: one notice per transaction, claimed with ``SKIP LOCKED``, its person locked.

Each notice is claimed in its own transaction (``FOR UPDATE SKIP LOCKED``: workers share the queue),
then its person is locked (a transaction-scoped advisory lock, under ``lock_timeout``), so that the
daily cap is counted and the notice sent by one worker at a time per person: two workers at once
cannot both send the cap's last notice. Then, in the person's time zone:

- quiet hours: the notice waits until they end (``next_attempt_at``), it is never dropped;
- the daily cap: beyond it, the notice stays in the in-app inbox only (``inbox_only``);
- channels: each device whose channel is on gets the push; a dead token is pruned; a device that
  failed is tried again with backoff (the devices already served are remembered in ``delivered_to``).

In development every push also goes to the development outbox (``mail_outbox``, listed at
``/api/v1/dev/outbox``), whether or not the person has a device and whether or not the device's push
service answers: a copy is written at the notice's first delivery attempt (``attempts = 0``), in the
same transaction as the notice's new state, so exactly once whatever dies when. Without a device
(or without FCM credentials or VAPID keys), the copy is the delivery.

Pushes to FCM and Web Push leave the process before the commit; a crash between the two sends that
notice again (at least once), and the copy carries the notice id as its collapse key (FCM) or
``Topic`` (Web Push), so the device shows it once.
"""

from __future__ import annotations

import asyncio
import zlib
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from psycopg_pool import AsyncConnectionPool

from app.db import Conn
from app.kit.clock import Clock
from app.notifications.push import Device, Payload, Transports
from config.settings import NotificationSettings

# The due notice and what its delivery needs of its person, in one round trip.
_CLAIM = (
    "SELECT n.id, n.account_id, n.event_id, n.kind, n.title, n.body, n.data, n.attempts, n.delivered_to, "
    "a.email, s.fcm, s.webpush, s.quiet_start, s.quiet_end, coalesce(s.time_zone, p.time_zone) AS time_zone "
    "FROM (SELECT * FROM notices WHERE state = 'pending' AND next_attempt_at <= %s "
    "      ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) n "
    "JOIN accounts a ON a.id = n.account_id "
    "LEFT JOIN notification_settings s ON s.account_id = n.account_id "
    "LEFT JOIN profiles p ON p.account_id = n.account_id"
)


def person_lock_key(account_id: object) -> int:
    """A stable 32-bit advisory lock key per person (the same in every worker)."""
    return zlib.crc32(f"happenings.notices:{account_id}".encode())


class Delivery:
    def __init__(
        self,
        pool: AsyncConnectionPool[Conn],
        transports: Transports,
        settings: NotificationSettings,
        clock: Clock,
        *,
        outbox: bool,
    ) -> None:
        self._pool = pool
        self._transports = transports
        self._settings = settings
        self._clock = clock
        self._outbox = outbox  # development: pushes with nowhere to go land in the mail outbox

    async def deliver_due(self, batch: int) -> int:
        """Settle up to ``batch`` due notices with a few concurrent loops; the number settled."""
        settled = 0
        remaining = [batch]

        async def loop() -> None:
            nonlocal settled
            while remaining[0] > 0:
                remaining[0] -= 1
                if not await self.deliver_one():
                    return
                settled += 1

        await asyncio.gather(*(loop() for _ in range(self._settings.deliver_concurrency)))
        return settled

    async def deliver_one(self) -> bool:
        """Claim one due notice and settle it (sent, deferred, retried or inbox-only); False when none is due."""
        async with self._pool.connection() as conn, conn.transaction():
            now = self._clock()
            cur = await conn.execute(_CLAIM, (now,))
            notice = await cur.fetchone()
            if notice is None:
                return False
            await conn.execute(
                "SELECT set_config('lock_timeout', '5s', true), pg_advisory_xact_lock(%s)",
                (person_lock_key(notice["account_id"]),),
            )
            # The notice row is locked, so its person's settings read with it are this transaction's.
            await self._settle(conn, notice, notice, now)
            return True

    async def _settle(self, conn: Conn, notice: dict[str, Any], person: dict[str, Any], now: datetime) -> None:
        zone = _zone(person["time_zone"])
        quiet = self._quiet(person)
        if quiet is not None and (until := quiet_until(now, zone, *quiet)) is not None:
            await conn.execute("UPDATE notices SET next_attempt_at = %s WHERE id = %s", (until, notice["id"]))
            return
        local_midnight = datetime.combine(now.astimezone(zone).date(), time(0), zone)
        cur = await conn.execute(
            "SELECT count(*) AS n FROM notices WHERE account_id = %s AND state = 'sent' AND sent_at >= %s",
            (notice["account_id"], local_midnight),
        )
        row = await cur.fetchone()
        if row is not None and row["n"] >= self._settings.daily_cap:
            await conn.execute("UPDATE notices SET state = 'inbox_only' WHERE id = %s", (notice["id"],))
            return
        copied = self._outbox and notice["attempts"] == 0
        if copied:
            await _copy_to_outbox(conn, notice, person, now)
        devices = await self._devices(conn, notice, person)
        if not devices:
            await self._without_devices(conn, notice, now, copied)
            return
        await self._push(conn, notice, devices, now, copied)

    def _quiet(self, person: dict[str, Any]) -> tuple[time, time] | None:
        """The person's own quiet hours; else the default ones, only where their time zone is known.

        Night in an unknown zone is a guess that is wrong for most people, so it holds nothing back.
        """
        if person["quiet_start"] is not None:
            return person["quiet_start"], person["quiet_end"]
        if person["time_zone"] is None:
            return None
        start, end = self._settings.quiet_start, self._settings.quiet_end
        return time.fromisoformat(start), time.fromisoformat(end)

    async def _devices(self, conn: Conn, notice: dict[str, Any], person: dict[str, Any]) -> list[Device]:
        platforms = []
        if self._transports.fcm is not None and person["fcm"] is not False:
            platforms.append("fcm")
        if self._transports.webpush is not None and person["webpush"] is not False:
            platforms.append("webpush")
        if not platforms:
            return []
        cur = await conn.execute(
            "SELECT id, platform, token, p256dh, auth FROM push_devices WHERE account_id = %s "
            "AND platform = ANY(%s) AND NOT (id = ANY(%s)) ORDER BY created_at LIMIT 50",
            (notice["account_id"], platforms, notice["delivered_to"]),
        )
        return [Device(**row) for row in await cur.fetchall()]

    async def _without_devices(self, conn: Conn, notice: dict[str, Any], now: datetime, copied: bool) -> None:
        if notice["delivered_to"]:  # every device left was served before (or pruned since)
            await _mark_sent(conn, notice["id"], now, [])
        elif copied:
            await _mark_sent(conn, notice["id"], now, ["outbox"])
        else:  # no device, and no development outbox: the in-app inbox holds it
            await conn.execute("UPDATE notices SET state = 'inbox_only' WHERE id = %s", (notice["id"],))

    async def _push(
        self, conn: Conn, notice: dict[str, Any], devices: list[Device], now: datetime, copied: bool
    ) -> None:
        payload = Payload(notice["id"], notice["title"], notice["body"], {k: str(v) for k, v in notice["data"].items()})
        served, retry, channels = list(notice["delivered_to"]), False, {"outbox"} if copied else set()
        for device in devices:
            sender = self._transports.fcm if device.platform == "fcm" else self._transports.webpush
            assert sender is not None
            outcome = await sender.send(device, payload)
            if outcome == "sent":
                served.append(device.id)
                channels.add(device.platform)
            elif outcome == "gone":
                await conn.execute("DELETE FROM push_devices WHERE id = %s", (device.id,))
            else:
                retry = True
        if not retry:
            await _mark_sent(conn, notice["id"], now, sorted(channels), served)
            return
        attempts = notice["attempts"] + 1
        if attempts >= self._settings.max_attempts:
            state = "sent" if served else "failed"
            await conn.execute(
                "UPDATE notices SET state = %s, attempts = %s, delivered_to = %s, sent_at = %s, "
                "channels = channels || %s::text[], last_error = 'gave up' WHERE id = %s",
                (state, attempts, served, now if served else None, sorted(channels), notice["id"]),
            )
            return
        delay = timedelta(seconds=min(3600.0, self._settings.retry_base_s * 2 ** (attempts - 1)))
        await conn.execute(
            "UPDATE notices SET attempts = %s, delivered_to = %s, next_attempt_at = %s, "
            "channels = channels || %s::text[], last_error = 'push failed' WHERE id = %s",
            (attempts, served, now + delay, sorted(channels), notice["id"]),
        )


async def _copy_to_outbox(conn: Conn, notice: dict[str, Any], person: dict[str, Any], now: datetime) -> None:
    """The development outbox's copy of a push (kind ``push``; the notice id in the body)."""
    await conn.execute(
        "INSERT INTO mail_outbox (account_id, kind, to_address, subject, body, created_at, next_attempt_at, "
        "sent_at) VALUES (%s, 'push', %s, %s, %s, %s, %s, %s)",
        (
            notice["account_id"],
            person["email"],
            notice["title"][:200],
            f"{notice['body']}\n\n[notice {notice['id']} · {notice['kind']} · event {notice['event_id']}]",
            now,
            now,
            now,
        ),
    )


async def _mark_sent(
    conn: Conn, notice_id: int, now: datetime, channels: list[str], served: list[Any] | None = None
) -> None:
    await conn.execute(
        "UPDATE notices SET state = 'sent', sent_at = %s, attempts = attempts + 1, "
        "channels = channels || %s::text[], delivered_to = coalesce(%s, delivered_to) WHERE id = %s",
        (now, channels, served, notice_id),
    )


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def quiet_until(now: datetime, zone: ZoneInfo, start: time, end: time) -> datetime | None:
    """When the quiet hours holding ``now`` (in ``zone``) end; None when ``now`` is not in them."""
    if start == end:
        return None
    local = now.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, zone)

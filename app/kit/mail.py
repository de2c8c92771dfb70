"""Mail through a transactional outbox: written with the action that causes it, sent after commit.

``enqueue`` inserts the message into ``mail_outbox`` on the request's connection, so a mail exists
exactly when its cause committed; the caller publishes ``MailQueued`` on the unit of work. After the
commit, ``MailSender.on_queued`` starts a delivery in the background (the response does not wait
for SMTP), and a periodic drain delivers whatever a dead process or an unreachable server left
behind. A row is claimed with ``FOR UPDATE SKIP LOCKED``, so two processes never send it twice.

Without ``HAPPENINGS_MAIL__SMTP_URL`` nothing is sent: the outbox is the mailbox (``make run`` lists
it at ``/api/v1/dev/outbox``). Sent rows are kept in development and deleted elsewhere, so the
links they hold do not outlive their delivery.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID

import anyio.to_thread
from psycopg_pool import AsyncConnectionPool

from app.db import Conn
from app.kit.clock import Clock

log = logging.getLogger("happenings.mail")

BATCH = 50
MAX_ATTEMPTS = 12


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    body: str
    kind: str
    account_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class MailQueued:
    """Published on the unit of work: these outbox rows committed and may be sent now."""

    ids: tuple[int, ...]


async def enqueue(conn: Conn, mail: Mail, clock: Clock) -> MailQueued:
    """Write ``mail`` into the outbox inside the caller's transaction."""
    now = clock()
    cur = await conn.execute(
        "INSERT INTO mail_outbox (account_id, kind, to_address, subject, body, created_at, next_attempt_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (mail.account_id, mail.kind, mail.to, mail.subject, mail.body, now, now),
    )
    row = await cur.fetchone()
    assert row is not None
    return MailQueued((row["id"],))


async def messages_to(conn: Conn, address: str, limit: int = 50) -> list[dict[str, Any]]:
    """The newest messages the outbox holds for ``address`` (sent or not)."""
    cur = await conn.execute(
        "SELECT id, kind, to_address AS to, subject, body, created_at, sent_at FROM mail_outbox "
        "WHERE lower(to_address) = lower(%s) ORDER BY id DESC LIMIT %s",
        (address, limit),
    )
    return await cur.fetchall()


class SmtpTransport:
    """Blocking ``smtplib`` delivery (run in a worker thread) to the server of an ``smtp(s)://`` URL."""

    def __init__(self, url: str, timeout_s: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("the SMTP URL must look like smtp://user:password@host:port or smtps://...")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout_s = timeout_s

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        if self.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        with client:
            client.ehlo()
            if not self.implicit_tls and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if self.username is not None:
                client.login(self.username, self.password or "")
            client.send_message(message)


class MailSender:
    """Delivers outbox rows after commit and on a timer; keeps sent rows only when ``keep_sent``."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Conn],
        transport: SmtpTransport | None,
        *,
        sender: str,
        clock: Clock,
        keep_sent: bool,
        drain_every_s: float,
    ) -> None:
        self._pool = pool
        self.transport = transport
        self._sender = sender
        self._clock = clock
        self._keep_sent = keep_sent
        self._drain_every_s = drain_every_s
        self._tasks: set[asyncio.Task[int]] = set()
        self._timer: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.transport is None:
            log.info("no SMTP server configured: mail stays in the outbox table")
            return
        self._timer = asyncio.create_task(self._drain_periodically(), name="mail-drain")

    async def aclose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            await asyncio.gather(self._timer, return_exceptions=True)
        await self.settle()

    async def on_queued(self, event: MailQueued) -> None:
        """After-commit listener: deliver in the background (the request does not wait for SMTP)."""
        if self.transport is None:
            return
        task = asyncio.create_task(self.drain())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for the deliveries started so far (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def drain(self) -> int:
        """Send every due row (at most ``BATCH``); the number sent."""
        if self.transport is None:
            return 0
        sent = 0
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT id, to_address, subject, body, attempts FROM mail_outbox "
                "WHERE sent_at IS NULL AND next_attempt_at <= %s AND attempts < %s "
                "ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED",
                (self._clock(), MAX_ATTEMPTS, BATCH),
            )
            for row in await cur.fetchall():
                sent += await self._deliver(conn, row)
        return sent

    async def _deliver(self, conn: Conn, row: dict[str, Any]) -> int:
        assert self.transport is not None
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = row["to_address"]
        message["Subject"] = row["subject"]
        message["Date"] = formatdate(self._clock().timestamp(), usegmt=True)
        message["Message-ID"] = make_msgid(domain="happenings")
        message.set_content(row["body"])
        try:
            await anyio.to_thread.run_sync(self.transport.send, message)
        except (OSError, smtplib.SMTPException) as exc:
            delay = timedelta(seconds=min(3600, 30 * 2 ** row["attempts"]))
            await conn.execute(
                "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = %s, last_error = %s WHERE id = %s",
                (self._clock() + delay, repr(exc)[:500], row["id"]),
            )
            log.warning("mail delivery failed, will retry: %r", exc, extra={"mail_id": str(row["id"])})
            return 0
        if self._keep_sent:
            await conn.execute(
                "UPDATE mail_outbox SET attempts = attempts + 1, sent_at = %s, last_error = NULL WHERE id = %s",
                (self._clock(), row["id"]),
            )
        else:
            await conn.execute("DELETE FROM mail_outbox WHERE id = %s", (row["id"],))
        return 1

    async def _drain_periodically(self) -> None:
        while True:
            await asyncio.sleep(self._drain_every_s)
            try:
                await self.drain()
            except Exception:
                log.exception("mail drain failed")

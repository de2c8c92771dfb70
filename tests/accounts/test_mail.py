"""Mail: through a real SMTP server (aiosmtpd, started here) when one is configured, kept in the outbox
when it is down, and listed at /api/v1/dev/outbox in development only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes
from email.message import Message

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from pydantic import SecretStr

from app.main import create_app
from bench.server import free_port
from config.settings import MailSettings, Settings
from tests.accounts.helpers import STRONG_PASSWORD, TOKEN_IN_LINK, FrozenClock, mails_to, with_cheap_auth
from tests.conftest import make_settings

AUTH = "/api/v1/auth"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def settings(clean_db: str, redis_prefix: str, smtp: tuple[Inbox, int]) -> Settings:
    base = with_cheap_auth(make_settings(clean_db, redis_prefix))
    mail = MailSettings(smtp_url=SecretStr(f"smtp://127.0.0.1:{smtp[1]}"), public_url="https://happenings.example.org")
    return base.model_copy(update={"mail": mail})


async def test_verification_mail_goes_through_smtp(
    client: httpx.AsyncClient, app: FastAPI, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    response = await client.post(f"{AUTH}/register", json={"email": "cy@example.com", "password": STRONG_PASSWORD})
    assert response.status_code == 202
    await app.state.accounts.mail.settle()
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "cy@example.com"
    body = message.get_payload(decode=True).decode()
    found = TOKEN_IN_LINK.search(body)
    assert found and "https://happenings.example.org/#/verify?token=" in body
    assert (await client.post(f"{AUTH}/verify", json={"token": found.group(2)})).status_code == 204
    # Outside development a sent mail leaves nothing behind (its link no longer sits in the database).
    assert await mails_to(client, "cy@example.com") == []


async def test_mail_waits_in_the_outbox_while_smtp_is_down(
    client: httpx.AsyncClient, app: FastAPI, smtp: tuple[Inbox, int], clock: FrozenClock
) -> None:
    inbox, port = smtp
    sender = app.state.accounts.mail
    transport = sender.transport
    sender.transport.port = free_port()  # nothing listens there
    await client.post(f"{AUTH}/register", json={"email": "di@example.com", "password": STRONG_PASSWORD})
    await sender.settle()
    pending = await mails_to(client, "di@example.com")
    assert len(pending) == 1 and pending[0]["sent_at"] is None
    # The server is back; the periodic drain sends it once its retry time has come.
    transport.port = port
    assert await sender.drain() == 0  # not yet due
    clock.advance(60)
    assert await sender.drain() == 1
    assert [m["To"] for m in inbox.messages] == ["di@example.com"]
    assert await mails_to(client, "di@example.com") == []


@pytest.fixture
async def dev_app(clean_db: str, redis_prefix: str) -> AsyncIterator[FastAPI]:
    settings = with_cheap_auth(make_settings(clean_db, redis_prefix)).model_copy(update={"environment": "development"})
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await application.state.pool.wait()
        yield application


async def test_dev_outbox_exists_in_development_only(dev_app: FastAPI, client: httpx.AsyncClient) -> None:
    transport = httpx.ASGITransport(app=dev_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as dev:
        await dev.post(f"{AUTH}/register", json={"email": "eve@example.com", "password": STRONG_PASSWORD})
        listed = await dev.get("/api/v1/dev/outbox", params={"to": "EVE@example.com"})
        assert listed.status_code == 200
        [mail] = listed.json()["items"]
        assert mail["kind"] == "verify-email" and TOKEN_IN_LINK.search(mail["body"])
        assert (await dev.get("/api/v1/dev/outbox", params={"to": "x@example.com"})).status_code == 404
        assert "/api/v1/dev/outbox" in (await dev.get("/openapi.json")).json()["paths"]
    # The test environment (like production) has no such route at all.
    assert (await client.get("/api/v1/dev/outbox", params={"to": "eve@example.com"})).status_code == 404
    assert "/api/v1/dev/outbox" not in (await client.get("/openapi.json")).json()["paths"]

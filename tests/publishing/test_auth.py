"""``app.events.auth``: the event an editor may write, locked; 404 for outsiders and unknown ids alike."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.rows import DictRow, dict_row

from app.accounts.auth import Subject
from app.events.auth import event_for_editor
from app.events.errors import EventNotFound
from app.events.schemas import EventCreate, Point
from app.events.service import create_event
from app.organizers.errors import RoleTooLow

Conn = psycopg.AsyncConnection[DictRow]


@pytest.fixture
async def conn(clean_db: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row) as connection:
        yield connection
        await connection.rollback()


async def _account(conn: Conn, name: str, role: str = "user") -> Subject:
    cur = await conn.execute(
        "INSERT INTO accounts (email, role, email_verified_at) VALUES (%s, %s, now()) RETURNING id",
        (f"{name}-{uuid.uuid4().hex[:6]}@example.com", role),
    )
    row = await cur.fetchone()
    assert row is not None
    return Subject(row["id"], role, True, uuid.uuid4())  # type: ignore[arg-type]


async def _organizer(conn: Conn, members: dict[Subject, str]) -> uuid.UUID:
    cur = await conn.execute("INSERT INTO organizers (name) VALUES ('Org') RETURNING id")
    row = await cur.fetchone()
    assert row is not None
    for subject, role in members.items():
        await conn.execute(
            "INSERT INTO organizer_members VALUES (%s, %s, %s, now(), now())", (row["id"], subject.account_id, role)
        )
    return uuid.UUID(str(row["id"]))


async def test_editors_and_owners_get_the_row_locked_others_404_checkers_403(conn: Conn) -> None:
    owner, editor, checker = await _account(conn, "owner"), await _account(conn, "editor"), await _account(conn, "chk")
    outsider, admin = await _account(conn, "outsider"), await _account(conn, "admin", "admin")
    org = await _organizer(conn, {owner: "owner", editor: "editor", checker: "checker"})
    await _organizer(conn, {outsider: "owner"})
    start = datetime(2031, 5, 1, 18, tzinfo=UTC)
    row, _ = await create_event(
        conn,
        EventCreate(
            organizer_id=org,
            title="Draft",
            category="music",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            timezone="Europe/Paris",
            location=Point(lat=48.85, lon=2.35),
        ),
    )
    await conn.commit()
    for subject in (owner, editor, admin):
        got = await event_for_editor(conn, subject, row["id"])
        assert got["id"] == row["id"] and got["organizer_id"] == org
    with pytest.raises(RoleTooLow):
        await event_for_editor(conn, checker, row["id"])
    with pytest.raises(EventNotFound) as outsiders:
        await event_for_editor(conn, outsider, row["id"])
    with pytest.raises(EventNotFound) as unknown:
        await event_for_editor(conn, owner, uuid.uuid4())
    assert outsiders.value.status == unknown.value.status == 404
    # The row is locked for update: another transaction cannot take it meanwhile.
    await event_for_editor(conn, editor, row["id"])
    # NOWAIT rather than a lock timeout: on Citus the statement waits on the worker, where a
    # coordinator session's lock_timeout does not reach.
    async with await psycopg.AsyncConnection.connect(conn.info.dsn, autocommit=True) as other:
        with pytest.raises(psycopg.errors.LockNotAvailable):
            await other.execute(
                "SELECT 1 FROM events WHERE cell = %s AND id = %s FOR UPDATE NOWAIT", (row["cell"], row["id"])
            )

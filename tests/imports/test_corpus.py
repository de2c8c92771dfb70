"""Importing a corpus of real-world-shaped calendar files (Google, Outlook, Meetup, Eventbrite,
Mobilizon, Gancio, Apple, hand-made oddities): no 5xx, each entry imported or reported with a
reason; times as the file meant them; re-import changes nothing; a changed file updates only what
changed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from config.settings import Settings
from tests.accounts.helpers import FrozenClock, SignedIn, sign_up, with_cheap_auth
from tests.conftest import make_settings
from tests.imports.helpers import counts, report, upload, work
from tests.organizers.helpers import found

CORPUS = Path(__file__).parent / "corpus"
# What each file must give: (created, skipped) entries, and the reason a skip names.
EXPECTED: dict[str, tuple[int, int, str]] = {
    "end_before_start": (0, 1, "DTEND is before DTSTART"),
    "no_dtstart": (0, 1, "no DTSTART"),
    "two_rrules": (0, 1, "more than one RRULE"),
    "duplicate_uids": (1, 1, "duplicate UID"),
    "cancelled": (0, 1, "cancelled in the source"),
    "no_location": (0, 1, "no place"),
    "unsupported_rule": (0, 1, "BYHOUR is not supported"),
    "rdate": (3, 0, ""),
    "google_override": (2, 0, ""),  # and one override cancelled
    "many": (100, 0, ""),
}


@pytest.fixture
def settings(clean_db: str, redis_prefix: str) -> Settings:
    return with_cheap_auth(make_settings(clean_db, redis_prefix), register_ip_limit="1000/3600")


@pytest.fixture
def clock(app: FastAPI) -> FrozenClock:
    pinned = FrozenClock(datetime(2027, 1, 15, 12, tzinfo=UTC))
    app.state.events_clock = pinned
    app.state.accounts.clock = pinned
    return pinned


async def _owner(client: httpx.AsyncClient) -> tuple[SignedIn, str]:
    owner = await sign_up(client, "owner@example.com")
    return owner, str(await found(client, owner))


async def test_every_file_of_the_corpus_is_imported_or_reported(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    owner, org = await _owner(client)
    files = sorted(CORPUS.glob("*.ics"))
    assert len(files) >= 30
    jobs = {}
    for path in files:
        answer = await upload(client, owner, org, path.read_bytes(), timezone="Europe/Paris")
        assert answer.status_code == 202, (path.name, answer.text)
        assert answer.json()["status"] == "queued"
        jobs[path.stem] = answer.json()["id"]
    await work(settings, clock)
    wrong = []
    for name, job_id in jobs.items():
        done = await report(client, owner, job_id)
        assert done["status"] == "done", (name, done["error"])
        progress = done["progress"]
        assert progress["processed"] == progress["total"] == len(done["report"]), name
        for entry in done["report"]:
            assert entry["outcome"] in ("created", "skipped", "cancelled"), (name, entry)
            if entry["outcome"] == "skipped":
                assert entry["reason"], (name, entry)
        if name in EXPECTED:
            created, skipped, reason = EXPECTED[name]
            assert (progress["created"], progress["skipped"]) == (created, skipped), (name, done["report"])
            assert all(reason in e.get("reason", "") for e in done["report"] if e["outcome"] == "skipped"), name
        elif progress["skipped"] or not progress["created"]:
            wrong.append((name, [e.get("reason") for e in done["report"]]))
    assert not wrong
    await _check_times(app)

    # The same files again: nothing new, everything unchanged.
    before = await counts(app)
    again = {}
    for path in files:
        again[path.stem] = (await upload(client, owner, org, path.read_bytes(), timezone="Europe/Paris")).json()["id"]
    await work(settings, clock)
    for name, job_id in again.items():
        progress = (await report(client, owner, job_id))["progress"]
        assert progress["created"] == progress["updated"] == 0, (name, progress)
    assert await counts(app) == before


async def _check_times(app: FastAPI) -> None:
    """Wall-clock times as the files meant them (Windows zone names, custom zones, floating, all day)."""
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT title, starts_at, ends_at, timezone, status FROM events ORDER BY starts_at")
        rows = {row["title"]: row for row in await cur.fetchall()}

    def local(title: str) -> tuple[str, str, str]:
        row = rows[title]
        zone = ZoneInfo(row["timezone"])
        return (
            row["timezone"],
            f"{row['starts_at'].astimezone(zone):%Y-%m-%d %H:%M}",
            f"{row['ends_at'].astimezone(zone):%H:%M}",
        )

    assert local("Quarterly review") == ("Europe/Berlin", "2027-04-12 09:30", "11:00")  # W. Europe Standard Time
    assert local("Open air cinema") == ("Europe/Paris", "2027-07-07 20:00", "22:00")  # floating → the import's zone
    assert local("Summer fair") == ("Europe/Paris", "2027-07-21 00:00", "00:00")  # all day: midnight to midnight
    assert local("Workshop") == ("Europe/Paris", "2027-09-10 18:00", "19:30")  # DURATION
    assert local("Tapas night") == ("Europe/Madrid", "2027-06-18 20:00", "22:00")  # a vendor path TZID
    assert local("Late show")[1:] == ("2027-11-06 23:30", "01:30")
    assert rows["Notes meeting"]["starts_at"] == datetime(2027, 6, 14, 12, 0, tzinfo=UTC)  # its own VTIMEZONE
    assert "Fête de la musique \u2013 café" in rows  # Windows-1252 bytes
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT starts_at FROM events WHERE title = 'Monthly meetup' ORDER BY starts_at")
        monthly = [row["starts_at"].astimezone(ZoneInfo("Europe/Berlin")) for row in await cur.fetchall()]
    # The Outlook series (Windows zone name) keeps 18:00 Berlin time across the DST change.
    assert [f"{start:%m-%d %H:%M}" for start in monthly] == [
        "02-05 18:00",
        "03-05 18:00",
        "04-02 18:00",
        "05-07 18:00",
        "06-04 18:00",
        "07-02 18:00",
    ]


async def test_a_series_with_overrides_and_a_changed_file(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    owner, org = await _owner(client)
    body = (CORPUS / "google_override.ics").read_bytes()
    job = (await upload(client, owner, org, body)).json()["id"]
    await work(settings, clock)
    progress = (await report(client, owner, job))["progress"]
    assert (progress["created"], progress["cancelled"]) == (2, 1)
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT title, starts_at, status FROM events ORDER BY recurrence_id")
        rows = await cur.fetchall()
    paris = ZoneInfo("Europe/Paris")
    shown = [(f"{r['starts_at'].astimezone(paris):%m-%d %H:%M}", r["status"], r["title"]) for r in rows]
    assert shown == [
        ("03-01 18:00", "draft", "Running club"), ("03-08 18:00", "draft", "Running club"),
        ("03-15 19:00", "draft", "Running club (late)"), ("03-22 18:00", "cancelled", "Running club"),
        ("03-29 18:00", "draft", "Running club"), ("04-05 18:00", "draft", "Running club"),
    ]  # fmt: skip
    # A changed file: only the renamed one-off event changes (the others are unchanged).
    first = (CORPUS / "rdate.ics").read_bytes()
    await upload(client, owner, org, first)
    await work(settings, clock)
    before = await counts(app)
    changed = first.replace(b"RDATE;TZID=Europe/Paris:20271012T190000,20271019T190000",
                            b"RDATE;TZID=Europe/Paris:20271012T190000,20271019T200000")  # fmt: skip
    job = (await upload(client, owner, org, changed)).json()["id"]
    await work(settings, clock)
    done = await report(client, owner, job)
    outcomes = sorted(e["outcome"] for e in done["report"])
    assert outcomes == ["created", "unchanged", "unchanged"], done["report"]  # a moved RDATE is a new date
    after = await counts(app)
    assert after["events"] == before["events"] + 1


async def test_a_file_that_is_no_calendar_is_422_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    owner, org = await _owner(client)
    before = await counts(app)
    for body in (b"<html>not a calendar</html>", b"", b"\x00\xff\xfe garbage"):
        answer = await upload(client, owner, org, body)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) AS n FROM import_jobs")
        assert (await cur.fetchone())["n"] == 0  # type: ignore[index]
    assert await counts(app) == before

"""Going to events in a real browser: an RSVP with places left that follow other people's answers, a
ticket bought with Stripe's test cards (against localstripe, settled by its signed webhook), and My
tickets with QR codes that still show with the network off.

The events here are made around the real "now" (the server's clock is not pinned: holds and webhook
timestamps are checked against it), so these browsers run on the real clock too; the events are days
ahead and end days later, so the tests pass at any hour.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from app.ticketing import repository
from tests.e2e import harness
from tests.e2e.accounts import bearer, make_account, sign_in, unique_email
from tests.e2e.conftest import PHONE
from tests.e2e.test_accessibility import violations

LYON = {"lat": 45.7640, "lon": 4.8357}
CAPACITY = 3
# Signing in, paying and the webhook's settling each cross several processes (server, localstripe,
# browser); on a loaded machine 15 s is too tight for them, so these contexts wait longer.
PATIENCE_MS = 30_000


def _make_world(url: str) -> dict[str, str]:
    """A free event with a capacity and a paid one with a tier, a week after the real now."""
    stamp = uuid.uuid4().hex[:6]
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    common = {"category": "music", "timezone": "Europe/Paris", "status": "published", "location": LYON}
    free = {**common, "title": f"Courtyard jazz {stamp}", "is_free": True, "capacity": CAPACITY}
    paid = {**common, "title": f"Harbour concert {stamp}", "is_free": False, "price_min": 1500, "currency": "EUR"}
    events = [{**e, "starts_at": starts, "ends_at": starts + timedelta(hours=3)} for e in (free, paid)]
    harness.add_events(url, events, organizer=f"Tickets {stamp}")

    async def tier() -> dict[str, str]:
        async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
            titles = [free["title"], paid["title"]]
            cur = await conn.execute("SELECT id, cell, title FROM events WHERE title = ANY(%s)", (titles,))
            found = {row["title"]: row for row in await cur.fetchall()}
            concert = found[paid["title"]]
            await repository.ensure_places(conn, concert["cell"], concert["id"])
            now = datetime.now(UTC)
            tier = {"name": "Standard", "price": 1500, "currency": "EUR", "quota": 20, "max_per_order": 4}
            at = {"created_at": now, "updated_at": now}
            await repository.insert_tier(conn, {"cell": concert["cell"], "event_id": concert["id"], **tier, **at})
            await conn.commit()
            return {"free": str(found[free["title"]]["id"]), "paid": str(concert["id"]), "paid_title": paid["title"]}

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, tier()).result()


@pytest.fixture
def world(e2e_database: str) -> dict[str, str]:
    return _make_world(e2e_database)


def decode_qr(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code found in the ticket's picture"
    return str(found[0].text)


def test_rsvp_buy_and_show_the_ticket_offline(new_context: Any, base_url: str, world: dict[str, str]) -> None:
    email = unique_email("attendee")
    make_account(base_url, email)
    context = new_context(now=datetime.now(UTC))
    context.set_default_timeout(PATIENCE_MS)
    page = context.new_page()
    sign_in(page, email)

    # A free event: going takes a place, and another person's answer shows without a reload.
    page.goto(f"/?event={world['free']}", wait_until="domcontentloaded")
    places = page.locator("#places-left")
    places.filter(has_text=f"{CAPACITY} places left").wait_for()
    page.get_by_role("button", name="Going", exact=True).click()
    places.filter(has_text=f"{CAPACITY - 1} places left").wait_for()
    assert page.locator("#rsvp-status").inner_text() == "You are going."
    other = unique_email("other")
    make_account(base_url, other)
    answer = httpx.put(
        f"{base_url}/api/v1/events/{world['free']}/rsvp", json={"status": "going"}, headers=bearer(base_url, other)
    )
    assert answer.json()["places_left"] == CAPACITY - 2
    places.filter(has_text="1 place left").wait_for()  # the panel asks again every few seconds

    # A paid event: two tickets, a declined card first, then the card that pays.
    page.goto(f"/?event={world['paid']}", wait_until="domcontentloaded")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Buy tickets").click()
    page.locator("#hold-countdown").filter(has_text="held for").wait_for()
    page.get_by_label("Card number").fill("4000 0000 0000 0341")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay").click()
    page.locator("#pay-error").filter(has_text="declined").wait_for()
    again = page.get_by_role("button", name="Try another card")
    again.click()
    again.wait_for(state="detached")  # a new order, a new form
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay").click()
    page.locator("#order-confirmed").filter(has_text="2 tickets").wait_for()

    # My tickets: the RSVP's ticket and the two bought, each with a QR code that holds its code.
    page.get_by_role("link", name="See them in My tickets").click()
    tickets = page.locator(".ticket")
    page.wait_for_function("() => document.querySelectorAll('.ticket').length === 3")
    bought = tickets.filter(has_text=world["paid_title"]).first
    code = bought.locator(".ticket-code").text_content()
    assert code and code.startswith("HT1.")
    assert decode_qr(bought.locator(".ticket-qr").screenshot()) == code

    # Offline at the door: the page opens again from the device and still shows the QR codes.
    page.wait_for_function(
        "() => caches.open('happenings-shell-v2:tickets').then((c) => c.keys()).then((k) => k.length > 2)"
    )
    context.set_offline(True)
    try:
        page.reload()
        page.locator("#tickets-status").filter(has_text="You are offline").wait_for()
        assert tickets.count() == 3
        assert decode_qr(tickets.filter(has_text=world["paid_title"]).first.locator(".ticket-qr").screenshot()) == code
    finally:
        context.set_offline(False)


def test_attend_and_my_tickets_on_a_phone_pass_axe(new_context: Any, base_url: str, world: dict[str, str]) -> None:
    email = unique_email("phone")
    make_account(base_url, email)
    context = new_context(now=datetime.now(UTC), viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    context.set_default_timeout(PATIENCE_MS)
    page = context.new_page()
    sign_in(page, email)
    page.goto(f"/?event={world['free']}", wait_until="domcontentloaded")
    page.get_by_role("button", name="Going", exact=True).click()
    page.locator("#rsvp-status").filter(has_text="You are going.").wait_for()
    assert violations(page) == []
    page.goto(f"/?event={world['paid']}", wait_until="domcontentloaded")
    page.get_by_role("button", name="Buy tickets").wait_for()
    assert violations(page) == []
    page.goto("/#/tickets", wait_until="domcontentloaded")
    page.locator(".ticket-qr").first.wait_for()
    box = page.locator(".ticket-qr").first.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], "the QR code fits the phone's screen"
    assert violations(page) == []

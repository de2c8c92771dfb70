"""The organizer's attendee and sales view and the door scanner, in a real browser against the real
server: the sales chart shows a ticket; the scanner downloads the event's signed list, goes offline,
admits a ticket entered by hand (its Ed25519 signature checked in the browser), refuses it the second
time saying at which door and when, refuses another event's ticket, and once back online syncs the
check-in, which the server then shows.

Tickets come from free RSVPs ("going" issues a ticket with a signed code), made through the API. The
browser's clock is pinned at the server's now (the events are in the weeks after it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.e2e.accounts import bearer, mailed_link, make_account, sign_in, token_of, unique_email
from tests.e2e.test_accessibility import violations
from tests.e2e.test_organizer_pages import SLOW_MACHINE_TIMEOUT_MS, make_organizer

PARIS = ZoneInfo("Europe/Paris")


def published_event(base_url: str, headers: dict[str, str], organizer: str, title: str, starts: datetime) -> str:
    body = {
        "organizer_id": organizer,
        "title": title,
        "category": "music",
        "location": {"lat": 48.8566, "lon": 2.3522},
        "timezone": "Europe/Paris",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M:%S"),
        "ends_at": (starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S"),
    }
    made = httpx.post(f"{base_url}/api/v1/events", json=body, headers=headers)
    assert made.status_code == 201, made.text
    event_id = str(made.json()["id"])
    published = httpx.post(f"{base_url}/api/v1/events/{event_id}/publish", headers=headers)
    assert published.status_code == 200, published.text
    return event_id


def ticket_code(base_url: str, headers: dict[str, str], event_id: str) -> str:
    """A free RSVP "going": the ticket it issues, as its QR code carries it."""
    answer = httpx.put(f"{base_url}/api/v1/events/{event_id}/rsvp", json={"status": "going"}, headers=headers)
    assert answer.status_code == 200 and answer.json()["status"] == "going", answer.text
    tickets = httpx.get(f"{base_url}/api/v1/me/tickets", headers=headers).json()["items"]
    return str(next(t["code"] for t in tickets if t["event_id"] == event_id))


def test_sales_view_and_an_offline_door(new_context: Any, base_url: str, screenshots: Path) -> None:
    email = unique_email("door-owner")
    organizer = make_organizer(base_url, email, "Le Petit Bain")
    owner = bearer(base_url, email)
    now = datetime.now(UTC).replace(microsecond=0)
    starts = (now + timedelta(days=10)).astimezone(PARIS).replace(hour=20, minute=0, second=0, tzinfo=None)
    concert = published_event(base_url, owner, organizer, "Rooftop Jazz", starts)
    other = published_event(base_url, owner, organizer, "Cellar Blues", starts + timedelta(days=1))
    guest_email = unique_email("guest")
    make_account(base_url, guest_email, name="Gus Guest")
    guest = bearer(base_url, guest_email)
    code = ticket_code(base_url, guest, concert)
    other_code = ticket_code(base_url, guest, other)
    friend_email = unique_email("friend")
    make_account(base_url, friend_email, name="Fay Friend")
    friend_code = ticket_code(base_url, bearer(base_url, friend_email), concert)

    context = new_context(now=now)
    page = context.new_page()
    page.set_default_timeout(SLOW_MACHINE_TIMEOUT_MS)
    sign_in(page, email)

    # The attendee and sales view: the RSVP is a sale on the chart and an attendee on the list.
    page.goto(f"/#/organizers/{organizer}/events/{concert}/sales")
    page.locator("svg.sales-chart rect.bar").first.wait_for()
    assert "2 tickets," in page.locator(".sales-figure figcaption").inner_text()
    page.locator("#attendees .attendee", has_text="Gus Guest").wait_for()
    page.screenshot(path=screenshots / "door-01-sales.png", full_page=True)
    assert violations(page) == []
    page.get_by_label("Status").select_option("interested")
    page.get_by_text("Nobody has answered yet").wait_for()

    # The door: the list is downloaded, then the network goes.
    page.get_by_role("link", name="Door check-in").click()
    status = page.locator(".door-status")
    status.get_by_text("Online").wait_for()
    assert "2 tickets on the list" in status.inner_text()
    page.get_by_label("This door").fill("North")
    # The page's files are kept by the service worker, so that the door reloads without a network.
    page.wait_for_function(
        "() => caches.open('happenings-shell-v2:door').then((c) => c.keys()).then((k) => k.length > 2)"
    )
    context.set_offline(True)
    status.get_by_text("Offline").wait_for()

    verdict = page.locator(".door-verdict")
    code_input = page.get_by_label("Ticket code")
    code_input.fill(code)
    code_input.press("Enter")
    verdict.locator("text=Admitted").wait_for()
    assert "door-admit" in (verdict.get_attribute("class") or "")
    page.screenshot(path=screenshots / "door-02-admitted-offline.png", full_page=True)
    assert violations(page) == []
    hhmm = now.astimezone(PARIS).strftime("%H:%M")

    code_input.fill(code)
    code_input.press("Enter")
    verdict.get_by_text(f"Already used at door North at {hhmm}.").wait_for()
    assert "door-refuse" in (verdict.get_attribute("class") or "")

    code_input.fill(other_code)
    code_input.press("Enter")
    verdict.get_by_text("This ticket is for another event.").wait_for()
    status.get_by_text("1 check-in waiting to sync").wait_for()
    listed = httpx.get(f"{base_url}/api/v1/events/{concert}/checkin-list", headers=owner).json()["tickets"]
    assert [t["checked_in_at"] for t in listed] == [None, None]

    # Still offline, the page is reloaded: it opens from the device with its list and its queue.
    page.reload()
    status.get_by_text("Offline").wait_for()
    status.get_by_text("1 check-in waiting to sync").wait_for()
    page.get_by_label("This door").fill("North")
    code_input.fill(friend_code)
    code_input.press("Enter")
    verdict.locator("text=Admitted").wait_for()
    code_input.fill(code)
    code_input.press("Enter")
    verdict.get_by_text("Already used at door North").wait_for()
    status.get_by_text("2 check-ins waiting to sync").wait_for()

    # Back online: the queued check-ins reach the server, which now knows both tickets as used at
    # North at the time the door admitted them (the browser's clock), not the time of the sync.
    context.set_offline(False)
    page.locator(".door-sync-confirmed", has_text="synced, checked in at door North").nth(1).wait_for()
    status.get_by_text("everything synced").wait_for()
    page.screenshot(path=screenshots / "door-03-synced.png", full_page=True)
    listed = httpx.get(f"{base_url}/api/v1/events/{concert}/checkin-list", headers=owner).json()["tickets"]
    assert [t["door"] for t in listed] == ["North", "North"]
    assert [datetime.fromisoformat(t["checked_in_at"]) for t in listed] == [now, now]
    again = httpx.post(f"{base_url}/api/v1/checkins", json={"code": code, "door": "South"}, headers=owner)
    assert again.status_code == 409 and again.json()["door"] == "North"


def test_a_checker_finds_the_door_from_the_account_menu(new_context: Any, base_url: str) -> None:
    """A person who only checks tickets has no events to edit, yet reaches each event's door."""
    email = unique_email("door-boss")
    organizer = make_organizer(base_url, email, "La Cigale")
    owner = bearer(base_url, email)
    now = datetime.now(UTC).replace(microsecond=0)
    starts = (now + timedelta(days=5)).astimezone(PARIS).replace(hour=21, minute=0, second=0, tzinfo=None)
    published_event(base_url, owner, organizer, "Midnight Swing", starts)
    checker_email = unique_email("checker")
    make_account(base_url, checker_email, name="Cleo Checker")
    invited = httpx.post(
        f"{base_url}/api/v1/organizers/{organizer}/invitations",
        json={"email": checker_email, "role": "checker"},
        headers=owner,
    )
    assert invited.status_code == 201, invited.text
    token = token_of(mailed_link(base_url, checker_email, "organizer-invitation"))
    accepted = httpx.post(f"{base_url}/api/v1/invitations/{token}/accept", headers=bearer(base_url, checker_email))
    assert accepted.status_code == 200, accepted.text

    page = new_context(now=now).new_page()
    page.set_default_timeout(SLOW_MACHINE_TIMEOUT_MS)
    sign_in(page, checker_email)
    page.goto("/#/organize")
    page.get_by_role("link", name="Check tickets at the door").wait_for()  # nothing to edit, the door is near
    page.goto("/")
    page.locator("#account-button").click()
    page.get_by_role("link", name="Check tickets").click()
    page.get_by_role("heading", name="La Cigale").wait_for()
    assert violations(page) == []
    page.get_by_role("link", name="Midnight Swing").click()
    status = page.locator(".door-status")
    status.get_by_text("Online").wait_for()
    assert "0 tickets on the list" in status.inner_text()

"""Tickets at the door: QR codes that decode to a signed code, one admission per ticket, offline lists."""

from __future__ import annotations

import asyncio
import base64
import io
from collections import Counter
from datetime import datetime, timedelta
from uuid import UUID

import httpx
import orjson
import segno
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI
from PIL import Image

from tests.accounts.helpers import FrozenClock
from tests.ticketing.helpers import Person, event, organizer, people, scalar


def decode_svg_qr(code: str) -> str:
    """Render the code as the API does (same parameters), as PNG, and read it back with zxing-cpp."""
    out = io.BytesIO()
    segno.make_qr(code, error="m", boost_error=False).save(out, kind="png", scale=4, border=2)
    out.seek(0)
    [found] = zxingcpp.read_barcodes(Image.open(out))
    return str(found.text)


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def ticket_for(app: FastAPI, client: httpx.AsyncClient, person: Person, event_id: UUID) -> dict[str, str]:
    answer = await client.put(f"/api/v1/events/{event_id}/rsvp", json={"status": "going"}, headers=person.headers)
    assert answer.json()["status"] == "going"
    [ticket] = (await client.get("/api/v1/me/tickets", headers=person.headers)).json()["items"]
    return dict(ticket)


async def test_a_ticket_scanned_at_two_doors_at_once_is_admitted_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, checker, guest = await people(app, 3)
    org = await organizer(app, {"owner": owner, "checker": checker})
    event_id = await event(app, org, capacity=10)
    ticket = await ticket_for(app, client, guest, event_id)
    svg = base64.b64decode(ticket["qr_svg"].split(",", 1)[1]) if ";base64," in ticket["qr_svg"] else None
    assert svg is None or svg.startswith(b"<?xml") or b"<svg" in svg
    code = decode_svg_qr(ticket["code"])
    assert code == ticket["code"]

    async def scan(door: str) -> httpx.Response:
        body = {"code": code, "door": door, "event_id": str(event_id)}
        return await client.post("/api/v1/checkins", json=body, headers=checker.headers)

    answers = await asyncio.gather(*(scan(door) for door in ("North", "South") * 5))
    assert Counter(a.status_code for a in answers) == {201: 1, 409: 9}
    admitted = next(a.json() for a in answers if a.status_code == 201)
    refused = next(a.json() for a in answers if a.status_code == 409)
    assert refused["type"].endswith("/already-checked-in")
    assert refused["door"] == admitted["door"]
    assert datetime.fromisoformat(refused["checked_in_at"]) == datetime.fromisoformat(admitted["checked_in_at"])


async def test_a_ticket_for_another_event_or_forged_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, checker, guest = await people(app, 3)
    org = await organizer(app, {"owner": owner, "checker": checker})
    concert, other = await event(app, org, capacity=10), await event(app, org, capacity=10)
    ticket = await ticket_for(app, client, guest, concert)
    body = {"code": ticket["code"], "door": "Main", "event_id": str(other)}
    wrong = await client.post("/api/v1/checkins", json=body, headers=checker.headers)
    assert wrong.status_code == 409 and wrong.json()["type"].endswith("/wrong-event")
    raw = bytearray(unb64(ticket["code"][4:]))
    raw[40] ^= 1  # one bit of the signature
    forged = "HT1." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    refused = await client.post("/api/v1/checkins", json={**body, "code": forged}, headers=checker.headers)
    assert refused.status_code == 422 and refused.json()["type"].endswith("/invalid-ticket")
    assert (
        await client.post("/api/v1/checkins", json={**body, "code": ticket["code"]}, headers=guest.headers)
    ).status_code == 404


async def test_the_checkin_list_is_signed_and_verifies_codes_offline(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, checker, a, b = await people(app, 4)
    org = await organizer(app, {"owner": owner, "checker": checker})
    event_id = await event(app, org, capacity=10)
    tickets = [await ticket_for(app, client, person, event_id) for person in (a, b)]
    await client.post("/api/v1/checkins", json={"code": tickets[0]["code"], "door": "East"}, headers=checker.headers)
    listed = await client.get(f"/api/v1/events/{event_id}/checkin-list", headers=checker.headers)
    assert listed.status_code == 200
    document = listed.json()
    key = Ed25519PublicKey.from_public_bytes(unb64(document["public_key"]))
    signature = unb64(document.pop("signature"))
    key.verify(signature, b"happenings-checkin-list-v1\x00" + orjson.dumps(document, option=orjson.OPT_SORT_KEYS))
    by_id = {t["id"]: t for t in document["tickets"]}
    assert set(by_id) == {t["id"] for t in tickets}
    assert by_id[tickets[0]["id"]]["door"] == "East" and by_id[tickets[1]["id"]]["checked_in_at"] is None
    for ticket in tickets:  # what the scanner does offline: the code's signature under the list's key
        raw = unb64(ticket["code"][4:])
        key.verify(raw[32:], b"happenings-ticket-v1\x00" + raw[:32])
        assert str(UUID(bytes=raw[:16])) == ticket["id"]
    assert (await client.get(f"/api/v1/events/{event_id}/checkin-list", headers=a.headers)).status_code == 404


async def test_an_offline_scan_keeps_its_time_and_the_first_to_arrive_wins(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    owner, checker, guest, other = await people(app, 4)
    org = await organizer(app, {"owner": owner, "checker": checker})
    event_id = await event(app, org, capacity=10)
    code = (await ticket_for(app, client, guest, event_id))["code"]
    later = (await ticket_for(app, client, other, event_id))["code"]
    now = clock()

    async def sync(ticket: str, door: str, at: datetime) -> httpx.Response:
        body = {"code": ticket, "door": door, "event_id": str(event_id), "scanned_at": at.isoformat()}
        return await client.post("/api/v1/checkins", json=body, headers=checker.headers)

    too_new = await sync(code, "North", now + timedelta(minutes=5))
    too_old = await sync(code, "North", now - timedelta(hours=49))
    assert (too_new.status_code, too_old.status_code) == (422, 422)
    assert too_new.json()["type"].endswith("/scan-time-out-of-range") and too_new.json()["param"] == "scanned_at"
    naive = {"code": code, "door": "North", "scanned_at": "2030-01-01T10:00:00"}
    assert (await client.post("/api/v1/checkins", json=naive, headers=checker.headers)).status_code == 422
    assert await scalar(app, "SELECT count(*) FROM checkins") == 0

    # The South door synced first an admission made later than the North door's: South keeps it.
    south = await sync(code, "South", now - timedelta(minutes=10))
    north = await sync(code, "North", now - timedelta(minutes=40))
    assert south.status_code == 201 and north.status_code == 409
    assert datetime.fromisoformat(south.json()["checked_in_at"]) == now - timedelta(minutes=10)
    assert north.json()["door"] == "South"
    assert datetime.fromisoformat(north.json()["checked_in_at"]) == now - timedelta(minutes=10)
    skewed = await sync(later, "North", now + timedelta(minutes=1))  # a door's clock a minute fast
    assert skewed.status_code == 201
    assert datetime.fromisoformat(skewed.json()["checked_in_at"]) == now + timedelta(minutes=1)

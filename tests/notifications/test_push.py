"""Push through real SDKs to local peers: firebase-admin to an FCM v1 endpoint (with a local OAuth token
endpoint), pywebpush to a Web Push service that decrypts (RFC 8291). Dead tokens and subscriptions
are pruned; a redirect is refused; endpoints must be public unless allow-listed."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.notifications.tasks import deliver_notices, match_changes
from app.notifications.vapid import generate_keys
from app.worker.jobs import WorkerContext
from config.settings import NotificationSettings
from tests.accounts.helpers import bearer, sign_up
from tests.notifications.peers import Peers, peers
from tests.notifications.world import PARIS, circle, notices, organizer, publish, pushes

__all__ = ["peers"]

VAPID_PRIVATE, VAPID_PUBLIC = generate_keys()


@pytest.fixture
def push_settings(peers: Peers) -> NotificationSettings:
    return NotificationSettings(
        fcm_credentials_file=peers.credentials_file,
        fcm_base_url=peers.base_url,
        vapid_private_key=VAPID_PRIVATE,
        vapid_public_key=VAPID_PUBLIC,
        allowed_push_hosts=["127.0.0.1"],
        retry_base_s=1.0,
    )


async def drain(worker: WorkerContext) -> None:
    while await match_changes(worker):
        pass
    while await deliver_notices(worker):
        pass


async def device_count(app: FastAPI) -> int:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) AS n FROM push_devices")
        row = await cur.fetchone()
    assert row is not None
    return int(row["n"])


async def test_fcm_and_web_push_reach_local_peers_and_dead_ones_are_pruned(
    client: httpx.AsyncClient, app: FastAPI, worker: WorkerContext, peers: Peers
) -> None:
    ana = await sign_up(client, "ana@example.com")
    await client.post("/api/v1/me/geofences", json=circle(*PARIS, 3000), headers=bearer(ana))
    devices = [
        {"platform": "fcm", "token": "phone-token-0123456789abcdef"},
        {"platform": "fcm", "token": "dead-token-0123456789abcdef"},
        {"platform": "fcm", "token": "bad-token-0123456789abcdefgh"},
        {"platform": "webpush", "subscription": peers.browser("laptop").subscription(peers.base_url)},
        {"platform": "webpush", "subscription": peers.browser("gone-tablet").subscription(peers.base_url)},
    ]
    for device in devices:
        made = await client.post("/api/v1/me/devices", json=device, headers=bearer(ana))
        assert made.status_code == 201, made.text
    assert (await client.get("/api/v1/push/config")).json() == {"vapid_public_key": VAPID_PUBLIC, "fcm": True}

    event = await publish(app, await organizer(app), lat=PARIS[0], lon=PARIS[1] + 0.01)
    await drain(worker)

    [message] = peers.recorded.fcm
    assert message["token"] == "phone-token-0123456789abcdef"
    assert message["notification"]["title"] == "New near you: Jazz on the river"
    assert message["data"]["event_id"] == str(event["id"])
    assert peers.recorded.tokens >= 1  # the SDK fetched its OAuth token from the service account's token_uri
    [push] = peers.recorded.pushes
    assert push["browser"] == "laptop"
    assert push["payload"]["title"] == "New near you: Jazz on the river"
    assert push["authorization"].startswith("vapid t=")
    [notice] = await notices(app)
    assert notice["state"] == "sent" and sorted(notice["channels"]) == ["fcm", "outbox", "webpush"]
    assert push["topic"] == f"notice-{notice['id']}"
    assert await device_count(app) == 2  # dead, bad and gone pruned
    # In development the outbox holds a copy of every push, devices or not (one, not one per device).
    [copy] = await pushes(app, ana.email)
    assert copy["subject"] == "New near you: Jazz on the river" and f"[notice {notice['id']} " in copy["body"]


async def test_a_failing_device_is_retried_without_resending_to_the_others(
    client: httpx.AsyncClient, app: FastAPI, worker: WorkerContext, peers: Peers
) -> None:
    ana = await sign_up(client, "ana@example.com")
    await client.post("/api/v1/me/geofences", json=circle(*PARIS, 3000), headers=bearer(ana))
    for token in ("phone-token-0123456789abcdef", "flaky-token-0123456789abcdef"):
        await client.post("/api/v1/me/devices", json={"platform": "fcm", "token": token}, headers=bearer(ana))
    redirect = peers.browser("redirect-me").subscription(peers.base_url)
    await client.post("/api/v1/me/devices", json={"platform": "webpush", "subscription": redirect}, headers=bearer(ana))
    await publish(app, await organizer(app))
    await drain(worker)
    [notice] = await notices(app)
    assert notice["state"] == "pending" and notice["attempts"] == 1 and len(notice["delivered_to"]) == 1
    assert peers.recorded.refused == ["redirect-me"]  # asked once, its redirect not followed
    # The development outbox has the push at once, though a device waits for its retry.
    assert len(await pushes(app, ana.email)) == 1
    worker.clock.advance(5)  # type: ignore[attr-defined]
    await drain(worker)
    assert len(peers.recorded.fcm) == 1  # the phone is not sent the notice again
    assert len(await pushes(app, ana.email)) == 1  # and the outbox holds one copy, not one per attempt


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://push.example.com/x",  # not https
        "https://localhost/push/x",  # loopback
        "https://10.1.2.3/push/x",  # private
        "https://169.254.169.254/latest",  # link-local (cloud metadata)
        "https://[::1]/push",
        "https://nowhere.invalid/push",  # does not resolve
    ],
)
async def test_unsafe_web_push_endpoints_are_refused(client: httpx.AsyncClient, endpoint: str) -> None:
    ana = await sign_up(client, "ana@example.com")
    keys = {"p256dh": "B" + "A" * 86, "auth": "A" * 22}
    answer = await client.post(
        "/api/v1/me/devices",
        json={"platform": "webpush", "subscription": {"endpoint": endpoint, "keys": keys}},
        headers=bearer(ana),
    )
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["param"].startswith("subscription")

"""Push transports: Firebase Cloud Messaging (the real ``firebase-admin`` SDK) and Web Push (``pywebpush``).

Both SDKs block (``requests``), so each send runs in a worker thread. A send answers one of three
outcomes: delivered, ``gone`` (the token or subscription is dead: FCM's UNREGISTERED or
INVALID_ARGUMENT, a push service's 404/410; the device row is pruned) or ``retry`` (anything else:
the notice is tried again later with backoff).

FCM: ``firebase-admin`` has no emulator setting. The send URL is built from a class constant when the
messaging service is made; here the made service's URL is set from ``fcm_base_url`` (an egress proxy,
or a local peer in tests), and the OAuth token comes from the service account's own ``token_uri``.

Web Push: the endpoint is checked again before each send (https, public addresses) and redirects are
refused (a session with ``max_redirects = 0``): a push service never redirects, a trap would.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

import anyio.to_thread
import requests

from app.notifications.push_address import UnsafeEndpoint, check_endpoint
from config.settings import NotificationSettings

log = logging.getLogger("happenings.push")

Outcome = Literal["sent", "gone", "retry"]


@dataclass(frozen=True, slots=True)
class Device:
    id: UUID
    platform: str
    token: str
    p256dh: str | None
    auth: str | None


@dataclass(frozen=True, slots=True)
class Payload:
    notice_id: int
    title: str
    body: str
    data: dict[str, str]


class FcmSender:
    """One ``firebase_admin`` app per process, talking to ``fcm_base_url``."""

    def __init__(self, credentials_file: str, base_url: str, timeout_s: float) -> None:
        import firebase_admin
        from firebase_admin import credentials, messaging

        certificate = credentials.Certificate(credentials_file)
        name = f"happenings-{id(self)}"
        self._app = firebase_admin.initialize_app(certificate, {"httpTimeout": timeout_s}, name=name)
        service = messaging._get_messaging_service(self._app)
        service._fcm_url = f"{base_url.rstrip('/')}/v1/projects/{self._app.project_id}/messages:send"
        self._messaging = messaging

    def close(self) -> None:
        import firebase_admin

        firebase_admin.delete_app(self._app)

    def _send(self, device: Device, payload: Payload) -> Outcome:
        from firebase_admin import exceptions

        m = self._messaging
        message = m.Message(
            token=device.token,
            notification=m.Notification(title=payload.title, body=payload.body),
            data={**payload.data, "notice_id": str(payload.notice_id)},
            # A resend after a crash replaces the first copy on the device instead of showing twice.
            android=m.AndroidConfig(collapse_key=f"notice-{payload.notice_id}"),
        )
        try:
            m.send(message, app=self._app)
        except (m.UnregisteredError, m.SenderIdMismatchError, exceptions.InvalidArgumentError) as exc:
            log.info("fcm token is dead: %s", type(exc).__name__, extra={"device_id": str(device.id)})
            return "gone"
        except exceptions.FirebaseError as exc:
            log.warning("fcm send failed: %r", exc, extra={"device_id": str(device.id)})
            return "retry"
        return "sent"

    async def send(self, device: Device, payload: Payload) -> Outcome:
        return await anyio.to_thread.run_sync(self._send, device, payload)


class WebPushSender:
    def __init__(self, private_key: str, subject: str, allowed_hosts: list[str], timeout_s: float) -> None:
        from py_vapid import Vapid

        self._vapid = _vapid(Vapid, private_key)
        self._subject = subject
        self._allowed = allowed_hosts
        self._timeout_s = timeout_s

    def _send(self, device: Device, payload: Payload) -> Outcome:
        from pywebpush import WebPushException, webpush

        session = requests.Session()
        session.max_redirects = 0
        body = json.dumps(
            {"title": payload.title, "body": payload.body, "data": payload.data, "notice_id": payload.notice_id}
        )
        info = {"endpoint": device.token, "keys": {"p256dh": device.p256dh, "auth": device.auth}}
        try:
            webpush(
                info,
                body,
                vapid_private_key=self._vapid,
                vapid_claims={"sub": self._subject},
                ttl=86400,
                timeout=self._timeout_s,
                requests_session=session,
                headers={"Topic": f"notice-{payload.notice_id}", "Urgency": "normal"},
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                return "gone"
            log.warning("web push failed: %s", status, extra={"device_id": str(device.id)})
            return "retry"
        except requests.RequestException as exc:  # refused redirects, timeouts, connection errors
            log.warning("web push failed: %r", exc, extra={"device_id": str(device.id)})
            return "retry"
        finally:
            session.close()
        return "sent"

    async def send(self, device: Device, payload: Payload) -> Outcome:
        try:
            await check_endpoint(device.token, self._allowed)
        except UnsafeEndpoint:
            return "gone"
        return await anyio.to_thread.run_sync(self._send, device, payload)


def _vapid(vapid_class: Any, private_key: str) -> Any:
    """py-vapid wants a ``Vapid`` object, a file or base64url DER; a file path or DER text here."""
    if "/" in private_key and not private_key.startswith("-----"):
        return vapid_class.from_file(private_key)
    if private_key.startswith("-----"):
        return vapid_class.from_pem(private_key.encode())
    return vapid_class.from_string(private_key)


@dataclass(slots=True)
class Transports:
    fcm: FcmSender | None
    webpush: WebPushSender | None

    def close(self) -> None:
        if self.fcm is not None:
            self.fcm.close()


def build_transports(settings: NotificationSettings) -> Transports:
    fcm = None
    if settings.fcm_credentials_file:
        fcm = FcmSender(settings.fcm_credentials_file, settings.fcm_base_url, settings.push_timeout_s)
    webpush = None
    if settings.vapid_private_key is not None:
        webpush = WebPushSender(
            settings.vapid_private_key.get_secret_value(),
            settings.vapid_subject,
            settings.allowed_push_hosts,
            settings.push_timeout_s,
        )
    return Transports(fcm, webpush)

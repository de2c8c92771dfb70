"""Local peers for push: an OAuth token endpoint and an FCM v1 endpoint (what ``firebase-admin`` calls),
and a Web Push service that decrypts what it receives (RFC 8291, aes128gcm) with the subscription's keys.

One threaded HTTP server on 127.0.0.1 records every request it gets. Paths:
- ``POST /token``: an OAuth access token (the service account's ``token_uri``);
- ``POST /v1/projects/{project}/messages:send``: FCM v1; a token starting ``dead-`` answers UNREGISTERED,
  ``bad-`` INVALID_ARGUMENT, ``flaky-`` a 503 (retried);
- ``POST /push/{name}``: Web Push; ``/push/gone-*`` answers 410, ``/push/redirect-*`` a 307 elsewhere.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


@dataclass
class Recorded:
    fcm: list[dict[str, Any]] = field(default_factory=list)
    tokens: int = 0
    pushes: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@dataclass
class Browser:
    """A Web Push subscriber: its key pair and auth secret, as a browser makes them."""

    name: str
    key: ec.EllipticCurvePrivateKey
    auth: bytes

    def subscription(self, base_url: str) -> dict[str, Any]:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{base_url}/push/{self.name}",
            "keys": {"p256dh": _b64(public), "auth": _b64(self.auth)},
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Peers:
    base_url: str
    recorded: Recorded
    browsers: dict[str, Browser]
    credentials_file: str

    def browser(self, name: str) -> Browser:
        browser = Browser(name, ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        self.browsers[name] = browser
        return browser


def _handler(peers: Peers) -> type[BaseHTTPRequestHandler]:
    recorded = peers.recorded

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(
            self, status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
        ) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/token":
                recorded.tokens += 1
                self._answer(200, {"access_token": "local-access-token", "expires_in": 3600, "token_type": "Bearer"})
            elif self.path.startswith("/v1/projects/") and self.path.endswith("/messages:send"):
                self._fcm(json.loads(body))
            elif self.path.startswith("/push/"):
                self._push(self.path.removeprefix("/push/"), body)
            else:
                self._answer(404, {})

        def _fcm(self, body: dict[str, Any]) -> None:
            if self.headers.get("Authorization") != "Bearer local-access-token":
                self._answer(401, {"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "no token"}})
                return
            token = body["message"]["token"]
            if token.startswith("dead-"):
                self._answer(404, _fcm_error(404, "NOT_FOUND", "UNREGISTERED"))
            elif token.startswith("bad-"):
                self._answer(400, _fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"))
            elif token.startswith("flaky-"):
                self._answer(503, _fcm_error(503, "UNAVAILABLE", "UNAVAILABLE"))
            else:
                recorded.fcm.append(body["message"])
                self._answer(200, {"name": f"projects/local/messages/{len(recorded.fcm)}"})

        def _push(self, name: str, body: bytes) -> None:
            if name.startswith("gone-"):
                self._answer(410, {})
                return
            if name.startswith("redirect-"):
                recorded.refused.append(name)
                self._answer(307, {}, {"Location": f"{peers.base_url}/push/elsewhere"})
                return
            browser = peers.browsers[name]
            plain = http_ece.decrypt(body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm")
            recorded.pushes.append(
                {
                    "browser": name,
                    "payload": json.loads(plain),
                    "topic": self.headers.get("Topic"),
                    "authorization": self.headers.get("Authorization", ""),
                    "ttl": self.headers.get("TTL"),
                }
            )
            self._answer(201, {})

    return Handler


def _fcm_error(code: int, status: str, fcm_code: str) -> dict[str, Any]:
    details = [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": fcm_code}]
    return {"error": {"code": code, "message": fcm_code, "status": status, "details": details}}


def service_account(path: Path, token_uri: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "happenings-local",
                "private_key_id": "local",
                "private_key": pem,
                "client_email": "push@happenings-local.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": token_uri,
            }
        )
    )
    return str(path)


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[Peers]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    found = Peers(base_url, Recorded(), {}, service_account(tmp_path / "firebase.json", f"{base_url}/token"))
    server.RequestHandlerClass = _handler(found)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()

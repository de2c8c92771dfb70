"""Opaque, signed keyset cursors.

A cursor is ``base64url(payload) "." base64url(mac)``. The payload is a short JSON array
(the sort key of the last item seen, plus whatever the caller needs to resume); the MAC is
an HMAC-SHA256 over the payload *and a scope* (a fingerprint of the query the cursor was
made for). So a client can neither forge nor edit a cursor, nor replay one against a
different query: both fail verification and the request is refused before any query runs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

import orjson

# Generous for a handful of scalars; anything longer is not one of ours.
MAX_CURSOR_CHARS = 512
_MAC_BYTES = 16

CursorValue = str | int | float | bool | None


class InvalidCursor(ValueError):
    """The cursor is malformed, tampered with, or made for another query."""


class CursorSigner:
    """Encodes and verifies cursors with one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a cursor secret is required")
        self._key = hashlib.sha256(secret.encode()).digest()

    def encode(self, values: Sequence[CursorValue], scope: bytes) -> str:
        """An opaque token carrying ``values``, valid only for ``scope``."""
        payload = orjson.dumps(list(values))
        return f"{_b64(payload)}.{_b64(self._mac(payload, scope))}"

    def decode(self, token: str, scope: bytes) -> list[CursorValue]:
        """The values of a token made by ``encode`` for the same ``scope``; else ``InvalidCursor``."""
        if len(token) > MAX_CURSOR_CHARS or token.count(".") != 1:
            raise InvalidCursor("the cursor is malformed")
        body, mac = token.split(".")
        try:
            payload, given = _unb64(body), _unb64(mac)
        except (binascii.Error, ValueError) as exc:
            raise InvalidCursor("the cursor is malformed") from exc
        if not hmac.compare_digest(given, self._mac(payload, scope)):
            raise InvalidCursor("the cursor is not valid for this query (it was changed, or made for another one)")
        try:
            values = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:  # only reachable with a leaked secret; still refuse cleanly
            raise InvalidCursor("the cursor is malformed") from exc
        if not isinstance(values, list):
            raise InvalidCursor("the cursor is malformed")
        return values

    def _mac(self, payload: bytes, scope: bytes) -> bytes:
        message = len(scope).to_bytes(4, "big") + scope + payload
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError("empty or non-ASCII")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)

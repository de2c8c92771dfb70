"""Ticket codes: an Ed25519 signature over the ticket and its event, checkable offline.

A code is ``HT1.`` + base64url(ticket id (16 bytes) + event id (16 bytes) + signature (64 bytes)):
128 characters, small enough for a QR code a phone camera reads at arm's length. The signature
covers a domain-separation prefix, so a signature made by the same key for another purpose
(access tokens, when that key signs tickets too) is never a valid ticket. A scanner holding the
public key (``GET /events/{id}/checkin-list`` carries it) tells a forged code from a real one
without a network; whether the ticket is still valid or already used needs the list or the server.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import orjson
import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.accounts.tokens import load_private_key
from config.settings import Settings

PREFIX = "HT1."
_DOMAIN = b"happenings-ticket-v1\x00"
_LIST_DOMAIN = b"happenings-checkin-list-v1\x00"
MAX_CODE_CHARS = 200


@dataclass(frozen=True, slots=True)
class TicketRef:
    ticket_id: UUID
    event_id: UUID


class BadCode(ValueError):
    """Not a code this key signed."""


class TicketSigner:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key: Ed25519PublicKey = key.public_key()

    @classmethod
    def from_settings(cls, settings: Settings) -> TicketSigner:
        ticketing = settings.ticketing
        if ticketing.signing_key is not None:
            pem = ticketing.signing_key.get_secret_value().encode()
        elif ticketing.signing_key_file is not None:
            pem = Path(ticketing.signing_key_file).read_bytes()
        else:
            return cls(load_private_key(settings.auth))
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the ticket signing key must be an Ed25519 private key (PEM)")
        return cls(key)

    @property
    def public_key_b64(self) -> str:
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def code(self, ticket_id: UUID, event_id: UUID) -> str:
        body = ticket_id.bytes + event_id.bytes
        signature = self._key.sign(_DOMAIN + body)
        return PREFIX + base64.urlsafe_b64encode(body + signature).decode().rstrip("=")

    def verify(self, code: str) -> TicketRef:
        if len(code) > MAX_CODE_CHARS or not code.startswith(PREFIX):
            raise BadCode("not a ticket code")
        try:
            raw = base64.urlsafe_b64decode(code[len(PREFIX) :] + "=" * (-len(code) % 4))
        except (binascii.Error, ValueError) as exc:
            raise BadCode("not a ticket code") from exc
        if len(raw) != 96:
            raise BadCode("not a ticket code")
        try:
            self.public_key.verify(raw[32:], _DOMAIN + raw[:32])
        except InvalidSignature as exc:
            raise BadCode("the ticket's signature does not check") from exc
        return TicketRef(UUID(bytes=raw[:16]), UUID(bytes=raw[16:32]))

    def sign_list(self, document: dict[str, object]) -> str:
        """A base64url signature over the canonical JSON of ``document`` (sorted keys, no spaces)."""
        payload = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
        return base64.urlsafe_b64encode(self._key.sign(_LIST_DOMAIN + payload)).decode().rstrip("=")


def qr_svg_data_uri(code: str) -> str:
    """The code as a QR code (SVG data URI): error level M, never raised (``boost_error=False``)."""
    return str(segno.make_qr(code, error="m", boost_error=False).svg_data_uri(scale=4, border=2))

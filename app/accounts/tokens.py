"""Access tokens (Ed25519-signed JWTs) and the opaque secrets: refresh, one-time and CSRF tokens.

An access token says who (``sub``) in which session (``sid``) until when (``exp``), for this API
(``aud``), from this service (``iss``); its ``typ`` header and claim are ``at+jwt`` / ``access``.
Only ``EdDSA`` is accepted: PyJWT given a one-element asymmetric list refuses ``alg=none`` and an
HS256 token keyed with the public key. Time claims are checked here against the service's clock
(injectable in tests), with no leeway: clocks of one deployment agree to well under a second.

The other tokens are 32 random bytes (base64url). Only their SHA-256 is stored: they are random,
not chosen by people, so a fast hash is enough to make a leaked table useless.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from config.settings import AuthSettings

ALGORITHM = "EdDSA"
HEADER_TYP = "at+jwt"
CLAIM_TYP = "access"
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "aud", "iss", "sub", "jti", "sid", "typ"]
# A header or token longer than this is not one of ours; refuse before parsing.
MAX_TOKEN_LENGTH = 2048


class InvalidToken(Exception):
    """The access token is missing a part, forged, expired, not yet valid or not meant for us."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    account_id: UUID
    session_id: UUID
    jti: UUID
    expires_at: int
    valid_from: int  # the later of nbf and iat


class AccessTokens:
    """Signs and checks access tokens with one Ed25519 key (and accepts retired public keys)."""

    def __init__(
        self,
        private_key: Ed25519PrivateKey,
        *,
        issuer: str,
        audience: str,
        ttl_s: int,
        previous: list[Ed25519PublicKey] | None = None,
    ) -> None:
        self._private = private_key
        self._issuer = issuer
        self._audience = audience
        self.ttl_s = ttl_s
        public = private_key.public_key()
        self._kid = key_id(public)
        self._keys = {self._kid: public, **{key_id(key): key for key in previous or ()}}
        # Tokens whose signature and claims were checked already, by their exact text: a client sends
        # the same token for up to ``ttl_s``, and checking one again costs a signature verification
        # and PyJWT's parsing (~0.1-0.2 ms). Only the times are checked again. Oldest out first.
        self._verified: dict[str, AccessClaims] = {}

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> AccessTokens:
        previous = [_public_key(pem.encode()) for pem in settings.jwt_previous_public_keys]
        return cls(
            load_private_key(settings),
            issuer=settings.issuer,
            audience=settings.audience,
            ttl_s=settings.access_ttl_s,
            previous=previous,
        )

    def issue(self, account_id: UUID, session_id: UUID, now: datetime) -> str:
        issued = int(now.timestamp())
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(account_id),
            "sid": str(session_id),
            "typ": CLAIM_TYP,
            "jti": str(uuid.uuid4()),
            "iat": issued,
            "nbf": issued,
            "exp": issued + self.ttl_s,
        }
        return jwt.encode(claims, self._private, algorithm=ALGORITHM, headers={"typ": HEADER_TYP, "kid": self._kid})

    def check(self, token: str, now: float) -> AccessClaims:
        """The claims of a valid access token at ``now`` (epoch seconds), or ``InvalidToken``."""
        known = self._verified.get(token)
        if known is not None:
            return _in_time(known, now)
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("token too long")
        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.get(str(header.get("kid")))
            if key is None or header.get("typ") != HEADER_TYP:
                raise InvalidToken("unknown key or type")
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                # The time claims are checked below against the service's clock.
                options={"require": REQUIRED_CLAIMS, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        checked = _in_time(_parsed(claims), now)
        if len(self._verified) >= VERIFIED_KEPT:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = checked
        return checked


# How many checked tokens each process remembers (a few MiB).
VERIFIED_KEPT = 20_000


def _parsed(claims: dict[str, Any]) -> AccessClaims:
    try:
        expires, not_before, issued = int(claims["exp"]), int(claims["nbf"]), int(claims["iat"])
        subject, session, jti = UUID(str(claims["sub"])), UUID(str(claims["sid"])), UUID(str(claims["jti"]))
    except (TypeError, ValueError) as exc:
        raise InvalidToken("malformed claim") from exc
    if claims["typ"] != CLAIM_TYP:
        raise InvalidToken("not an access token")
    return AccessClaims(subject, session, jti, expires, max(not_before, issued))


def _in_time(claims: AccessClaims, now: float) -> AccessClaims:
    if now >= claims.expires_at:
        raise InvalidToken("expired")
    if now < claims.valid_from:
        raise InvalidToken("not yet valid")
    return claims


def key_id(public: Ed25519PublicKey) -> str:
    """A short name of a public key (the start of its SHA-256), the ``kid`` header of its tokens."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest()[:12]).decode().rstrip("=")


def load_private_key(settings: AuthSettings) -> Ed25519PrivateKey:
    """The configured signing key; without one (development and test only), a fresh one for this process."""
    if settings.jwt_private_key is not None:
        pem = settings.jwt_private_key.get_secret_value().encode()
    elif settings.jwt_private_key_file is not None:
        pem = Path(settings.jwt_private_key_file).read_bytes()
    else:
        return Ed25519PrivateKey.generate()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the JWT signing key must be an Ed25519 private key (PEM)")
    return key


def _public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("a previous JWT public key must be an Ed25519 public key (PEM)")
    return key


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    encoding, pkcs8 = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    return key.private_bytes(encoding, pkcs8, serialization.NoEncryption())


def public_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def new_secret() -> str:
    """A fresh opaque token: 32 random bytes, base64url without padding (43 characters)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> bytes:
    """What is stored of an opaque token: its SHA-256."""
    return hashlib.sha256(secret.encode()).digest()


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


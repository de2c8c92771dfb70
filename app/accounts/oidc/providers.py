"""An OpenID Connect provider as this service uses it: discovery, keys, the authorization URL, the
code exchange and the ID token, all over async HTTP with a timeout.

One ``Provider`` per configured name, made at first use and kept for the process: its discovery
document and key set are cached (``metadata_ttl_s``); a token signed with a key the cached set does
not hold fetches the set again (at most once per ``jwks_min_refresh_s``), which is how a provider's
key rotation reaches us. When a refresh fails, the copy in hand keeps serving.

The HTTP client is Authlib's ``AsyncOAuth2Client`` (httpx2 underneath); its transport is the
default one in production and an in-process provider's ASGI transport in tests.

The ID token is checked here and nowhere else: a signature by a key of the provider's set (asymmetric
algorithms only, those the provider announces), then ``iss`` (the configured issuer), ``aud`` (our
client id; ``azp`` when there are several audiences), ``exp``/``iat``/``nbf`` against our clock with
``clock_skew_s`` of leeway, ``nonce`` (the one this sign-in sent) and ``at_hash`` when present.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx2
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from app.accounts.oidc.errors import ProviderFailed, ProviderUnavailable, SignInRefused
from config.settings import OidcProviderSettings, OidcSettings

log = logging.getLogger("happenings.accounts.oidc")

# Never HS* (keyed with the client secret) and never "none": a provider's own key signs.
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
# A discovery document or key set larger than this is not one.
MAX_DOCUMENT_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class Metadata:
    """What this service needs of a provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    algorithms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the provider says signed in: ``subject`` is its stable id for the person."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


@dataclass(slots=True)
class _Cached:
    value: Any
    fetched_at: float  # time.monotonic()


class Provider:
    def __init__(
        self,
        name: str,
        settings: OidcProviderSettings,
        oidc: OidcSettings,
        redirect_uri: str,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        assert settings.issuer is not None  # settings fill in Google's
        self.name = name
        self.label = settings.display_name or name.capitalize()
        self.issuer = settings.issuer
        self.client_id = settings.client_id
        self.redirect_uri = redirect_uri
        self._oidc = oidc
        self._client = AsyncOAuth2Client(
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            token_endpoint_auth_method=settings.token_endpoint_auth_method,
            scope=" ".join(settings.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=oidc.http_timeout_s,
            transport=transport,
            follow_redirects=False,
        )
        self._metadata: _Cached | None = None
        self._keys: _Cached | None = None
        self._forced_at = -float("inf")  # the last fetch for a key the cached set lacked
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._client.aclose()

    # ------------------------------------------------------------------------------------------ discovery

    async def metadata(self) -> Metadata:
        """The discovery document, from cache while it is fresh."""
        cached = self._metadata
        if cached is not None and time.monotonic() - cached.fetched_at < self._oidc.metadata_ttl_s:
            return cached.value  # type: ignore[no-any-return]
        async with self._lock:  # one fetch at a time; the others take its result
            if self._metadata is not cached and self._metadata is not None:
                return self._metadata.value  # type: ignore[no-any-return]
            try:
                document = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
                metadata = self._parse_metadata(document)
            except (ProviderUnavailable, ProviderFailed):
                if cached is None:
                    raise
                log.warning("%s: discovery failed, keeping the copy in hand", self.name)
                return cached.value  # type: ignore[no-any-return]
            self._metadata = _Cached(metadata, time.monotonic())
            return metadata

    def _parse_metadata(self, document: dict[str, Any]) -> Metadata:
        if document.get("issuer") != self.issuer:
            # OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
            raise ProviderFailed(self.name, "its discovery document names another issuer")
        urls = {}
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(field)
            if not isinstance(value, str) or not value.startswith(("https://", "http://")):
                raise ProviderFailed(self.name, f"no {field} in its discovery document")
            urls[field] = value
        userinfo = document.get("userinfo_endpoint")
        announced = document.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = tuple(alg for alg in ASYMMETRIC_ALGORITHMS if alg in announced)
        if not algorithms:
            raise ProviderFailed(self.name, "it signs ID tokens with no algorithm we accept")
        return Metadata(
            issuer=self.issuer,
            authorization_endpoint=urls["authorization_endpoint"],
            token_endpoint=urls["token_endpoint"],
            jwks_uri=urls["jwks_uri"],
            userinfo_endpoint=userinfo if isinstance(userinfo, str) else None,
            algorithms=algorithms,
        )

    async def _key_set(self, metadata: Metadata, *, stale: bool = False) -> KeySet:
        """The provider's public keys; ``stale``: the cached set lacked the token's key, fetch again."""
        cached = self._keys
        now = time.monotonic()
        if cached is not None:
            if not stale and now - cached.fetched_at < self._oidc.metadata_ttl_s:
                return cached.value  # type: ignore[no-any-return]
            if stale and now - self._forced_at < self._oidc.jwks_min_refresh_s:
                return cached.value  # type: ignore[no-any-return]
        if stale:
            self._forced_at = now
        try:
            keys = KeySet.import_key_set(await self._get_json(metadata.jwks_uri))  # type: ignore[arg-type]
        except (ValueError, TypeError, KeyError, JoseError) as exc:
            raise ProviderFailed(self.name, "its key set cannot be read") from exc
        except (ProviderUnavailable, ProviderFailed):
            if cached is None:
                raise
            return cached.value  # type: ignore[no-any-return]
        self._keys = _Cached(keys, now)
        return keys

    async def _get_json(self, url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            response = await self._client.request("GET", url, headers=headers, withhold_token=True)
        except httpx2.TransportError as exc:  # timeouts included
            log.warning("%s: GET %s failed: %r", self.name, url, exc)
            raise ProviderUnavailable(self.label) from exc
        if response.status_code >= 500:
            raise ProviderFailed(self.name, f"HTTP {response.status_code}")
        if response.status_code != 200 or len(response.content) > MAX_DOCUMENT_BYTES:
            raise ProviderFailed(self.name, f"HTTP {response.status_code} from {url}")
        try:
            document = json.loads(response.content)
        except ValueError as exc:
            raise ProviderFailed(self.name, "not JSON") from exc
        if not isinstance(document, dict):
            raise ProviderFailed(self.name, "not a JSON object")
        return document

    # ------------------------------------------------------------------------------------------ the flow

    def authorization_url(self, metadata: Metadata, *, state: str, nonce: str, code_verifier: str) -> str:
        """Where to send the browser: code flow with PKCE (S256), our state and nonce."""
        url, _ = self._client.create_authorization_url(
            metadata.authorization_endpoint, state=state, code_verifier=code_verifier, nonce=nonce
        )
        return str(url)

    async def exchange(self, metadata: Metadata, code: str, code_verifier: str) -> dict[str, Any]:
        """The token endpoint's answer for ``code`` (sent with our PKCE verifier and client secret)."""
        try:
            token = await self._client.fetch_token(
                metadata.token_endpoint, grant_type="authorization_code", code=code, code_verifier=code_verifier
            )
        except OAuthError as exc:
            # invalid_grant: a used, expired or foreign code, or a verifier that is not this code's.
            raise SignInRefused("code", f"{self.label} refused the sign-in code ({exc.error})") from exc
        except httpx2.TransportError as exc:
            log.warning("%s: token request failed: %r", self.name, exc)
            raise ProviderUnavailable(self.label) from exc
        except (httpx2.HTTPStatusError, ValueError) as exc:
            raise ProviderFailed(self.name, "its token endpoint failed") from exc
        return dict(token)

    async def identity(self, metadata: Metadata, token: dict[str, Any], nonce: str, now: datetime) -> Identity:
        """The person the checked ID token names, with their email (from userinfo if the token has none)."""
        id_token = token.get("id_token")
        if not isinstance(id_token, str) or len(id_token) > 16_384:
            raise ProviderFailed(self.name, "no ID token")
        claims = await self._checked_claims(metadata, id_token, token.get("access_token"), nonce, now)
        identity = self._identity(claims)
        access_token = token.get("access_token")
        if identity.email is None and metadata.userinfo_endpoint and isinstance(access_token, str):
            info = await self._get_json(metadata.userinfo_endpoint, {"Authorization": f"Bearer {access_token}"})
            if info.get("sub") != identity.subject:
                # OpenID Connect Core §5.3.2: a userinfo answer about someone else is not used.
                raise SignInRefused("userinfo", f"{self.label} described another person")
            identity = self._identity({**info, "sub": identity.subject})
        return identity

    async def _checked_claims(
        self, metadata: Metadata, id_token: str, access_token: object, nonce: str, now: datetime
    ) -> dict[str, Any]:
        keys = await self._key_set(metadata)
        try:
            try:
                decoded = jwt.decode(id_token, keys, algorithms=list(metadata.algorithms))
            except InvalidKeyIdError:
                keys = await self._key_set(metadata, stale=True)
                decoded = jwt.decode(id_token, keys, algorithms=list(metadata.algorithms))
            options: dict[str, Any] = {
                "iss": {"essential": True, "value": self.issuer},
                "aud": {"essential": True, "value": self.client_id},
                "sub": {"essential": True},
                "nonce": {"essential": True, "value": nonce},
            }
            params = {"nonce": nonce, "client_id": self.client_id}
            if isinstance(access_token, str):
                params["access_token"] = access_token
            claims = CodeIDToken(decoded.claims, decoded.header, options, params)
            claims.validate(now=int(now.timestamp()), leeway=self._oidc.clock_skew_s)
        except (JoseError, ValueError, TypeError) as exc:
            log.warning("%s: ID token refused: %r", self.name, exc)
            raise SignInRefused("id-token", f"the ID token from {self.label} is not valid ({_why(exc)})") from exc
        return dict(claims)

    def _identity(self, claims: dict[str, Any]) -> Identity:
        subject = claims.get("sub")
        if not isinstance(subject, str) or not 1 <= len(subject) <= 255:
            raise SignInRefused("id-token", f"the ID token from {self.label} names nobody")
        email = claims.get("email")
        if not isinstance(email, str) or not 3 <= len(email) <= 254 or "@" not in email[1:-1]:
            email = None
        name = claims.get("name")
        name = name.strip()[:100] if isinstance(name, str) and name.strip() else None
        # A JSON boolean per the spec; some providers send the string "true".
        verified = claims.get("email_verified") in (True, "true")
        return Identity(self.name, subject, email, email is not None and verified, name)


def _why(exc: Exception) -> str:
    """A short reason for the client, never the token's content."""
    error = getattr(exc, "error", None)
    return str(error) if error else type(exc).__name__

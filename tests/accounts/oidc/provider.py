"""A real OpenID Connect provider inside the test process, built on Authlib's generic server.

It serves discovery, its key set, an authorization endpoint that signs in ``provider.user`` at once
(no login page: the person has "approved"), a token endpoint (authorization code grant, PKCE with
S256 required of every client, confidential ones too, client secret checked, ID tokens signed RS256
with ``nonce`` and ``at_hash``) and userinfo. Its clock is the tests' clock, so the ID token's times
agree with the service's pinned clock.

Tests reach it over ``httpx2.ASGITransport(app=provider.app)`` (Authlib's client runs on httpx2),
the service's outbound calls too (``app.state.oidc_transport``). Knobs change how it behaves, as a
broken or hostile provider would: ``user`` (None: the person refuses), ``id_token_hook`` (rewrite
the ID token after signing), ``email_in_id_token``, ``failing`` (answer every request with that
HTTP status).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ISSUER = "https://idp.test"
CLIENT_ID = "happenings-test"
CLIENT_SECRET = "provider-side-secret-for-tests"
CODE_TTL_S = 60
ID_TOKEN_TTL_S = 600


@cache
def signing_key(kid: str = "idp-key-1") -> RSAKey:
    """One RSA key per kid for the whole run (making one costs tens of milliseconds)."""
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


@dataclass
class User:
    sub: str
    email: str | None
    email_verified: bool | str | None = True
    name: str | None = "Robin Example"


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    scope: str = "openid email profile"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in self.scope.split())

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in {"client_secret_basic", "client_secret_post"} if endpoint == "token" else True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: User
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> None:
        return None

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class _Request(OAuth2Request):  # type: ignore[misc]
    """A request whose form was read before Authlib (synchronous) looks at it."""

    def __init__(self, request: Request, form: dict[str, str]) -> None:
        super().__init__(request.method, str(request.url), None, request.headers)
        self._args = dict(request.query_params)
        self._form = form
        self.payload = BasicOAuth2Payload({**self._args, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class StrictPkce(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 from every client: ``CodeChallenge(required=True)`` forces it on public clients only."""

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with code_challenge_method=S256 is required")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]

    @property
    def provider(self) -> TestProvider:
        return self.server.provider  # type: ignore[no-any-return]

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        self.provider.codes[code] = Code(
            code=code,
            client_id=request.client.client_id,
            redirect_uri=data.get("redirect_uri"),
            scope=request.scope,
            user=request.user,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            expires_at=self.provider.now() + CODE_TTL_S,
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        found = self.provider.codes.get(code)
        if found is None or found.client_id != client.client_id or found.expires_at < self.provider.now():
            return None
        return found

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.provider.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> User:
        return authorization_code.user


class OpenID(OpenIDCode):  # type: ignore[misc]
    def __init__(self, provider: TestProvider) -> None:
        super().__init__(require_nonce=True)
        self.provider = provider

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return nonce in self.provider.nonces_used

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        return self.provider.key

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": "RS256", "kid": str(self.provider.key.kid)}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(self.provider.now())
        return {"iss": ISSUER, "aud": [client.client_id], "iat": now, "exp": now + ID_TOKEN_TTL_S, "auth_time": now}

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        return UserInfo(self.provider.claims_of(user, scope, in_id_token=True))

    def process_token(self, grant: Any, response: Any) -> Any:
        token = super().process_token(grant, response)
        if grant.request.authorization_code is not None:
            nonce = grant.request.authorization_code.get_nonce()
            if nonce:
                self.provider.nonces_used.add(nonce)
        if "id_token" in token and self.provider.id_token_hook is not None:
            token["id_token"] = self.provider.id_token_hook(token["id_token"])
        return token


class _Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, provider: TestProvider) -> None:
        super().__init__(scopes_supported=["openid", "email", "profile"])
        self.provider = provider
        self.register_token_generator("default", BearerTokenGenerator(lambda *a, **k: generate_token(42)))
        self.register_grant(CodeGrant, [StrictPkce(required=True), OpenID(provider)])

    def query_client(self, client_id: str) -> Client | None:
        return self.provider.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        self.provider.access_tokens[token["access_token"]] = request.user

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        assert isinstance(request, OAuth2Request), "handlers build the request (form read first)"
        return request

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        content = json.dumps(body) if isinstance(body, dict) else (body or "")
        return Response(content, status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class TestProvider:
    """The provider, its one registered client (our service) and the person who signs in."""

    clock: Callable[[], datetime]
    redirect_uris: list[str]
    user: User | None = field(default_factory=lambda: User("idp-user-1", "robin@example.com"))
    email_in_id_token: bool = True
    id_token_hook: Callable[[str], str] | None = None
    failing: int | None = None
    key: RSAKey = field(default_factory=signing_key)
    published_keys: list[RSAKey] | None = None  # None: the signing key
    codes: dict[str, Code] = field(default_factory=dict)
    access_tokens: dict[str, User] = field(default_factory=dict)
    nonces_used: set[str] = field(default_factory=set)
    hits: list[str] = field(default_factory=list)

    __test__ = False  # not a test class, whatever its name

    def __post_init__(self) -> None:
        self.clients = {CLIENT_ID: Client(CLIENT_ID, CLIENT_SECRET, self.redirect_uris)}
        self.server = _Server(self)
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/jwks", self._jwks),
                Route("/authorize", self._authorize),
                Route("/token", self._token, methods=["POST"]),
                Route("/userinfo", self._userinfo),
            ]
        )

    def now(self) -> float:
        return self.clock().timestamp()

    def claims_of(self, user: User, scope: str, *, in_id_token: bool) -> dict[str, Any]:
        claims: dict[str, Any] = {"sub": user.sub}
        scopes = scope.split()
        if "email" in scopes and (self.email_in_id_token or not in_id_token) and user.email is not None:
            claims["email"] = user.email
            if user.email_verified is not None:
                claims["email_verified"] = user.email_verified
        if "profile" in scopes and user.name:
            claims["name"] = user.name
        return claims

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """The ASGI app, refusing everything with ``failing`` when set."""
        if scope["type"] == "http":
            self.hits.append(scope["path"])
            if self.failing is not None:
                await Response("down", status_code=self.failing)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    # ------------------------------------------------------------------------------------------ endpoints

    async def _discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/authorize",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks",
                "userinfo_endpoint": f"{ISSUER}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": ["openid", "email", "profile"],
            }
        )

    async def _jwks(self, request: Request) -> Response:
        keys = self.published_keys if self.published_keys is not None else [self.key]
        return JSONResponse({"keys": [key.as_dict(private=False) for key in keys]})

    async def _authorize(self, request: Request) -> Response:
        oauth_request = _Request(request, {})
        try:
            grant = self.server.get_authorization_grant(oauth_request)
        except OAuth2Error as error:
            return self.server.handle_error_response(oauth_request, error)  # type: ignore[no-any-return]
        return self.server.create_authorization_response(oauth_request, self.user, grant)  # type: ignore[no-any-return]

    async def _token(self, request: Request) -> Response:
        # Read first (Authlib's server is synchronous); a token request is always urlencoded.
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        return self.server.create_token_response(_Request(request, form))  # type: ignore[no-any-return]

    async def _userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        user = self.access_tokens.get(token) if scheme.lower() == "bearer" else None
        if user is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse(self.claims_of(user, "openid email profile", in_id_token=False))

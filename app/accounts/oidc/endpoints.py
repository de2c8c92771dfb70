"""Social sign-in: ``/api/v1/auth/oidc/{provider}/start`` and ``.../callback``, the providers list,
and the mobile apps' hand-off ``POST /api/v1/auth/oidc/token``.

The web front end sends the browser to ``start`` (optionally with ``next``, a path of the front
end to land on); the provider sends it back to ``callback``, which answers with a redirect to the
front end carrying the session in cookies exactly as a password sign-in with ``session_cookie``
does (refresh token HttpOnly, CSRF token readable): no token ever appears in a URL. The front end
then gets its access token from ``POST /api/v1/auth/refresh``.

A mobile app opens ``start`` in the system browser with ``app_redirect_uri`` (one of the configured
``oidc.app_redirect_uris``), its own ``app_state`` and a PKCE ``code_challenge`` (S256); the callback
sends the browser to that URI with a short-lived, single-use hand-off code, which the app trades,
with its verifier, at ``POST /api/v1/auth/oidc/token`` for the tokens in the body.

Failures of the callback are problem+json (4xx; 502/503 when the provider is down); a browser
(``Accept: text/html``) is redirected instead to ``/#/sign-in?error=CODE`` of the front end, and a
mobile app's browser to its redirect URI with ``error=CODE``.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from uuid import UUID

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from app.accounts import repository as accounts_repository
from app.accounts import service as accounts_service
from app.accounts.context import AccountsContext, AccountsDep
from app.accounts.cookies import set_session_cookies
from app.accounts.endpoints import NO_STORE, token_response
from app.accounts.oidc import service
from app.accounts.oidc.context import OidcContext, OidcDep
from app.accounts.oidc.errors import OidcError, SignInRefused
from app.accounts.oidc.flow import Handoff, PendingSignIn
from app.accounts.oidc.providers import Provider
from app.accounts.oidc.schemas import HandoffIn, ProviderOut, ProvidersOut
from app.accounts.schemas import TokenOut
from app.accounts.tokens import digest, new_secret, same_secret
from app.db import open_unit_of_work
from app.errors import ProblemError, problem_response
from app.kit.ratelimit import ip_subject

router = APIRouter(prefix="/api/v1/auth/oidc", tags=["accounts"])

SIGN_IN_PAGE = "/#/sign-in"
_SECRET = r"^[A-Za-z0-9_-]{43}$"

ProviderName = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description="A provider's name in the settings, e.g. google")
]
_redirects: dict[int | str, dict[str, Any]] = {
    404: {"description": "No provider of that name is configured"},
    502: {"description": "The provider answered with an error"},
    503: {"description": "The provider (or the sign-in state store) cannot be reached (Retry-After)"},
}


def binding_cookie(secure: bool) -> str:
    """The cookie binding a sign-in to the browser that started it (``__Host-``: no sibling domain sets it)."""
    return "__Host-hp_oidc" if secure else "hp_oidc"


@router.get("/providers", response_model=ProvidersOut, summary="Social sign-in providers")
async def providers(oidc: OidcDep) -> ProvidersOut:
    """The providers a sign-in button may be shown for."""
    items = [
        ProviderOut(name=name, display_name=oidc.provider(name).label, start_url=f"{router.prefix}/{name}/start")
        for name in oidc.names()
    ]
    return ProvidersOut(items=items)


@router.get(
    "/{provider}/start",
    status_code=302,
    response_class=Response,
    responses={302: {"description": "To the provider's sign-in page"}, **_redirects},
    summary="Start a social sign-in",
)
async def start(
    request: Request,
    provider: ProviderName,
    oidc: OidcDep,
    accounts: AccountsDep,
    next_path: str = Query(
        "/", alias="next", max_length=200, pattern=r"^/([^/\\\s][^\\\s]*)?$", description="Front-end path to land on"
    ),
    app_redirect_uri: str | None = Query(None, max_length=500, description="Mobile apps: a configured redirect URI"),
    app_state: str | None = Query(None, max_length=200, pattern=r"^[\x21-\x7e]+$"),
    code_challenge: str | None = Query(None, pattern=_SECRET, description="Mobile apps: PKCE challenge (S256)"),
    code_challenge_method: Literal["S256"] | None = None,
) -> Response:
    """Send the browser to the provider: authorization code flow with PKCE, a state and a nonce."""
    chosen = oidc.provider(provider)
    _check_app_request(oidc, app_redirect_uri, code_challenge, code_challenge_method)
    await accounts.limiter.hit((oidc.start_limit, _client(request)))  # each start holds state in Redis
    metadata = await chosen.metadata()
    state, nonce, verifier = new_secret(), new_secret(), secrets.token_urlsafe(64)
    cookie_name = binding_cookie(accounts.settings.cookie_secure)
    browser = request.cookies.get(cookie_name)
    if browser is None or len(browser) != 43:
        browser = new_secret()
    pending = PendingSignIn(
        provider=chosen.name,
        nonce=nonce,
        code_verifier=verifier,
        browser_hash=digest(browser).hex(),
        next_path=next_path,
        app_redirect_uri=app_redirect_uri,
        app_state=app_state,
        app_challenge=code_challenge,
    )
    await oidc.flows.put(state, pending)
    url = chosen.authorization_url(metadata, state=state, nonce=nonce, code_verifier=verifier)
    response = RedirectResponse(url, status_code=302, headers={**NO_STORE, "Referrer-Policy": "no-referrer"})
    response.set_cookie(
        cookie_name,
        browser,
        max_age=oidc.settings.flow_ttl_s,
        path="/",
        secure=accounts.settings.cookie_secure,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to us
    )
    return response


@router.get(
    "/{provider}/callback",
    status_code=303,
    response_class=Response,
    responses={
        303: {"description": "To the front end, signed in (session cookies), or to the app with a hand-off code"},
        400: {"description": "State, browser, code or ID token refused, or the provider reported an error"},
        409: {"description": "The email address belongs to an account this identity may not join"},
        429: {"description": "Too many attempts (Retry-After)"},
        **_redirects,
    },
    summary="Finish a social sign-in",
)
async def callback(
    request: Request,
    provider: ProviderName,
    oidc: OidcDep,
    accounts: AccountsDep,
    state: str | None = Query(None, max_length=128),
    code: str | None = Query(None, max_length=2048),
    error: str | None = Query(None, max_length=100),
) -> Response:
    """The provider's answer: check it, find or link or make the account, start a session."""
    pending: PendingSignIn | None = None
    try:
        chosen = oidc.provider(provider)
        await accounts.limiter.hit((oidc.callback_limit, _client(request)))
        pending = await _take_pending(request, oidc, accounts, chosen, state)
        if error is not None:
            raise SignInRefused("denied", f"{chosen.label} did not sign you in ({_word(error)})")
        if not code:
            raise SignInRefused("code", f"{chosen.label} sent no sign-in code")
        metadata = await chosen.metadata()
        token = await chosen.exchange(metadata, code, pending.code_verifier)
        identity = await chosen.identity(metadata, token, pending.nonce, accounts.clock())
        pair = None
        async with open_unit_of_work(request) as work:
            account_id = await service.account_for(work, accounts, identity)
            if pending.app_redirect_uri is None:
                pair = await accounts_service.start_session(work.conn, accounts, account_id, web=True)
        if pair is None:
            return await _hand_off(oidc, pending, account_id)
        return _signed_in(oidc, accounts, pending, pair)
    except ProblemError as exc:
        return _failed(request, oidc, pending, exc)


@router.post(
    "/token",
    response_model=TokenOut,
    responses={400: {"description": "Unknown, used or expired code, or the wrong verifier"}},
    summary="Mobile apps: trade a hand-off code for tokens",
)
async def app_token(request: Request, body: HandoffIn, oidc: OidcDep, accounts: AccountsDep) -> Response:
    """The hand-off code from the app's redirect URI and the app's PKCE verifier → the sign-in answer
    of ``POST /auth/login`` (tokens in the body). A code works once, for ``HANDOFF_TTL_S`` seconds."""
    await accounts.limiter.hit((accounts.limits.token_ip, _client(request)))
    handoff = await oidc.flows.take_handoff(body.code)
    if handoff is None or not same_secret(create_s256_code_challenge(body.code_verifier), handoff.app_challenge):
        raise SignInRefused("code", "this code is unknown, used or expired, or the verifier is not its own")
    async with open_unit_of_work(request) as work:
        if await accounts_repository.get_account(work.conn, handoff.account_id) is None:
            raise SignInRefused("code", "the account of this code no longer exists")
        pair = await accounts_service.start_session(work.conn, accounts, handoff.account_id)
    return token_response(pair, accounts)


# ------------------------------------------------------------------------------------------------ helpers


def _check_app_request(oidc: OidcContext, redirect_uri: str | None, challenge: str | None, method: str | None) -> None:
    """A mobile app's start names an allowed redirect URI and brings its PKCE challenge (S256)."""
    if redirect_uri is None and challenge is None and method is None:
        return
    if redirect_uri is None or redirect_uri not in oidc.settings.app_redirect_uris:
        raise SignInRefused("app", "app_redirect_uri is not one this service sends sign-ins to")
    if challenge is None or method != "S256":
        raise SignInRefused("app", "an app's sign-in needs code_challenge with code_challenge_method=S256")


async def _take_pending(
    request: Request, oidc: OidcContext, accounts: AccountsContext, chosen: Provider, state: str | None
) -> PendingSignIn:
    """The sign-in this answer belongs to (once), started for this provider in this browser."""
    if not state:
        raise SignInRefused("state", "the answer carries no state; start the sign-in again")
    pending = await oidc.flows.take(state)
    if pending is None:
        raise SignInRefused("state", "this sign-in is unknown, expired or already finished; start again")
    if pending.provider != chosen.name:
        raise SignInRefused("state", "this sign-in was started with another provider; start again")
    browser = request.cookies.get(binding_cookie(accounts.settings.cookie_secure))
    if browser is None or not same_secret(digest(browser).hex(), pending.browser_hash):
        raise SignInRefused("browser", "this sign-in was started in another browser; start it again here")
    return pending


def _signed_in(
    oidc: OidcContext, accounts: AccountsContext, pending: PendingSignIn, pair: accounts_service.TokenPair
) -> Response:
    response = _redirect(oidc.public_url + pending.next_path)
    set_session_cookies(response, pair, accounts.settings)
    secure = accounts.settings.cookie_secure
    response.delete_cookie(binding_cookie(secure), path="/", secure=secure, httponly=True)
    return response


async def _hand_off(oidc: OidcContext, pending: PendingSignIn, account_id: UUID) -> Response:
    assert pending.app_redirect_uri is not None and pending.app_challenge is not None
    code = new_secret()
    await oidc.flows.put_handoff(code, Handoff(account_id, pending.app_challenge))
    params = {"code": code, **({"state": pending.app_state} if pending.app_state else {})}
    return _redirect(_with_query(pending.app_redirect_uri, params))


def _failed(request: Request, oidc: OidcContext, pending: PendingSignIn | None, exc: ProblemError) -> Response:
    code = exc.code if isinstance(exc, OidcError) else exc.slug
    if pending is not None and pending.app_redirect_uri is not None:
        params = {"error": code, **({"state": pending.app_state} if pending.app_state else {})}
        return _redirect(_with_query(pending.app_redirect_uri, params))
    if "text/html" in request.headers.get("accept", ""):
        return _redirect(f"{oidc.public_url}{SIGN_IN_PAGE}?{urlencode({'error': code})}")
    return problem_response(
        exc.status, exc.slug, exc.title, exc.detail, request.url.path, exc.headers, param=exc.param, **exc.extra
    )


def _redirect(url: str) -> Response:
    # No Referer: the callback's own URL (with the code) is not passed on to the next page.
    return RedirectResponse(url, status_code=303, headers={**NO_STORE, "Referrer-Policy": "no-referrer"})


def _with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _word(value: str) -> str:
    """A provider's error code as we repeat it: its letters only."""
    return "".join(ch for ch in value if ch.isalnum() or ch == "_")[:40] or "error"


def _client(request: Request) -> str:
    return ip_subject(request.client.host if request.client else None)

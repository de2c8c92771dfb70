"""The accounts API: ``/api/v1/auth/*``, and ``/api/v1/dev/outbox`` in development (``/me`` is ``app.profiles``).

HTTP only: bodies are validated (unknown fields refused), the service applies the rules, and this
module turns a ``TokenPair`` into the answer (body, or cookies for a web session). Endpoints that
hash a password open their unit of work after the hash (``open_unit_of_work``), so no pooled
connection waits on argon2.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse, Response

from app.accounts import cookies, service
from app.accounts.auth import SubjectDep, optional_subject
from app.accounts.context import AccountsContext, AccountsDep
from app.accounts.errors import Unauthorized
from app.accounts.schemas import (
    AcceptedOut,
    LoginIn,
    LogoutIn,
    OutboxOut,
    RefreshIn,
    RegisterIn,
    ResetConfirmIn,
    ResetRequestIn,
    TokenOut,
    VerifyIn,
)
from app.accounts.sessions import SessionsChanged
from app.db import UnitOfWorkDep, open_unit_of_work
from app.errors import NotFound, problem_response
from app.kit.mail import messages_to
from app.kit.ratelimit import ip_subject
from app.kit.read_connection import ReadConnDep

router = APIRouter(prefix="/api/v1/auth", tags=["accounts"])
dev_router = APIRouter(prefix="/api/v1/dev", tags=["development"])

NO_STORE = {"Cache-Control": "no-store"}
_limited: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid body (problem+json naming the field)"},
    429: {"description": "Too many attempts (Retry-After)"},
    503: {"description": "Abuse limits unavailable: refused until they are back (Retry-After)"},
}
_unauthorized: dict[int | str, dict[str, Any]] = {401: {"description": "Not signed in (WWW-Authenticate: Bearer)"}}

REGISTERED = "If the address can be used, a mail is on its way to it: follow its link to confirm the address."
RESET_SENT = "If an account uses this address, a mail with a reset link is on its way to it."


@router.post("/register", status_code=202, response_model=AcceptedOut, responses=_limited, summary="Sign up")
async def register(request: Request, body: RegisterIn, ctx: AccountsDep) -> JSONResponse:
    """Create an account and mail a verification link. Answers the same for an address already
    registered (whose owner is mailed instead), so the answer tells nobody who has an account."""
    new = await service.prepare_registration(ctx, body.email, body.password, body.display_name, _client(request))
    async with open_unit_of_work(request) as work:
        await service.register(work, ctx, new)
    return JSONResponse({"detail": REGISTERED}, status_code=202, headers=NO_STORE)


@router.post("/login", response_model=TokenOut, responses={**_limited, **_unauthorized}, summary="Sign in")
async def login(request: Request, body: LoginIn, ctx: AccountsDep) -> Response:
    """Email and password → an access token and a refresh token (in the body, or with
    ``session_cookie`` in an HttpOnly cookie for the web front end, with a CSRF token)."""
    proof = await service.check_password(ctx, body.email, body.password, _client(request))
    async with open_unit_of_work(request) as work:
        pair = await service.sign_in(work.conn, ctx, proof, web=body.session_cookie)
    return token_response(pair, ctx)


@router.post("/refresh", response_model=TokenOut, responses={**_unauthorized, 403: {"description": "CSRF"}})
async def refresh(request: Request, work: UnitOfWorkDep, ctx: AccountsDep, body: RefreshIn | None = None) -> Response:
    """A new access token and a new refresh token for one that is live. The old refresh token stops
    working; presenting it again ends the whole session. Without ``refresh_token`` in the body, the
    ``hp_refresh`` cookie is used and the ``X-CSRF-Token`` header is required."""
    token, csrf = _refresh_credentials(request, ctx, body.refresh_token if body else None)
    outcome = await service.refresh(work.conn, ctx, token, csrf_token=csrf)
    if isinstance(outcome, service.RefreshReused):
        work.publish(SessionsChanged(outcome.account_id, outcome.session_id))
        # Answered, not raised: the revocation must commit.
        reused = Unauthorized("this refresh token was already used; sign in again", invalid_token=True)
        response = _problem(request, reused)
        cookies.clear_session_cookies(response, ctx.settings)
        return response
    return token_response(outcome, ctx)


@router.post("/logout", status_code=204, responses={**_unauthorized, 403: {"description": "CSRF"}})
async def logout(request: Request, work: UnitOfWorkDep, ctx: AccountsDep, body: LogoutIn | None = None) -> Response:
    """End one session at once: the refresh token's (body, or the cookie with its CSRF header), else
    the bearer token's. A refresh token is taken first, so an expired access token does not stand in
    the way of signing out."""
    if body is not None and body.refresh_token is not None:
        await service.logout_with_refresh_token(work, ctx, body.refresh_token)
    elif cookies.refresh_cookie(request) is not None:
        token, csrf = _refresh_credentials(request, ctx, None)
        await service.logout_with_refresh_token(work, ctx, token, csrf_token=csrf)
    elif (subject := await optional_subject(request)) is not None:
        await service.logout(work, ctx, subject.session_id)
    response = Response(status_code=204, headers=NO_STORE)
    cookies.clear_session_cookies(response, ctx.settings)
    return response


@router.post("/logout-all", status_code=204, responses=_unauthorized, summary="Sign out everywhere")
async def logout_all(work: UnitOfWorkDep, ctx: AccountsDep, subject: SubjectDep) -> Response:
    """End every session of the signed-in account at once (every device, every access token)."""
    await service.end_all_sessions(work, ctx, subject.account_id)
    response = Response(status_code=204, headers=NO_STORE)
    cookies.clear_session_cookies(response, ctx.settings)
    return response


@router.post("/verify", status_code=204, responses={400: {"description": "Invalid or expired link"}, **_limited})
async def verify(request: Request, body: VerifyIn, work: UnitOfWorkDep, ctx: AccountsDep) -> Response:
    """Confirm the email address with the token from the verification mail (once)."""
    await service.verify_email(work, ctx, body.token, _client(request))
    return Response(status_code=204, headers=NO_STORE)


@router.post("/verify/resend", status_code=202, response_model=AcceptedOut, responses={**_limited, **_unauthorized})
async def verify_resend(request: Request, work: UnitOfWorkDep, ctx: AccountsDep, subject: SubjectDep) -> JSONResponse:
    """Mail a new verification link to the signed-in account (earlier links stop working)."""
    await service.resend_verification(work, ctx, subject.account_id, _client(request))
    return JSONResponse({"detail": "If the address still needs confirming, a new link is on its way."}, 202)


@router.post("/password-reset", status_code=202, response_model=AcceptedOut, responses=_limited)
async def password_reset(request: Request, body: ResetRequestIn, work: UnitOfWorkDep, ctx: AccountsDep) -> JSONResponse:
    """Mail a reset link if the address has an account (the answer is the same either way)."""
    await service.request_password_reset(work, ctx, body.email, _client(request))
    return JSONResponse({"detail": RESET_SENT}, status_code=202, headers=NO_STORE)


@router.post(
    "/password-reset/confirm", status_code=204, responses={400: {"description": "Invalid or expired link"}, **_limited}
)
async def password_reset_confirm(request: Request, body: ResetConfirmIn, ctx: AccountsDep) -> Response:
    """Set a new password with the token from the reset mail; every session of the account ends."""
    new = await service.prepare_password_reset(ctx, body.token, body.password, _client(request))
    async with open_unit_of_work(request) as work:
        await service.confirm_password_reset(work, ctx, new)
    return Response(status_code=204, headers=NO_STORE)


@dev_router.get("/outbox", response_model=OutboxOut, summary="Mail held in the outbox (development only)")
async def dev_outbox(db: ReadConnDep, to: str = Query(min_length=3, max_length=254)) -> OutboxOut:
    """What the outbox holds for ``to``, newest first (at most 50): the way to click a link on ``make run``."""
    rows = await messages_to(await db.get(), to)
    if not rows:
        raise NotFound(f"no mail for {to}")
    items = [
        {**row, "created_at": row["created_at"].isoformat(), "sent_at": row["sent_at"] and row["sent_at"].isoformat()}
        for row in rows
    ]
    return OutboxOut.model_validate({"items": items})


def token_response(pair: service.TokenPair, ctx: AccountsContext) -> Response:
    """The sign-in answer: tokens in the body, or for a web session the refresh token in its cookie."""
    web = pair.csrf_token is not None
    body = TokenOut(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=None if web else pair.refresh_token,
        csrf_token=pair.csrf_token,
    )
    response = JSONResponse(body.model_dump(exclude_none=not web), headers={**NO_STORE, "Pragma": "no-cache"})
    if web:
        cookies.set_session_cookies(response, pair, ctx.settings)
    return response


def _refresh_credentials(request: Request, ctx: AccountsContext, from_body: str | None) -> tuple[str, str | None]:
    """The refresh token, and the checked CSRF token when it came from the cookie."""
    if from_body is not None:
        return from_body, None
    token = cookies.refresh_cookie(request)
    if token is None or len(token) > 128:
        raise Unauthorized("no refresh token: send refresh_token or the session cookie", invalid_token=True)
    return token, cookies.checked_csrf_token(request, ctx.web_origins)


def _problem(request: Request, error: Unauthorized) -> Response:
    return problem_response(error.status, error.slug, error.title, error.detail, request.url.path, error.headers)


def _client(request: Request) -> str:
    return ip_subject(request.client.host if request.client else None)

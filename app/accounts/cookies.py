"""The web front end's session cookies and the CSRF defence of the requests they authenticate.

The refresh token lives in ``hp_refresh``: HttpOnly (no script reads it), Secure, SameSite=Lax,
and scoped to ``/api/v1/auth`` (no other request carries it). The access token lives in the page's
memory and goes out as ``Authorization: Bearer``, which a browser never adds by itself, so only
the cookie-authenticated calls (refresh, logout) need a CSRF defence. Three locks:

- SameSite=Lax: a cross-site POST does not carry the cookie at all in current browsers;
- the ``Origin`` (or ``Sec-Fetch-Site``) header must name this service or an allowed origin;
- double submit bound to the session: ``X-CSRF-Token`` must equal the ``hp_csrf`` cookie (readable
  by the page, so a reload can recover it) and be the token issued with the session (its hash is
  stored with the session, so a cookie planted by a sibling domain does not pass).
"""

from __future__ import annotations

from collections.abc import Collection

from fastapi import Request
from starlette.responses import Response

from app.accounts.errors import CsrfRefused
from app.accounts.service import TokenPair
from app.accounts.tokens import same_secret
from config.settings import AuthSettings

REFRESH_COOKIE = "hp_refresh"
REFRESH_PATH = "/api/v1/auth"
CSRF_COOKIE = "hp_csrf"
CSRF_HEADER = "x-csrf-token"


def set_session_cookies(response: Response, pair: TokenPair, settings: AuthSettings) -> None:
    """Put a web session's refresh token and CSRF token into their cookies."""
    assert pair.csrf_token is not None, "a web session has a CSRF token"
    response.set_cookie(
        REFRESH_COOKIE,
        pair.refresh_token,
        max_age=pair.refresh_expires_in,
        path=REFRESH_PATH,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )
    response.set_cookie(
        CSRF_COOKIE,
        pair.csrf_token,
        max_age=pair.refresh_expires_in,
        path="/",
        secure=settings.cookie_secure,
        httponly=False,
        samesite="lax",
    )


def clear_session_cookies(response: Response, settings: AuthSettings) -> None:
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_PATH, secure=settings.cookie_secure, httponly=True)
    response.delete_cookie(CSRF_COOKIE, path="/", secure=settings.cookie_secure)


def refresh_cookie(request: Request) -> str | None:
    return request.cookies.get(REFRESH_COOKIE)


def checked_csrf_token(request: Request, web_origins: Collection[str]) -> str:
    """The CSRF token of a cookie-authenticated request that passed the origin and double-submit checks."""
    _check_origin(request, web_origins)
    header = request.headers.get(CSRF_HEADER)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not header or not cookie or len(header) > 128 or not same_secret(header, cookie):
        raise CsrfRefused(f"send the {CSRF_COOKIE} cookie's value in the X-CSRF-Token header")
    return header


def _check_origin(request: Request, web_origins: Collection[str]) -> None:
    origin = request.headers.get("origin")
    if origin is not None:
        own = f"{request.url.scheme}://{request.url.netloc}"
        if origin != own and origin not in web_origins:
            raise CsrfRefused(f"requests from {origin} may not use the session cookie")
        return
    # No Origin (some same-origin requests): browsers that send Fetch metadata say where it came from.
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in {"same-origin", "none"}:
        raise CsrfRefused("cross-site requests may not use the session cookie")

"""Privacy controls: ``GET /api/v1/me/export`` (everything held, as JSON) and ``DELETE /api/v1/me`` (erase)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.auth import SubjectDep
from app.accounts.context import AccountsDep
from app.db import UnitOfWorkDep
from app.kit.media import MediaDep
from app.kit.read_connection import ReadConnDep
from app.privacy import service
from app.privacy.auth import RecentlyAuthenticatedDep
from app.privacy.registry import PersonalData
from app.redis import RedisDep

router = APIRouter(prefix="/api/v1/me", tags=["privacy"])

_export_responses: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {"schema": {"type": "object"}}}, "description": "Everything held"},
    401: {"description": "Not signed in, or the session has ended"},
}
_erase_responses: dict[int | str, dict[str, Any]] = {
    204: {"description": "Erased: every session has ended"},
    401: {"description": "Not signed in, or the session has ended"},
    403: {"description": "Wrong or missing password, or the sign-in is too old (social accounts)"},
    409: {"description": "Cannot be erased yet (the detail says why)"},
    422: {"description": "Unknown field in the body"},
    429: {"description": "Too many password attempts"},
    503: {"description": "A store could not be reached; nothing was erased"},
}


def get_registry(request: Request) -> PersonalData:
    registry: PersonalData = request.app.state.personal_data
    return registry


@router.get("/export", responses=_export_responses, summary="Everything held about the signed-in person")
async def export_me(
    request: Request, subject: SubjectDep, db: ReadConnDep, accounts: AccountsDep
) -> Response:
    """The account, profile (with the avatar's bytes), saved events, follows, sessions (without any
    token or hash), mails and every other record a domain holds about the person, as one JSON file."""
    conn = await db.get()
    person = await service.person_of(conn, subject.account_id)
    body = await service.export(conn, get_registry(request), person, accounts.clock())
    return Response(
        orjson.dumps(body),
        media_type="application/json",
        headers={"Cache-Control": "no-store", "Content-Disposition": 'attachment; filename="happenings-export.json"'},
    )


@router.delete("", status_code=204, responses=_erase_responses, summary="Erase the account and its personal data")
async def erase_me(
    request: Request,
    # Before the unit of work: the password is checked without holding a pooled connection.
    person: RecentlyAuthenticatedDep,
    work: UnitOfWorkDep,
    redis: RedisDep,
    media: MediaDep,
) -> Response:
    """Rows, Redis keys, media files and tokens go; every session ends at once (its access tokens
    answer 401 from then on). Payment records the law makes us keep stay under a pseudonym. Accounts
    with a password send it in the body (``{"password": ...}``); social-only accounts sign in again first."""
    prefix: str = request.app.state.settings.redis.key_prefix
    await service.erase(work, get_registry(request), person, redis=redis, key_prefix=prefix, media=media)
    return Response(status_code=204)

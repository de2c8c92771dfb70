"""``POST /api/v1/organizers/{id}/imports`` (a file upload or ``{url, subscribe}``) → 202 with a job;
``GET /api/v1/imports/{id}``: its status, progress counts and report. HTTP only."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from app.accounts.auth import VerifiedSubjectDep
from app.db import UnitOfWorkDep
from app.errors import InvalidParameter, problem_responses
from app.imports import repository, service
from app.imports.errors import CalendarTooLarge, ImportNotFound, InvalidImport, UnsupportedBody
from app.imports.schemas import ImportJob, ImportParams, UrlImport, known_zone
from app.kit.query_params import openapi, query_model
from app.kit.read_connection import ReadConnDep
from app.organizers.auth import EditorAccess, authorize
from app.organizers.roles import Role
from config.settings import ImportSettings

router = APIRouter(prefix="/api/v1", tags=["imports"])
ImportQuery = Annotated[ImportParams, Depends(query_model(ImportParams))]
_FORM = {"type": "object", "required": ["file"], "additionalProperties": False, "properties": {
    "file": {"type": "string", "format": "binary"}, "timezone": {"type": "string"},
    "publish": {"type": "boolean"},
}}  # fmt: skip


@router.post(
    "/organizers/{organizer_id}/imports",
    status_code=202,
    response_model=ImportJob,
    summary="Import a calendar file, or a calendar URL (optionally subscribed); runs as a job",
    responses=problem_responses({
        400: "Malformed multipart body, or no file field named file",
        401: "Not signed in", 403: "Not an editor or owner of the organizer (or unverified)",
        404: "No such organizer, or not yours", 413: "Larger than the size limit",
        415: "Neither multipart/form-data nor application/json",
        422: "A file that cannot be read as a calendar, a URL that is not http(s) or names a private address, "
             "or an invalid field (nothing is written)",
    }),
    openapi_extra={"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": _FORM},
        "application/json": {"schema": {"$ref": "#/components/schemas/UrlImport"}},
    }}},
)  # fmt: skip
async def submit_import(request: Request, access: EditorAccess, work: UnitOfWorkDep) -> dict[str, Any]:
    settings: ImportSettings = request.app.state.settings.imports
    now = request.app.state.accounts.clock()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            data = UrlImport.model_validate_json(await request.body())
        except ValidationError as exc:
            raise _invalid(exc) from None
        service.check_url(data.url)
        job_id = await service.submit(
            work.conn, access.organizer_id, body=None, url=data.url, subscribe=data.subscribe,
            timezone=data.timezone, publish=data.publish, now=now,
        )  # fmt: skip
    elif kind == "multipart/form-data":
        body, timezone, publish = await _upload(request, settings)
        await service.read_file(body, settings)  # 422 now when the file cannot be read at all
        job_id = await service.submit(
            work.conn, access.organizer_id, body=body, url=None, subscribe=False, timezone=timezone,
            publish=publish, now=now,
        )  # fmt: skip
    else:
        raise _unsupported()
    job = await repository.job(work.conn, job_id)
    assert job is not None
    return _answer(job, 0, 0)


@router.get(
    "/imports/{import_id}",
    response_model=ImportJob,
    summary="An import's status, progress counts and report (paged by offset)",
    responses=problem_responses({
        400: "A parameter given twice or not UTF-8 (names it)",
        401: "Not signed in", 403: "Unverified", 404: "No such import, or not one of your organizers'",
        422: "Not an import id, or an invalid parameter",
    }),
    openapi_extra=openapi(ImportParams),
)  # fmt: skip
async def get_import(
    import_id: UUID, params: ImportQuery, subject: VerifiedSubjectDep, db: ReadConnDep, response: Response
) -> dict[str, Any]:
    conn = await db.get()
    job = await repository.job(conn, import_id)
    if job is None:
        raise ImportNotFound(f"import {import_id} not found")
    await authorize(conn, subject, job["organizer_id"], Role.CHECKER,
                    not_found=ImportNotFound(f"import {import_id} not found"))  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return _answer(job, params.offset, params.limit)


def _answer(job: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    report = job["report"]
    page = report[offset : offset + limit]
    counts = ("total", "processed", "created", "updated", "unchanged", "skipped", "cancelled")
    return {
        "id": job["id"], "organizer_id": job["organizer_id"], "source": job["kind"], "url": job["url"],
        "subscribe": job["subscribe"], "status": job["status"], "error": job["error"],
        "progress": {name: job[name] for name in counts}, "report": page,
        "report_next_offset": offset + limit if offset + limit < len(report) else None,
        "created_at": job["created_at"], "started_at": job["started_at"], "finished_at": job["finished_at"],
    }  # fmt: skip


async def _upload(request: Request, settings: ImportSettings) -> tuple[bytes, str | None, bool]:
    """The file field (cut at the size limit while reading) and the form's timezone and publish."""
    declared = request.headers.get("content-length")
    limit = settings.max_bytes + 64 * 1024
    if declared and declared.isdigit() and int(declared) > limit:
        raise CalendarTooLarge(f"a calendar file is at most {settings.max_bytes} bytes", param="file")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise CalendarTooLarge(f"a calendar file is at most {settings.max_bytes} bytes", param="file")

    async def chunks() -> Any:
        yield bytes(raw)

    try:
        form = await MultiPartParser(request.headers, chunks(), max_files=1, max_fields=5).parse()
    except MultiPartException as exc:
        raise InvalidParameter(f"the multipart body could not be read: {exc.message}", param="file") from exc
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidParameter("the body has no file field named file", param="file")
        unknown = set(form.keys()) - {"file", "timezone", "publish"}
        if unknown:
            raise InvalidParameter(f"unknown form fields: {', '.join(sorted(unknown))}", param=sorted(unknown)[0])
        timezone = form.get("timezone")
        publish = form.get("publish")
        try:
            zone = known_zone(timezone if isinstance(timezone, str) and timezone else None)
        except ValueError as exc:
            raise InvalidParameter(str(exc), param="timezone") from None
        if publish not in (None, "true", "false", "1", "0"):
            raise InvalidParameter("publish is true or false", param="publish")
        return await upload.read(), zone, publish in ("true", "1")
    finally:
        await form.close()


def _invalid(exc: ValidationError) -> InvalidImport:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return InvalidImport(f"{where}: {first['msg']}", param=where)


def _unsupported() -> UnsupportedBody:
    return UnsupportedBody("send multipart/form-data (field file) or application/json ({url, subscribe})")

"""One typed error hierarchy, rendered as RFC 9457 problem+json from a single table.

Raise a subclass of ``ProblemError`` anywhere below the endpoints; ``install_error_handlers``
turns it (and FastAPI's own validation errors) into ``application/problem+json``.
Unknown exceptions become a bare 500 without internals leaking to the client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("happenings.errors")


class ProblemError(Exception):
    """Base of every error a client may see. Subclasses fix the status and the type slug."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal server error"

    def __init__(
        self, detail: str, *, param: str | None = None, headers: Mapping[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.param = param
        # HTTP headers the answer needs (WWW-Authenticate on a 401, Retry-After on a 429 or 503, Allow on a 405).
        self.headers = dict(headers or {})
        self.extra = extra


class InvalidParameter(ProblemError):
    status, slug, title = 400, "invalid-parameter", "Invalid parameter"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class ServiceUnavailable(ProblemError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


class Problem(BaseModel):
    """RFC 9457 problem details: the body of every error answer, as the OpenAPI document states it."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    param: str | None = None  # the request parameter at fault, when there is one
    errors: list[dict[str, str | None]] | None = None  # every invalid parameter (422)


PROBLEM_SCHEMA = Problem.model_json_schema()


def problem_responses(descriptions: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error answers: problem+json, with what each status means here."""
    content = {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}
    return {status: {"description": description, "content": content} for status, description in descriptions.items()}


class ConfigurationError(Exception):
    """The service cannot start; the message says what is wrong and what to do."""


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://happenings.dev/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def render_problem(exc: ProblemError, instance: str) -> JSONResponse:
    """The problem+json answer to ``exc``: the one rendering of every ``ProblemError``, routed or not."""
    return problem_response(
        exc.status, exc.slug, exc.title, exc.detail, instance, exc.headers, param=exc.param, **exc.extra
    )


def _validation_detail(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body", "header")]
        errors.append({"param": ".".join(loc) or None, "message": err.get("msg", "invalid")})
    first = errors[0] if errors else {"param": None, "message": "invalid request"}
    detail = f"{first['param']}: {first['message']}" if first["param"] else str(first["message"])
    return detail, errors


def install_error_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return render_problem(exc, request.url.path)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        detail, errors = _validation_detail(exc)
        param = errors[0]["param"] if errors else None
        return problem_response(
            422, "validation-error", "Invalid request", detail, request.url.path, param=param, errors=errors
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        slug = "not-found" if exc.status_code == 404 else f"http-{exc.status_code}"
        return problem_response(exc.status_code, slug, str(exc.detail), str(exc.detail), request.url.path, exc.headers)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(500, "internal-error", "Internal server error", "unexpected error", request.url.path)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


def document_problems(app: FastAPI) -> None:
    """State in ``app``'s OpenAPI document what ``install_error_handlers`` does for every route: each
    error answer is problem+json (also FastAPI's own 422), and a body that cannot be read as JSON is
    a 400."""
    build = app.openapi

    def with_problems() -> dict[str, Any]:
        if app.openapi_schema is None:
            for item in build().get("paths", {}).values():
                for operation in item.values():
                    _problems_in(operation)
        return app.openapi_schema or {}

    app.openapi = with_problems  # type: ignore[method-assign]


def _problems_in(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if "requestBody" in operation:
        responses.setdefault("400", {"description": "The body cannot be read (not JSON, or not UTF-8)"})
    for status, response in responses.items():
        if str(status)[:1] in {"4", "5"}:
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}

"""Liveness (/healthz) and readiness (/readyz) for load balancers and `make run`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.db import get_breaker, get_pool
from app.health.auth import metrics_reader
from app.kit.database_breaker import unavailable_cause
from app.redis import get_redis

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Database, Redis and schema are ready", responses={503: {}})
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, Any] = {}
    breaker = get_breaker(request)
    try:
        breaker.ensure_up()  # while the database is away: not ready, at once
        async with get_pool(request).connection() as conn:
            cur = await conn.execute("SELECT version_num FROM alembic_version")
            current = {row["version_num"] for row in await cur.fetchall()}
        expected: set[str] = request.app.state.expected_heads
        checks["database"] = "ok"
        checks["migrations"] = "ok" if current == expected else f"at {sorted(current)}, expected {sorted(expected)}"
    except Exception as exc:  # any failure here means "not ready", with the reason shown
        if unavailable_cause(exc):
            breaker.notice(exc)
        checks["database"] = f"unreachable: {type(exc).__name__}"
        checks.setdefault("migrations", "unknown")
    try:
        await get_redis(request).ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"unreachable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False, dependencies=[Depends(metrics_reader)])
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)

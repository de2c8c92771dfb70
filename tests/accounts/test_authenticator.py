"""The dependencies other domains use: anonymous, signed in, verified, admin."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from app.accounts.auth import AdminSubjectDep, OptionalSubjectDep, Subject, SubjectDep, VerifiedSubjectDep
from tests.accounts.helpers import bearer, make_admin, sign_up

probe = APIRouter(prefix="/probe")


def _said(subject: Subject | None) -> dict[str, object]:
    if subject is None:
        return {"who": None}
    return {"who": str(subject.account_id), "role": subject.role, "verified": subject.email_verified}


@probe.get("/optional")
async def optional(subject: OptionalSubjectDep) -> dict[str, object]:
    return _said(subject)


@probe.get("/signed-in")
async def signed_in(subject: SubjectDep) -> dict[str, object]:
    return _said(subject)


@probe.get("/verified")
async def verified(subject: VerifiedSubjectDep) -> dict[str, object]:
    return _said(subject)


@probe.get("/admin")
async def admin(subject: AdminSubjectDep) -> dict[str, object]:
    return _said(subject)


@pytest.fixture(autouse=True)
def _probe_routes(app: FastAPI) -> None:
    app.include_router(probe)


async def _status(client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None) -> int:
    return (await client.get(f"/probe/{path}", headers=headers or {})).status_code


async def test_the_matrix(client: httpx.AsyncClient) -> None:
    unverified = await sign_up(client, "mo@example.com", verified=False)
    user = await sign_up(client, "nia@example.com")
    boss = await sign_up(client, "oz@example.com")
    await make_admin(client, boss)
    table = {
        # who: optional, signed-in, verified, admin
        "anonymous": ((None), (200, 401, 401, 401)),
        "unverified": (bearer(unverified), (200, 200, 403, 403)),
        "user": (bearer(user), (200, 200, 200, 403)),
        "admin": (bearer(boss), (200, 200, 200, 200)),
        "bad token": ({"Authorization": "Bearer nonsense"}, (401, 401, 401, 401)),
    }
    for who, (headers, expected) in table.items():
        got = tuple([await _status(client, path, headers) for path in ("optional", "signed-in", "verified", "admin")])
        assert got == expected, who


async def test_unverified_is_told_why(client: httpx.AsyncClient) -> None:
    pat = await sign_up(client, "pat@example.com", verified=False)
    response = await client.get("/probe/verified", headers=bearer(pat))
    assert response.status_code == 403
    assert response.json()["type"].endswith("/email-not-verified")


async def test_subject_is_current(client: httpx.AsyncClient) -> None:
    """Role changes reach tokens already issued (no need to sign in again)."""
    rio = await sign_up(client, "rio@example.com")
    assert (await client.get("/probe/admin", headers=bearer(rio))).status_code == 403
    await make_admin(client, rio)
    response = await client.get("/probe/admin", headers=bearer(rio))
    assert response.status_code == 200
    assert response.json() == {"who": str(rio.account_id), "role": "admin", "verified": True}


async def test_openapi_lists_the_endpoints_and_the_scheme(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    for path in (
        "/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout",
        "/api/v1/auth/logout-all", "/api/v1/auth/verify", "/api/v1/auth/password-reset",
        "/api/v1/auth/password-reset/confirm", "/api/v1/me",
    ):  # fmt: skip
        assert path in document["paths"], path
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["paths"]["/api/v1/me"]["get"]["security"] == [{"bearer": []}]
    login_schema = document["components"]["schemas"]["LoginIn"]
    assert login_schema.get("additionalProperties") is False

"""GET and PATCH /api/v1/me: what a person may set, what is refused, and the consent rules for home."""

from __future__ import annotations

from typing import Any

import h3
import httpx
import pytest
from fastapi import FastAPI

from tests.accounts.helpers import EPOCH, SignedIn, bearer, sign_up

ME = "/api/v1/me"
EIFFEL = {"lat": 48.85837, "lon": 2.294481}


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> SignedIn:
    return await sign_up(client, "alice@example.com", display_name="Alice")


async def _profile_row(app: FastAPI, alice: SignedIn) -> dict[str, Any] | None:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT p.*, ST_AsText(home_geom) AS home_wkt, a.display_name FROM accounts a "
            "LEFT JOIN profiles p ON p.account_id = a.id WHERE a.id = %s",
            (alice.account_id,),
        )
        row: dict[str, Any] | None = await cur.fetchone()
    return row


async def test_me_without_a_profile_has_defaults(client: httpx.AsyncClient, alice: SignedIn) -> None:
    response = await client.get(ME, headers=bearer(alice))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body == {
        "id": str(alice.account_id),
        "email": "alice@example.com",
        "email_verified": True,
        "role": "user",
        "display_name": "Alice",
        "avatar_url": None,
        "locale": None,
        "time_zone": None,
        "units": "metric",
        "interests": [],
        "home": None,
    }


async def test_me_needs_a_signed_in_person(client: httpx.AsyncClient) -> None:
    for method in ("GET", "PATCH"):
        response = await client.request(method, ME, json={})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


async def test_patch_sets_and_clears_fields(client: httpx.AsyncClient, alice: SignedIn) -> None:
    patch = {
        "display_name": "  Alice   Quokka ",
        "locale": "fr-ca",
        "time_zone": "America/Montreal",
        "units": "imperial",
        "interests": ["music", "food", "music"],
    }
    response = await client.patch(ME, json=patch, headers=bearer(alice))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["display_name"] == "Alice Quokka"  # inner runs of spaces collapse
    assert body["locale"] == "fr-CA"  # canonical case
    assert body["time_zone"] == "America/Montreal"
    assert body["units"] == "imperial"
    assert body["interests"] == ["food", "music"]

    # Fields left out stay; null clears.
    response = await client.patch(ME, json={"locale": None, "interests": []}, headers=bearer(alice))
    body = response.json()
    assert body["locale"] is None and body["interests"] == []
    assert body["time_zone"] == "America/Montreal" and body["units"] == "imperial"
    assert (await client.get(ME, headers=bearer(alice))).json() == body


# (body, the field the problem names)
INVALID: list[tuple[dict[str, Any], str]] = [
    ({"display_name": ""}, "display_name"),
    ({"display_name": "   "}, "display_name"),
    ({"display_name": "x" * 101}, "display_name"),
    ({"display_name": "bad\u0000name"}, "display_name"),
    ({"display_name": "right\u202eto-left"}, "display_name"),
    ({"locale": "english"}, "locale"),
    ({"locale": "en_US"}, "locale"),
    ({"locale": "zz-ZZ"}, "locale"),
    ({"locale": "en-"}, "locale"),
    ({"locale": "x" * 36}, "locale"),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
    ({"time_zone": "../../etc/passwd"}, "time_zone"),
    ({"time_zone": "europe/paris"}, "time_zone"),
    ({"units": "furlongs"}, "units"),
    ({"units": None}, "units"),
    ({"interests": "music"}, "interests"),
    ({"interests": ["Not A Slug"]}, "interests.0"),
    ({"interests": ["music"] * 33}, "interests"),
    # extra fields: nothing a person may not set is accepted, not even silently ignored
    ({"role": "admin"}, "role"),
    ({"email": "mallory@example.com"}, "email"),
    ({"is_admin": True}, "is_admin"),
    ({"organizer_id": "2b0e7d1c-2d5a-4c43-a9c5-0a7b1f5e6d11"}, "organizer_id"),
    ({"email_verified": True}, "email_verified"),
    ({"display_name": "Eve", "role": "admin"}, "role"),
    ({"home": {**EIFFEL, "consent": True, "precision": "exact", "share": True}}, "home.share"),
]


@pytest.mark.parametrize(("body", "param"), INVALID, ids=[str(i) for i in range(len(INVALID))])
async def test_invalid_patch_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, app: FastAPI, alice: SignedIn, body: dict[str, Any], param: str
) -> None:
    before = await _profile_row(app, alice)
    response = await client.patch(ME, json=body, headers=bearer(alice))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["param"] == param
    assert await _profile_row(app, alice) == before
    me = (await client.get(ME, headers=bearer(alice))).json()
    assert me["role"] == "user" and me["email"] == "alice@example.com" and me["display_name"] == "Alice"


async def test_unknown_category_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, app: FastAPI, alice: SignedIn
) -> None:
    body = {"interests": ["music", "astrology"], "units": "imperial"}
    response = await client.patch(ME, json=body, headers=bearer(alice))
    assert response.status_code == 400
    assert response.json()["param"] == "interests"
    assert "astrology" in response.json()["detail"]
    row = await _profile_row(app, alice)
    assert row is not None and row["units"] is None  # no profile row was made


# ---------------------------------------------------------------- home location and consent


@pytest.mark.parametrize(
    "home",
    [
        {**EIFFEL},  # no consent
        {**EIFFEL, "consent": False},
        {**EIFFEL, "consent": "yes"},
        {**EIFFEL, "consent": 1},
        {**EIFFEL, "consent": "true"},
        {"consent": True, "lat": 91, "lon": 0},
        {"consent": True, "lat": 48, "lon": "NaN"},
        {**EIFFEL, "consent": True, "radius_m": 5},
        {**EIFFEL, "consent": True, "precision": "street"},
    ],
)
async def test_home_without_explicit_consent_or_valid_point_is_refused(
    client: httpx.AsyncClient, app: FastAPI, alice: SignedIn, home: dict[str, Any]
) -> None:
    response = await client.patch(ME, json={"home": home}, headers=bearer(alice))
    assert response.status_code == 422, response.text
    assert response.json()["param"].startswith("home")
    row = await _profile_row(app, alice)
    assert row is not None and row["home_wkt"] is None and row["home_cell"] is None


async def test_home_is_coarsened_to_a_cell_by_default_and_the_point_is_not_stored(
    client: httpx.AsyncClient, app: FastAPI, alice: SignedIn
) -> None:
    response = await client.patch(
        ME, json={"home": {**EIFFEL, "consent": True, "radius_m": 5000}}, headers=bearer(alice)
    )
    assert response.status_code == 200, response.text
    home = response.json()["home"]
    cell = h3.latlng_to_cell(EIFFEL["lat"], EIFFEL["lon"], 7)
    assert home["precision"] == "area" and home["cell"] == cell and home["radius_m"] == 5000
    assert (home["lat"], home["lon"]) == pytest.approx(h3.cell_to_latlng(cell))
    assert home["consented_at"] == EPOCH.isoformat().replace("+00:00", "Z")  # the service's (pinned) clock
    row = await _profile_row(app, alice)
    assert row is not None
    assert row["home_wkt"] is None and row["home_cell"] == h3.str_to_int(cell)
    # The exact coordinates are nowhere in the row (not even in text form).
    assert "2.294481" not in str(row) and "48.85837" not in str(row)


async def test_exact_home_then_withdrawn_consent_forgets_place_and_radius(
    client: httpx.AsyncClient, app: FastAPI, alice: SignedIn
) -> None:
    body = {"home": {**EIFFEL, "consent": True, "precision": "exact", "radius_m": 2500}}
    home = (await client.patch(ME, json=body, headers=bearer(alice))).json()["home"]
    assert home["precision"] == "exact" and home["cell"] is None
    assert (home["lat"], home["lon"]) == pytest.approx((EIFFEL["lat"], EIFFEL["lon"]))

    response = await client.patch(ME, json={"home": None}, headers=bearer(alice))
    assert response.json()["home"] is None
    row = await _profile_row(app, alice)
    assert row is not None
    assert (row["home_wkt"], row["home_cell"], row["home_radius_m"], row["home_consent_at"]) == (None, None, None, None)


async def test_radius_beyond_the_limit_is_refused(client: httpx.AsyncClient, alice: SignedIn) -> None:
    body = {"home": {**EIFFEL, "consent": True, "radius_m": 200_001}}
    response = await client.patch(ME, json=body, headers=bearer(alice))
    assert response.status_code == 400
    assert response.json()["param"] == "home.radius_m"


async def test_the_database_refuses_a_home_without_consent(app: FastAPI, alice: SignedIn) -> None:
    """The rule holds below the API too: a constraint, whatever code writes the row."""
    import psycopg

    async with app.state.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO profiles (account_id, media_token) VALUES (%s, 'tttttttttttttttttttttt')", (alice.account_id,)
        )
        for assignment in (
            "home_geom = ST_SetSRID(ST_MakePoint(2.29, 48.85), 4326)",
            "home_cell = 1",
            "home_radius_m = 1000",
            "home_consent_at = now()",  # consent without a place
            "home_consent_at = now(), home_cell = 1, home_geom = ST_SetSRID(ST_MakePoint(2.29, 48.85), 4326)",
        ):
            with pytest.raises(psycopg.errors.CheckViolation):
                async with conn.transaction():
                    await conn.execute(f"UPDATE profiles SET {assignment} WHERE account_id = %s", (alice.account_id,))

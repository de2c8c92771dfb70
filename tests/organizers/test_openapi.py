"""The organizers API is in the OpenAPI document, its inputs closed to unknown fields."""

from __future__ import annotations

import pytest

from app.main import create_app
from tests.conftest import make_settings


@pytest.fixture
def clock() -> None:
    """No app runs here, so no clock to pin (overrides the package's autouse fixture)."""


def test_the_organizer_endpoints_are_documented() -> None:
    document = create_app(make_settings("postgresql://unused@127.0.0.1/unused", "unused:")).openapi()
    paths = document["paths"]
    assert set(paths["/api/v1/organizers"]) == {"get", "post"}
    assert set(paths["/api/v1/organizers/{organizer_id}/members/{account_id}"]) == {"patch", "delete"}
    assert "post" in paths["/api/v1/invitations/{token}/accept"]
    assert "404" in paths["/api/v1/organizers/{organizer_id}/members"]["get"]["responses"]
    assert "409" in paths["/api/v1/organizers/{organizer_id}/members/{account_id}"]["delete"]["responses"]
    schemas = document["components"]["schemas"]
    for name in ("OrganizerCreate", "InvitationCreate", "RoleChange", "InvitationAccept"):
        assert schemas[name]["additionalProperties"] is False, name
    assert schemas["RoleChange"]["properties"]["role"]["$ref"].endswith("/Role")
    assert schemas["Role"]["enum"] == ["owner", "editor", "checker"]

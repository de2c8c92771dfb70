"""Social sign-in tests: the service and an in-process OpenID Connect provider, one clock for both."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import httpx2
import pytest
from fastapi import FastAPI

from app.main import create_app
from config.settings import OidcProviderSettings, OidcSettings, Settings
from tests.accounts.helpers import FrozenClock, with_cheap_auth
from tests.accounts.oidc.provider import CLIENT_ID, CLIENT_SECRET, ISSUER, TestProvider
from tests.conftest import make_settings

SERVICE = "https://test"
APP_REDIRECT = "happenings://signed-in"


@pytest.fixture
def idp() -> TestProvider:
    return TestProvider(clock=FrozenClock(), redirect_uris=[f"{SERVICE}/api/v1/auth/oidc/idp/callback"])


@pytest.fixture
def settings(clean_db: str, redis_prefix: str) -> Settings:
    oidc = OidcSettings(
        providers={
            name: OidcProviderSettings(
                issuer=ISSUER, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, display_name=label
            )
            for name, label in (("idp", "Test ID"), ("second", None))
        },
        public_url=SERVICE,
        app_redirect_uris=[APP_REDIRECT],
    )
    return with_cheap_auth(make_settings(clean_db, redis_prefix, oidc=oidc))


@pytest.fixture
async def app(settings: Settings, idp: TestProvider) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    application.state.oidc_transport = httpx2.ASGITransport(app=idp)
    async with application.router.lifespan_context(application):
        await application.state.pool.wait()
        yield application


@pytest.fixture(autouse=True)
def clock(app: FastAPI, idp: TestProvider) -> FrozenClock:
    """The service and the provider read one pinned clock."""
    assert isinstance(idp.clock, FrozenClock)
    app.state.accounts.clock = idp.clock
    return idp.clock


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the service's https origin (Secure cookies are sent only there)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SERVICE) as client:
        yield client


@pytest.fixture
async def provider_browser(idp: TestProvider) -> AsyncIterator[httpx2.AsyncClient]:
    """The same person's browser on the provider's pages."""
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=idp), base_url=ISSUER) as client:
        yield client

"""Fixtures for the real-browser tests: one seeded database, one server and one Chromium per session.

Every test gets a fresh browser context (its own cookies, permissions, geolocation and viewport).
The seeded data is made around ``ANCHOR`` and every context's clock is fixed there (Playwright's
clock), so no test depends on the hour or the weekday it runs at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.migrations_state import upgrade
from tests.e2e import calendar_cases, harness
from tests.fixtures.database import create_database, drop_database, unique_name
from tests.fixtures.localstripe import LocalStripe

E2E_EVENTS = 5000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ANCHOR = harness.ANCHOR


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def e2e_database() -> Iterator[str]:
    name = unique_name("happenings_e2e")
    url = create_database(name)
    try:
        upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
        harness.seed(url, E2E_EVENTS, ANCHOR)
        harness.add_events(url, calendar_cases.edge_events())
        yield url
    finally:
        drop_database(name)


@pytest.fixture(scope="session")
def frontend_dist() -> Path:
    return harness.build_frontend()


@pytest.fixture(scope="session")
def server(e2e_database: str, frontend_dist: Path, localstripe: LocalStripe) -> Iterator[harness.Server]:
    # Payments as on `make run` without Stripe keys: localstripe, whose webhooks reach this server.
    with harness.run_server(e2e_database, frontend_dist, **localstripe.env()) as running:
        webhook = f"{running.base_url}/api/v1/payments/stripe/webhook"
        localstripe.register_webhook(f"e2e-{running.base_url.rsplit(':', 1)[1]}", webhook)
        yield running


@pytest.fixture(scope="module")
def worker(e2e_database: str, server: harness.Server) -> Iterator[harness.Worker]:
    """The job worker beside the server, for the tests of one module (others see no background jobs)."""
    with harness.run_worker(e2e_database, server) as running:
        yield running


@pytest.fixture(scope="session")
def base_url(server: harness.Server) -> str:
    return server.base_url


@pytest.fixture(scope="session")
def hotspot(e2e_database: str) -> tuple[float, float]:
    """(lat, lon) where the seeded data is densest."""
    return harness.densest_place(e2e_database, ANCHOR)


@pytest.fixture(scope="session")
def browser(server: harness.Server) -> Iterator[Any]:
    # Depends on the server so that it closes first: no open connections keep the server waiting.
    if not Path(harness.CHROMIUM).exists():
        pytest.skip(f"Debian's chromium is not installed at {harness.CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=harness.CHROMIUM, args=harness.CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def _context(browser: Any, base_url: str, **options: Any) -> Any:
    return harness.browser_context(browser, base_url, **options)


@pytest.fixture
def desktop(browser: Any, base_url: str) -> Iterator[Any]:
    context = _context(browser, base_url, viewport=DESKTOP)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser: Any, base_url: str) -> Iterator[Any]:
    context = _context(browser, base_url, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_context(browser: Any, base_url: str) -> Iterator[Any]:
    """A factory for contexts with extra options (geolocation, permissions, ``now``, ``timezone_id``);
    all closed afterwards."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", DESKTOP)
        context = _context(browser, base_url, **options)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    harness.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return harness.SCREENSHOTS

"""The Content-Security-Policy (app.kit.http_policy) breaks nothing: the map and the API docs, in Chromium.

The page records every ``securitypolicyviolation`` event from its first script on, and the test
also listens to the console: one violation, or one error, fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.pages import map_url, open_map, rendered, wait_map_idle
from tests.e2e.test_map import clickable

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched(new_context: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page whose console errors and CSP violations are collected."""
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, errors


def _violations(page: Any) -> list[str]:
    return list(page.evaluate("() => window.__violations"))


def test_the_map_works_under_the_policy(watched: tuple[Any, list[str]], hotspot: tuple[float, float]) -> None:
    page, errors = watched
    lat, lon = hotspot
    response = page.goto(map_url(lat, lon, 7))
    assert response is not None
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    wait_map_idle(page)
    assert rendered(page, "events-clusters"), "no clusters drawn"
    cluster = max(clickable(page, rendered(page, "events-clusters")), key=lambda c: int(c["count"]))
    page.mouse.click(cluster["x"], cluster["y"])
    wait_map_idle(page)

    open_map(page, map_url(lat, lon, 13))
    point = clickable(page, rendered(page, "events-points"))[0]
    page.mouse.move(point["x"], point["y"])
    page.locator(".event-popup").wait_for()
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("() => !document.querySelector('#detail').hasAttribute('aria-busy')")
    with page.expect_download():
        page.get_by_role("button", name="Add to calendar").click()  # a blob: download
    page.locator("#view-calendar").click()
    page.locator("#calendar").wait_for()
    assert _violations(page) == []
    assert errors == []


def test_the_api_docs_work_offline_under_the_policy(watched: tuple[Any, list[str]], base_url: str) -> None:
    page, errors = watched
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base_url) else elsewhere.append(r.url))
    page.goto("/docs")
    page.locator(".opblock-summary-path").first.wait_for()  # Swagger UI drew the operations
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/events" in path for path in paths), paths
    page.locator(".opblock-summary").first.click()  # open one: schemas, examples, highlighting
    page.locator(".opblock-body").first.wait_for()
    assert elsewhere == []  # nothing from a CDN
    assert _violations(page) == []
    assert errors == []

"""The list is the accessible alternative to the map: axe finds no WCAG 2.1 AA violations, and
filters, list and detail work from the keyboard with a visible focus."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import FRONTEND
from tests.e2e.pages import map_url, open_map

AXE = FRONTEND / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def violations(page: Any) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: an injected <script> would be refused by the page's CSP.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("(options) => axe.run(document, options)", WCAG_AA)
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"]]


def test_no_wcag_aa_violations_on_desktop(desktop: Any, hotspot: tuple[float, float]) -> None:
    lat, lon = hotspot
    open_map(desktop, map_url(lat, lon, 12))
    desktop.locator("#event-list .card").first.wait_for()
    assert violations(desktop) == []
    desktop.locator("#event-list .card").first.click()
    desktop.wait_for_function("() => !document.querySelector('#detail').hasAttribute('aria-busy')")
    assert violations(desktop) == []
    desktop.keyboard.press("Escape")
    desktop.get_by_role("button", name="Calendar", exact=True).click()
    desktop.locator("#calendar table").wait_for()
    desktop.wait_for_function("() => document.querySelector('#calendar').getAttribute('aria-busy') === 'false'")
    assert violations(desktop) == []


def test_no_wcag_aa_violations_on_a_phone(phone: Any, hotspot: tuple[float, float]) -> None:
    lat, lon = hotspot
    open_map(phone, map_url(lat, lon, 12))
    phone.locator("#event-list .card").first.wait_for()
    assert violations(phone) == []


def test_filters_and_list_work_from_the_keyboard(desktop: Any, hotspot: tuple[float, float]) -> None:
    lat, lon = hotspot
    open_map(desktop, map_url(lat, lon, 12))
    desktop.locator("#event-list .card").first.wait_for()

    music = desktop.get_by_role("button", name="Music", exact=True)
    music.focus()
    outline = desktop.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "focus must be visible"
    desktop.keyboard.press("Space")
    desktop.wait_for_url(lambda url: "cat=music" in url)
    assert music.get_attribute("aria-pressed") == "true"

    # Date presets are a radio group: arrow keys move the choice.
    desktop.locator("#when-upcoming").focus()
    desktop.keyboard.press("ArrowRight")
    desktop.wait_for_url(lambda url: "when=today" in url)

    desktop.locator("label[for=when-upcoming]").click()
    desktop.wait_for_function("() => !document.querySelector('#event-list').hasAttribute('aria-busy')")
    cards = desktop.locator("#event-list .card")
    cards.first.focus()
    desktop.keyboard.press("ArrowDown")
    assert desktop.evaluate("() => document.activeElement === document.querySelectorAll('#event-list .card')[1]")
    desktop.keyboard.press("Enter")
    desktop.locator("#detail h2").wait_for()
    desktop.wait_for_function("() => document.activeElement && document.activeElement.id === 'detail-title'")
    desktop.keyboard.press("Escape")
    desktop.wait_for_function("() => document.querySelector('#detail').hidden")
    # Focus returns to the item that opened the detail.
    assert desktop.evaluate("() => document.activeElement === document.querySelectorAll('#event-list .card')[1]")

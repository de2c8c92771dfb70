"""How long from navigation to the first full map (style, basemap data and event tiles all drawn).

    .venv/bin/python -m tests.e2e.first_map_timing --events 50000

Seeds a private database, starts the real server, and opens the page in headless Chromium with an
empty cache for each run (a new browser context), at a few zooms around the densest place. Times are
the page's own clock (performance.now(), zero at navigation start): "map load" when MapLibre has the
style and the basemap data, "first full map" at its first `idle` (every tile, events included, drawn).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import sync_playwright

from app.migrations_state import upgrade
from tests.e2e import harness
from tests.e2e.pages import map_url
from tests.fixtures.database import create_database, drop_database, unique_name

# Attached as soon as the app has made its map (before MapLibre can have loaded anything):
# resolves with the page clock at MapLibre's `load` (style and basemap ready) and first `idle`.
MILESTONES = """
() => new Promise((resolve) => {
  const map = window.happenings.map;
  const marks = {};
  map.once('load', () => (marks.load = performance.now()));
  map.once('idle', () => resolve({...marks, idle: performance.now()}));
})
"""


def measure(browser: Any, base_url: str, path: str, runs: int) -> list[dict[str, float]]:
    marks = []
    for _ in range(runs):
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(path, wait_until="commit")
        page.wait_for_function("() => !!(window.happenings && window.happenings.map)", polling=5)
        marks.append(page.evaluate(MILESTONES))
        context.close()
    return marks


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):5.0f} ms (min {min(values):.0f}, max {max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    name = unique_name("happenings_timing")
    url = create_database(name)
    try:
        upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
        started = time.perf_counter()
        anchor = datetime.now(UTC)  # a measurement, not a test: the data is made around the real clock
        harness.seed(url, args.events, anchor)
        print(f"seeded {args.events} events in {time.perf_counter() - started:.1f} s")
        lat, lon = harness.densest_place(url, anchor)
        dist = harness.build_frontend()
        with harness.run_server(url, dist) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=harness.CHROMIUM, args=harness.CHROMIUM_ARGS)
            views = {"city, zoom 12": (lat, lon, 12), "region, zoom 7": (lat, lon, 7), "world, zoom 2": (20.0, 0.0, 2)}
            measure(browser, server.base_url, map_url(lat, lon, 12), 1)  # server warm-up (pools, tile cache)
            for label, (la, lo, zoom) in views.items():
                marks = measure(browser, server.base_url, map_url(la, lo, zoom), args.runs)
                print(
                    f"{label:15} map load {summary([m['load'] for m in marks])}; "
                    f"first full map {summary([m['idle'] for m in marks])}; {args.runs} cold-cache runs"
                )
            browser.close()
    finally:
        drop_database(name)


if __name__ == "__main__":
    main()

"""What the e2e tests ask of the page: map readiness, rendered features, pixels, requests."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAP_IDLE = """
() => new Promise((resolve) => {
  const map = window.happenings && window.happenings.map;
  if (!map) return resolve(false);
  const ready = () => map.loaded() && map.isStyleLoaded() && map.areTilesLoaded() && !map.isMoving();
  if (ready()) return resolve(true);
  map.once('idle', () => resolve(true));
})
"""

RENDERED = """
(layer) => window.happenings.map.queryRenderedFeatures({layers: [layer]}).map((f) => ({
  ...f.properties,
  lon: f.geometry.coordinates[0],
  lat: f.geometry.coordinates[1],
}))
"""

# Reads the WebGL drawing buffer right after a frame is drawn (before the browser clears it),
# sampling every 61st pixel. Background = the water colour of the offline basemap.
PIXELS = """
() => new Promise((resolve) => {
  const map = window.happenings.map;
  map.once('render', () => {
    const canvas = map.getCanvas();
    const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
    const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
    const px = new Uint8Array(w * h * 4);
    gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
    const colours = new Set();
    let samples = 0, background = 0;
    for (let i = 0; i < px.length; i += 4 * 61) {
      samples++;
      const [r, g, b] = [px[i], px[i + 1], px[i + 2]];
      colours.add((r << 16) | (g << 8) | b);
      if (Math.abs(r - 212) + Math.abs(g - 227) + Math.abs(b - 241) < 6) background++;
    }
    resolve({samples, background, colours: colours.size});
  });
  map.triggerRepaint();
})
"""


def map_url(lat: float, lon: float, zoom: float, **params: str) -> str:
    query = "&".join([f"map={zoom}/{lat:.5f}/{lon:.5f}", *(f"{k}={v}" for k, v in params.items())])
    return f"/?{query}"


def wait_map_idle(page: Any) -> None:
    page.wait_for_function("() => !!(window.happenings && window.happenings.map)")
    page.evaluate(MAP_IDLE)


def open_map(page: Any, url: str) -> None:
    page.goto(url)
    wait_map_idle(page)


# The top-most feature of a layer under a page point: what a click there hands the layer's handler.
TOP_AT = """
([layer, x, y]) => {
  const m = window.happenings.map;
  const r = m.getCanvas().getBoundingClientRect();
  const f = m.queryRenderedFeatures([x - r.left, y - r.top], {layers: [layer]})[0];
  return f ? {...f.properties, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1]} : null;
}
"""


def top_at(page: Any, layer: str, x: float, y: float) -> dict[str, Any] | None:
    found = page.evaluate(TOP_AT, [layer, x, y])
    return dict(found) if found else None


def rendered(page: Any, layer: str) -> list[dict[str, Any]]:
    return list(page.evaluate(RENDERED, layer))


def pixels(page: Any) -> dict[str, int]:
    return dict(page.evaluate(PIXELS))


def map_view(page: Any) -> dict[str, float]:
    return dict(
        page.evaluate(
            "() => { const m = window.happenings.map; const c = m.getCenter(); "
            "return {lat: c.lat, lon: c.lng, zoom: m.getZoom()}; }"
        )
    )


def project(page: Any, lon: float, lat: float) -> tuple[float, float]:
    """Page coordinates of a map point (the canvas is offset by the sidebar on desktop)."""
    point = page.evaluate(
        "([lon, lat]) => { const m = window.happenings.map; const p = m.project([lon, lat]); "
        "const r = m.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }",
        [lon, lat],
    )
    return float(point[0]), float(point[1])


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


TILE = re.compile(r"/tiles/events/\d+/\d+/\d+\.mvt")
TILEJSON = "/tiles/events.json"
EVENTS_API = "/api/v1/events?"

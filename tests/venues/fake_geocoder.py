"""A local HTTP server that answers like Nominatim or Photon, for geopy to call in tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeProvider:
    """Answers by path (``/search``, ``/api``, ``/reverse``); records every query it is sent."""

    answers: dict[str, Any]
    delay_s: float = 0.0
    status: int = 200
    seen: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)
    base_url: str = ""


@contextmanager
def serving(provider: FakeProvider) -> Iterator[FakeProvider]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            provider.seen.append((parts.path, parse_qs(parts.query)))
            time.sleep(provider.delay_s)
            body = json.dumps(provider.answers.get(parts.path, [])).encode()
            self.send_response(provider.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    provider.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


NOMINATIM_SEARCH = [
    {
        "place_id": 1, "lat": "48.8583701", "lon": "2.2944813", "name": "Tour Eiffel",
        "display_name": "Tour Eiffel, 5, Avenue Anatole France, Paris, 75007, France",
        "address": {"country_code": "fr", "city": "Paris"},
    },
    {
        "place_id": 2, "lat": "36.1127", "lon": "-115.1728", "name": "Eiffel Tower",
        "display_name": "Eiffel Tower, Las Vegas Boulevard, Paradise, Nevada, United States",
        "address": {"country_code": "us"},
    },
]
NOMINATIM_REVERSE = {
    "place_id": 3, "lat": "48.85837", "lon": "2.29448", "name": "Tour Eiffel",
    "display_name": "Tour Eiffel, Avenue Anatole France, Paris, France", "address": {"country_code": "fr"},
}


def photon_feature(name: str, lon: float, lat: float, country: str) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": name, "city": "Berlin", "country": "Germany", "countrycode": country},
    }


PHOTON_SEARCH = {
    "type": "FeatureCollection",
    "features": [photon_feature("Brandenburger Tor", 13.3777, 52.5163, "DE")],
}

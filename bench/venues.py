"""``python -m bench --only venues``: the offline parts of venues, geocoding and event images, per call.

Measured in-process (no database): the offline gazetteer's forward search and reverse lookup, the
time zone at a point (timezonefinder), and the event image pipeline on camera-sized JPEGs (decode,
orientation, metadata dropped, three WebP widths). One-time loads are reported apart.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from PIL import Image

from app.event_images.pipeline import clean_event_image
from app.venues.geocoding import _gazetteer, search_towns
from app.web.places import nearest_town
from bench.stats import Summary, markdown_table, ms
from geo.zones import zone_at


def _timed(call: Callable[[Any], object], items: Sequence[Any]) -> Summary:
    times = []
    for item in items:
        started = time.perf_counter()
        call(item)
        times.append(time.perf_counter() - started)
    return Summary.of(times)


def _photo(width: int, height: int, rng: random.Random) -> bytes:
    # Smooth gradients plus noise: a JPEG about the size a phone's would be at this resolution.
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.frombytes("RGB", (width // 8, height // 8), rng.randbytes((width // 8) * (height // 8) * 3))
    picture = Image.blend(base, noise.resize((width, height)), 0.3)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=90)
    return out.getvalue()


def run(sizes: Sequence[int], seed: int = 42) -> str:
    del sizes  # nothing here depends on the dataset
    rng = random.Random(seed)
    started = time.perf_counter()
    cities, _ = _gazetteer()
    gazetteer_s = time.perf_counter() - started
    started = time.perf_counter()
    zone_at(48.85, 2.35)
    zones_s = time.perf_counter() - started
    names = [rng.choice(cities).name[: rng.randint(3, 8)] for _ in range(500)]
    points = [(rng.uniform(-60, 70), rng.uniform(-180, 180)) for _ in range(2000)]
    rows: list[list[object]] = []
    for label, call, items in (
        ("forward search, 3-8 letters of a town's name", lambda q: search_towns(q, 10), names),
        ("reverse: nearest town", lambda p: nearest_town(*p), points),
        ("time zone at a point", lambda p: zone_at(*p), points),
    ):
        s = _timed(call, items)
        rows.append([label, s.n, ms(s.p50), ms(s.p95)])
    for width, height in ((4000, 3000), (1600, 1200)):
        photos = [_photo(width, height, rng) for _ in range(3)]
        s = _timed(lambda raw: clean_event_image(raw, max_pixels=50_000_000), photos * 2)
        kb = sum(map(len, photos)) // len(photos) // 1024
        rows.append([f"image pipeline, {width}x{height} JPEG ({kb} KB) -> 3 WebP widths", s.n, ms(s.p50), ms(s.p95)])
    table = markdown_table(["what", "calls", "p50 ms", "p95 ms"], rows)
    report = f"{table}\n\nOne-time loads: gazetteer {gazetteer_s:.2f} s, time zone data {zones_s * 1000:.0f} ms.\n"
    print(report, flush=True)
    return report

"""``sitemap.xml`` for millions of upcoming events, in files search engines accept (≤ 50,000 URLs).

The index splits the id space (random UUIDs) into 2^bits equal ranges, ``bits`` chosen from the
table's size so a range holds about ``TARGET_PER_FILE`` events; each file is one range scan of the id
index. ``bits`` is part of the file's name, so a file keeps its meaning when the index grows. A range
holds more than ``MAX_PER_FILE`` upcoming events only if ids were not random; the file then lists
the first ``MAX_PER_FILE`` of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID
from xml.sax.saxutils import escape

from app.sharing.calendar import page_url

MAX_PER_FILE = 50_000
TARGET_PER_FILE = 20_000
MAX_BITS = 15  # 32,768 files (an index holds at most 50,000) of up to 50,000 events
_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def bits_for(estimated_events: int) -> int:
    """How many leading id bits name a file, for a table of about ``estimated_events`` events."""
    if estimated_events <= TARGET_PER_FILE:
        return 0
    return min(MAX_BITS, math.ceil(math.log2(estimated_events / TARGET_PER_FILE)))


def id_range(bits: int, index: int) -> tuple[UUID, UUID | None]:
    """The ids of file ``index`` of ``2**bits``: from ``low`` (inclusive) to ``high`` (exclusive; None: the end)."""
    if not 0 <= bits <= MAX_BITS or not 0 <= index < 2**bits:
        raise ValueError("no such sitemap file")
    width = 1 << (128 - bits)
    low = UUID(int=index * width)
    high = None if index == 2**bits - 1 else UUID(int=(index + 1) * width)
    return low, high


def index_document(base_url: str, bits: int) -> bytes:
    entries = "".join(
        f"<sitemap><loc>{escape(f'{base_url}/sitemaps/events-{bits}-{index}.xml')}</loc></sitemap>"
        for index in range(2**bits)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex {_NS}>{entries}</sitemapindex>\n'.encode()


def urls_document(base_url: str, rows: Iterable[Mapping[str, Any]]) -> bytes:
    entries = "".join(
        f"<url><loc>{escape(page_url(base_url, row))}</loc>"
        f"<lastmod>{row['updated_at'].date().isoformat()}</lastmod></url>"
        for row in rows
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {_NS}>{entries}</urlset>\n'.encode()


def robots_document(base_url: str) -> bytes:
    """Pages and the sitemap are for crawlers; the API and tiles are not."""
    return (
        "User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /tiles/\nDisallow: /account\n"
        f"Sitemap: {base_url}/sitemap.xml\n"
    ).encode()

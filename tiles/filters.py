"""The tiles' filters: the discovery filters (``app.events.filters.Filters``) read from a raw query string.

Same declaration, names, rules and SQL (``app.events.filter_sql``) as ``GET /api/v1/events``, so a
tile and the list show the same events. The one difference is HTTP only: a bad value is a 400
problem (map clients get no 422 here). Parameters that are not filters are refused, as the list
refuses them: a misspelt filter would otherwise silently show everything.

``Filters.query`` is the canonical query string: the tile URL template of the TileJSON carries it,
and its digest is part of every cache key, so equal filters share cache entries however they were
written (order, repeated categories, case of tags, time zone of instants).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from app.events.filter_sql import TEXT, filter_conditions
from app.events.filters import Filters
from app.kit.query_params import QueryError, parse_query, query_pairs

# A map asks for dozens of tiles with the same query string, so the parse is memoised by the raw
# string: a dictionary lookup on the hit path. Only strings up to this length are kept (every
# filter the map sets fits in far less), so the memo stays small whatever clients send:
# at most 2,048 entries of at most 2 KiB.
MAX_MEMO_QUERY_BYTES = 2048


def parse_filters(query_string: bytes | str) -> Filters:
    """The filters of a raw (percent-encoded) query string, or ``InvalidParameter`` naming the first bad one."""
    if isinstance(query_string, str):
        query_string = query_string.encode()
    if len(query_string) <= MAX_MEMO_QUERY_BYTES:
        return _memo(query_string)
    return _parse(query_string)


@lru_cache(maxsize=2048)
def _memo(query_string: bytes) -> Filters:
    return _parse(query_string)


def _parse(query_string: bytes) -> Filters:
    try:
        return parse_query(Filters, query_pairs(query_string))
    except QueryError as exc:
        raise exc.problem() from None


def tile_conditions(filters: Filters, params: dict[str, Any]) -> list[str]:
    """SQL conditions on ``events e`` (values added to ``params``), the list API's, without the area."""
    where = filter_conditions(filters, params, now="now()")
    return where if filters.text is None else [*where, TEXT]

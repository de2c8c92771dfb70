"""The tiles' filters: the discovery API's filter parameters, parsed and normalised once.

Same names, types and meaning as ``GET /api/v1/events`` (the query-string model is theirs,
``app.events.discovery_schemas.FilterParams``; the SQL is ``app.events.filter_sql``, shared with the list), so a
tile and the list show the same events. The differences are HTTP only: a bad value is a 400
problem (map clients get no 422 here), and parameters that are not filters are ignored, since
map SDKs add their own.

``TileFilters.query`` is the canonical query string: the tile URL template of the TileJSON carries it,
and its digest is part of every cache key, so equal filters share cache entries however they were
written (order, repeated categories, case of tags, time zone of instants).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from pydantic import ValidationError

from app.errors import InvalidParameter
from app.events.criteria import filter_values
from app.events.discovery_schemas import FilterParams
from app.events.filter_sql import TEXT, filter_conditions

PARAMS = tuple(FilterParams.model_fields)  # category, tag, q, starts_after, starts_before, free, price_max, ...
_REPEATABLE = frozenset(("category", "tag"))


@dataclass(frozen=True, slots=True)
class TileFilters:
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    text: str | None = None
    starts_after: datetime | None = None
    starts_before: datetime | None = None
    free: bool | None = None
    price_max: int | None = None
    min_popularity: int | None = None
    query: str = field(init=False, default="")
    digest: str = field(init=False, default="")

    def __post_init__(self) -> None:
        query = urlencode(self._pairs(), quote_via=quote)
        object.__setattr__(self, "query", query)
        object.__setattr__(self, "digest", hashlib.blake2b(query.encode(), digest_size=8).hexdigest())

    def _pairs(self) -> list[tuple[str, str]]:
        pairs = [("category", c) for c in self.categories] + [("tag", t) for t in self.tags]
        if self.text is not None:
            pairs.append(("q", self.text))
        for name, moment in (("starts_after", self.starts_after), ("starts_before", self.starts_before)):
            if moment is not None:
                pairs.append((name, _utc(moment)))
        if self.free is not None:
            pairs.append(("free", "true" if self.free else "false"))
        for name, number in (("price_max", self.price_max), ("min_popularity", self.min_popularity)):
            if number is not None:
                pairs.append((name, str(number)))
        return pairs

    def conditions(self, params: dict[str, Any]) -> list[str]:
        """SQL conditions on ``events e`` (values added to ``params``), the list API's, without the area."""
        where = filter_conditions(self, params, now="now()")
        return where if self.text is None else [*where, TEXT]


def parse_filters(query_string: str) -> TileFilters:
    """The filters of a raw query string, or ``InvalidParameter`` naming the first bad one."""
    return _parse(query_string)


@lru_cache(maxsize=2048)
def _parse(query_string: str) -> TileFilters:
    # Memoised: a map asks for dozens of tiles with the same query string.
    raw: dict[str, Any] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        if name in _REPEATABLE:
            raw.setdefault(name, []).append(value)
        elif name in PARAMS:
            if name in raw:
                raise InvalidParameter(f"{name} may be given once", param=name)
            raw[name] = value
    try:
        params = FilterParams.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        param = ".".join(str(part) for part in error["loc"] if not isinstance(part, int)) or None
        raise InvalidParameter(f"{param}: {error['msg']}" if param else error["msg"], param=param) from exc
    return TileFilters(**filter_values(params))


def _utc(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"

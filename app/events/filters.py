"""The discovery filters, declared once: their parameter names, types, rules, meaning and canonical form.

``Filters`` is both the query-string contract and the checked, normalised value. Its aliases are
the parameter names (``category``, ``tag``, ``q``...), its constraints are what the OpenAPI
document states (``app.kit.query_params`` flattens it into the query parameters of every route that
embeds it), and an instance is what the list, nearby, tile and calendar queries pass to
``app.events.filter_sql.filter_conditions``. Adding a filter is one field here and its condition
there; the list, nearby and tile endpoints, the cursor fingerprint, the tile cache key and the
TileJSON URL all follow from the field.

Values are normalised on the way in, so equal questions compare (and hash, and fingerprint) equal
however they were written: categories and tags sorted and unique, tags trimmed and lower-cased as
they are stored, a blank ``q`` is no text, instants in UTC. ``query`` is the canonical query string.

The rules also serve the write side (``app.events.schemas``): one category slug, one tag.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cached_property
from typing import Annotated
from urllib.parse import quote, urlencode

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

# Full-match patterns: pydantic matches them with Rust's regex and OpenAPI clients with ECMA-262
# regexes, where ``$`` is the end of the text (Python's ``re`` would also match before a final newline).
CATEGORY_PATTERN = r"^[a-z][a-z0-9-]{0,31}$"
# No control characters (C0, DEL, C1): PostgreSQL refuses NUL in text, and none belongs in a search.
PLAIN_TEXT_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f]*$"
MAX_TAG_CHARS = 40
MAX_TEXT_CHARS = 200
MAX_CHOICES = 20  # categories or tags in one question
MAX_INT4 = 2**31 - 1  # prices and popularity are PostgreSQL integers

CategorySlug = Annotated[str, StringConstraints(pattern=CATEGORY_PATTERN)]
Tag = Annotated[str, StringConstraints(max_length=MAX_TAG_CHARS, pattern=PLAIN_TEXT_PATTERN)]


def normal_tags(values: Iterable[str]) -> tuple[str, ...]:
    """Tags as they are stored and compared: trimmed, lower-cased, unique, sorted; blanks dropped."""
    return tuple(sorted({tag.strip().lower() for tag in values if tag.strip()}))


# RFC 3339 date-time, what OpenAPI's ``format: date-time`` means: seconds and an offset required. (Left
# alone, pydantic would also read a bare number as a Unix time and take dates without seconds.)
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _rfc3339(value: object) -> object:
    if isinstance(value, str) and not _DATE_TIME.fullmatch(value):
        raise PydanticCustomError(
            "date_time_format", "an RFC 3339 date-time with seconds and an offset, e.g. 2030-06-01T20:00:00+02:00"
        )
    return value


def _utc(moment: datetime) -> datetime:
    """The instant in UTC; an offset that carries it past year 1 or 9999 pins it to that end."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00, before the first representable instant
        return datetime.min.replace(tzinfo=UTC) if moment.year == 1 else datetime.max.replace(tzinfo=UTC)


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_utc)]


class Filters(BaseModel):
    """What to show, wherever it is."""

    # validate_by_name lets code write Filters(categories=...); requests are validated by alias only.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True)

    categories: tuple[CategorySlug, ...] = Field(
        (), alias="category", max_length=MAX_CHOICES, description="Category slug; repeat for any of several."
    )
    tags: tuple[Tag, ...] = Field(
        (),
        alias="tag",
        max_length=MAX_CHOICES,
        description="Tag (case and surrounding spaces do not matter); repeat for any of several.",
    )
    text: str | None = Field(
        None,
        alias="q",
        max_length=MAX_TEXT_CHARS,
        pattern=PLAIN_TEXT_PATTERN,
        description="Full-text search: ranked, stemmed, accent-insensitive, typo-tolerant. Blank: no search.",
    )
    starts_after: Instant | None = Field(
        None,
        description="ISO 8601 with an offset. Without it, only events that have not ended are shown.",
    )
    starts_before: Instant | None = Field(
        None, description="ISO 8601 with an offset; later than starts_after when both are given."
    )
    free: bool | None = Field(None, description="true: only free events; false: only paid ones.")
    price_max: int | None = Field(
        None, ge=0, le=MAX_INT4, description="Entry (lowest price) at most this, in minor units."
    )
    min_popularity: int | None = Field(None, ge=0, le=MAX_INT4)

    @field_validator("categories")
    @classmethod
    def _unique_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))

    @field_validator("tags")
    @classmethod
    def _normal_tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return normal_tags(value)

    @field_validator("text")
    @classmethod
    def _no_blank_text(cls, value: str | None) -> str | None:
        text = (value or "").strip()
        return text or None

    @field_validator("starts_before")
    @classmethod
    def _after_the_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        after = info.data.get("starts_after")
        if value is not None and after is not None and value <= after:
            raise PydanticCustomError("time_window", "starts_before must be later than starts_after")
        return value

    def only(self, *names: str) -> bool:
        """True when no filter but ``names`` narrows the events (the others are at their defaults)."""
        fields = type(self).model_fields
        return all(getattr(self, name) == field.default for name, field in fields.items() if name not in names)

    @cached_property
    def query(self) -> str:
        """The canonical query string: equal filters, equal strings (the TileJSON's tile URLs carry it)."""
        return urlencode(list(self._pairs()), quote_via=quote)

    @cached_property
    def digest(self) -> str:
        """A short digest of ``query``: part of every tile cache key."""
        return hashlib.blake2b(self.query.encode(), digest_size=8).hexdigest()

    def _pairs(self) -> Iterable[tuple[str, str]]:
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None or value == ():
                continue
            parameter = field.alias or name
            for item in value if isinstance(value, tuple) else (value,):
                yield parameter, _canonical(item)


def _canonical(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"
    return str(value)


NO_FILTERS = Filters()

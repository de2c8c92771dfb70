"""The SQL of the discovery filters, shared by the list API (``app.events.queries``) and the tiles.

One definition, so that a tile and the list show the same events for the same parameters; the
filters themselves are declared in ``app.events.filters``. The conditions read ``events e``;
every value is a bound parameter added to ``params``.
"""

from __future__ import annotations

from typing import Any

from app.events.filters import Filters

# Drafts are never public; cancelled events stay listed so that people see the cancellation.
PUBLIC = "e.status IN ('published', 'cancelled')"
TSQUERY = "websearch_to_tsquery('pg_catalog.english', happenings_unaccent(%(q)s))"
FULL_TEXT = f"e.search @@ {TSQUERY}"
# Typo tolerance: a word of the title is trigram-similar to the query (GIN trigram index).
FUZZY = "happenings_unaccent(e.title) %%> happenings_unaccent(%(q)s)"
TEXT = f"({FULL_TEXT} OR {FUZZY})"


def time_conditions(filters: Filters, params: dict[str, Any], *, now: str) -> list[str]:
    """The time window alone, on ``e.starts_at`` / ``e.ends_at`` (also columns of ``event_terms``)."""
    where = []
    if filters.starts_after is None:
        where.append(f"e.ends_at >= {now}")  # without a start bound: only events that have not ended
    else:
        where.append("e.starts_at >= %(starts_after)s")
        params["starts_after"] = filters.starts_after
    if filters.starts_before is not None:
        where.append("e.starts_at < %(starts_before)s")
        params["starts_before"] = filters.starts_before
    return where


def filter_conditions(filters: Filters, params: dict[str, Any], *, now: str) -> list[str]:
    """Public, time, category, tags, price and popularity conditions; not the text (see ``TEXT``).

    ``now`` is the SQL of the instant "not ended yet" is measured at (a parameter or ``now()``).
    Sets ``params["q"]`` when there is a text, for whichever text condition the caller uses.
    """
    where = [PUBLIC, *time_conditions(filters, params, now=now)]
    if filters.categories:
        where.append("e.category = ANY(%(categories)s::text[])")
        params["categories"] = list(filters.categories)
    if filters.tags:
        where.append("e.tags && %(tags)s::text[]")
        params["tags"] = list(filters.tags)
    if filters.free is not None:
        where.append("e.is_free" if filters.free else "NOT e.is_free")
    if filters.price_max is not None:
        # Entry price: free events qualify, events without a known price do not.
        where.append("(e.is_free OR e.price_min <= %(price_max)s)")
        params["price_max"] = filters.price_max
    if filters.min_popularity is not None:
        where.append("e.popularity >= %(min_popularity)s")
        params["min_popularity"] = filters.min_popularity
    if filters.text is not None:
        params["q"] = filters.text
    return where

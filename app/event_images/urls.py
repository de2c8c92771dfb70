"""Where an event image's files are served: one WebP per width in ``WIDTHS``, under ``/media/<key>/``.

The widths are fixed in code, not settings: list and detail answers (built in SQL,
``app.events.queries``) name every width's URL, and each must exist for every stored image.
"""

from __future__ import annotations

WIDTHS = (320, 960, 1920)
EXTENSION = "webp"


def image_urls(key: str | None) -> dict[str, str] | None:
    """Width in pixels (as text) -> the file's URL; None for no image."""
    if key is None:
        return None
    return {str(width): f"/media/{key}/{width}.{EXTENSION}" for width in WIDTHS}


def image_urls_sql(column: str) -> str:
    """The same object built in SQL from the ``image_key`` column ``column`` (NULL for no image)."""
    pairs = ", ".join(f"'{width}', '/media/' || {column} || '/{width}.{EXTENSION}'" for width in WIDTHS)
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE json_build_object({pairs}) END"

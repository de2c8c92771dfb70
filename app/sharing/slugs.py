"""The readable part of an event's address (``/e/{id}-{slug}``): its title, in plain ASCII words."""

from __future__ import annotations

import re
import unicodedata

MAX_SLUG = 60
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slugify(title: str) -> str:
    """``"Jazz à la Cave — Nuit #3"`` → ``"jazz-a-la-cave-nuit-3"``; ``"event"`` when nothing is left.

    Accents fold to their letters; other scripts leave nothing behind and fall back to ``event``
    (the id, not the slug, names the event: a slug only has to be stable and harmless in a URL).
    """
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = _NOT_WORD.sub("-", ascii_title.lower()).strip("-")
    cut = words[:MAX_SLUG].rstrip("-")
    return cut or "event"

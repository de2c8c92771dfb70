"""The event page (``/e/{id}-{slug}``): plain HTML that unfurls in chats and search engines.

Rendered on the server from one row, with no script of its own: OpenGraph and Twitter meta for link
previews, a canonical URL, and a schema.org ``Event`` in JSON-LD. Every value from the organizer is
escaped for its context (HTML text, attribute, or JSON inside a script element).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from app.sharing.calendar import place_text
from app.sharing.money import major_units

SCHEMA = "https://schema.org/"
DESCRIPTION_PREVIEW = 300
MAX_LD_DESCRIPTION = 5000


def local_times(row: Mapping[str, Any]) -> tuple[datetime, datetime]:
    zone = ZoneInfo(row["timezone"])
    return row["starts_at"].astimezone(zone), row["ends_at"].astimezone(zone)


def when_text(row: Mapping[str, Any]) -> str:
    """"Saturday 7 March 2026, 19:00 to 22:00 CET" in the event's own zone (two dates when it spans days)."""
    start, end = local_times(row)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    if start.date() == end.date():
        return f"{day}, {start:%H:%M} to {end:%H:%M} {start:%Z}"
    return f"{day}, {start:%H:%M} {start:%Z} to {end:%A} {end.day} {end:%B %Y}, {end:%H:%M} {end:%Z}"


def event_status(row: Mapping[str, Any]) -> str:
    if row["status"] == "cancelled":
        return SCHEMA + "EventCancelled"
    return SCHEMA + ("EventRescheduled" if row.get("rescheduled") else "EventScheduled")


def json_ld(row: Mapping[str, Any], url: str, image_url: str | None) -> dict[str, Any]:
    """schema.org ``Event``: place (with coordinates unless approximate), offers, status, organizer."""
    start, end = local_times(row)
    address = {
        "@type": "PostalAddress",
        "streetAddress": row.get("venue_address") or None,
        "addressLocality": row.get("venue_city") or None,
        "addressCountry": row.get("venue_country") or None,
    }
    place: dict[str, Any] = {
        "@type": "Place",
        "name": row.get("venue_name") or row.get("venue_city") or "Location shared with attendees",
        "address": {key: value for key, value in address.items() if value},
    }
    if row.get("lat") is not None and row.get("lon") is not None:
        place["geo"] = {"@type": "GeoCoordinates", "latitude": row["lat"], "longitude": row["lon"]}
    document: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": row["title"],
        "url": url,
        "startDate": start.isoformat(),
        "endDate": end.isoformat(),
        "eventStatus": event_status(row),
        "eventAttendanceMode": SCHEMA + "OfflineEventAttendanceMode",
        "location": place,
        "organizer": {"@type": "Organization", "name": row["organizer_name"]},
        "offers": offers(row, url),
    }
    if row.get("description"):
        document["description"] = row["description"][:MAX_LD_DESCRIPTION]
    if image_url:
        document["image"] = [image_url]
    return document


def offers(row: Mapping[str, Any], url: str) -> dict[str, Any]:
    """The price (lowest, in major units) and whether places remain."""
    sold_out = bool(row.get("sold_out"))
    offer: dict[str, Any] = {
        "@type": "Offer",
        "url": url,
        "availability": SCHEMA + ("SoldOut" if sold_out else "InStock"),
    }
    if row["is_free"]:
        offer |= {"price": "0", "priceCurrency": row.get("currency") or "USD"}
    elif row.get("price_min") is not None and row.get("currency"):
        offer |= {"price": major_units(int(row["price_min"]), row["currency"]), "priceCurrency": row["currency"]}
    return offer


def render_page(row: Mapping[str, Any], url: str, image_url: str | None, map_url: str) -> str:
    """The whole HTML document of the event's page."""
    title = row["title"]
    when = when_text(row)
    where = place_text(row) or "Location shared with attendees"
    summary = f"{when} · {where}"
    description = (row.get("description") or "").strip()
    preview = (description[:DESCRIPTION_PREVIEW] + "…") if len(description) > DESCRIPTION_PREVIEW else description
    meta = {
        "og:type": "event",
        "og:site_name": "Happenings",
        "og:title": title,
        "og:description": f"{summary}. {preview}".strip(),
        "og:url": url,
        "event:start_time": local_times(row)[0].isoformat(),
        "event:end_time": local_times(row)[1].isoformat(),
        "twitter:card": "summary_large_image" if image_url else "summary",
        "twitter:title": title,
        "twitter:description": summary,
    }
    if image_url:
        meta |= {"og:image": image_url, "twitter:image": image_url, "og:image:alt": title}
    tags = "\n".join(
        f'    <meta {"name" if key.startswith("twitter:") else "property"}="{_attr(key)}" content="{_attr(value)}">'
        for key, value in meta.items()
    )
    cancelled = '<p class="status">This event is cancelled.</p>' if row["status"] == "cancelled" else ""
    image = f'<img src="{_attr(image_url)}" alt="" width="960">' if image_url else ""
    body_text = "".join(f"<p>{html.escape(part)}</p>" for part in description.split("\n\n") if part.strip())
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{html.escape(title)} · Happenings</title>
    <meta name="description" content="{_attr(summary)}">
    <link rel="canonical" href="{_attr(url)}">
    <link rel="alternate" type="text/calendar" href="{_attr(row_ics_url(url, row))}">
{tags}
    <script type="application/ld+json">{_script_json(json_ld(row, url, image_url))}</script>
    <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}}
    img{{max-width:100%;height:auto;border-radius:8px}}.status{{color:#b00020;font-weight:600}}
    .when,.where{{margin:.25rem 0}}a{{color:#0b57d0}}</style>
  </head>
  <body>
    <main>
      {image}
      <h1>{html.escape(title)}</h1>
      {cancelled}
      <p class="when">{html.escape(when)}</p>
      <p class="where">{html.escape(where)}</p>
      <p>Organized by {html.escape(row["organizer_name"])}</p>
      {body_text}
      <p><a href="{_attr(map_url)}">See it on the map</a> ·
         <a href="{_attr(row_ics_url(url, row))}">Add to calendar</a></p>
    </main>
  </body>
</html>
"""


def row_ics_url(page_url: str, row: Mapping[str, Any]) -> str:
    base = page_url.split("/e/", 1)[0]
    return f"{base}/api/v1/events/{row['id']}.ics"


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _script_json(document: dict[str, Any]) -> str:
    """JSON safe inside a script element: no ``</script>``, no ``<!--`` (``<``, ``>``, ``&`` escaped)."""
    text = orjson.dumps(document).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

"""The RSVP domain's problems, rendered by ``app.errors`` like every ``ProblemError``."""

from __future__ import annotations

from app.errors import Conflict


class EventSellsTickets(Conflict):
    """An event with ticket tiers takes orders, not RSVPs."""

    slug, title = "event-sells-tickets", "This event sells tickets"

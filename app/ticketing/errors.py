"""The ticketing domain's problems, rendered by ``app.errors`` like every ``ProblemError``."""

from __future__ import annotations

from app.errors import Conflict, NotFound, ProblemError, ServiceUnavailable


class EventNotFound(NotFound):
    slug = "event-not-found"


class TierNotFound(NotFound):
    slug = "tier-not-found"


class OrderNotFound(NotFound):
    """Unknown, or another person's order: the two answer alike."""

    slug = "order-not-found"


class TicketNotFound(NotFound):
    slug = "ticket-not-found"


class SoldOut(Conflict):
    """Not enough places left in a tier or in the event for this order."""

    slug, title = "sold-out", "Sold out"


class NotOnSale(Conflict):
    slug, title = "not-on-sale", "These tickets are not on sale"


class OrderNotOpen(Conflict):
    slug, title = "order-not-open", "The order is no longer awaiting payment"


class QuotaBelowTaken(Conflict):
    slug, title = "quota-below-taken", "More places are sold or held than this would allow"


class IdempotencyKeyReused(ProblemError):
    """The same ``Idempotency-Key`` came with another body."""

    status, slug, title = 422, "idempotency-key-reused", "This Idempotency-Key was used for another request"


class CapacityBusy(ServiceUnavailable):
    """The capacity rows stayed locked longer than the lock timeout: try again shortly."""

    slug = "capacity-busy"


class InvalidTicket(ProblemError):
    """The code is not a ticket this service signed (forged, damaged, or another deployment's)."""

    status, slug, title = 422, "invalid-ticket", "Not a valid ticket"


class TicketVoid(Conflict):
    slug, title = "ticket-void", "This ticket was cancelled"


class WrongEvent(Conflict):
    slug, title = "wrong-event", "This ticket is for another event"


class AlreadyCheckedIn(Conflict):
    slug, title = "already-checked-in", "This ticket was already used"


class ScanTimeOutOfRange(ProblemError):
    """An offline check-in's ``scanned_at`` is ahead of the server's clock or older than accepted."""

    status, slug, title = 422, "scan-time-out-of-range", "The time of the scan is not acceptable"

"""The venues domain's problems, rendered as problem+json by ``app.errors``."""

from __future__ import annotations

from app.errors import Conflict, NotFound, ProblemError, ServiceUnavailable


class VenueNotFound(NotFound):
    """Unknown, or a venue of an organizer the caller does not belong to: the two answer alike."""

    slug = "venue-not-found"


class SameVenueExists(Conflict):
    """A venue of the same organizer with the same name stands within the same-venue radius.

    The body names it (``existing``: id, name, distance_m) so a client can offer it instead.
    """

    slug = "venue-exists"


class AddressNotFound(ProblemError):
    status, slug, title = 422, "address-not-found", "The address could not be placed on the map"


class GeocoderUnavailable(ServiceUnavailable):
    """The configured geocoding provider did not answer in time or answered with an error."""

    slug = "geocoder-unavailable"


class VenuesBusy(ServiceUnavailable):
    """Another write held the organizer's venues past the lock timeout; try again shortly."""

    slug = "venues-busy"

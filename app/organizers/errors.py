"""The organizers domain's problems, rendered by ``app.errors`` like every ``ProblemError``."""

from __future__ import annotations

from app.errors import Conflict, NotFound, ProblemError, ServiceUnavailable


class OrganizerNotFound(NotFound):
    """Unknown, or not one the caller belongs to: the two answer alike, so nothing leaks."""

    slug = "organizer-not-found"


class MemberNotFound(NotFound):
    slug = "member-not-found"


class InvitationNotFound(NotFound):
    """Unknown, already used, or revoked (an accepted invitation no longer exists)."""

    slug = "invitation-not-found"


class RoleTooLow(ProblemError):
    """A member of the organizer whose role does not allow this; outsiders get ``OrganizerNotFound``."""

    status, slug, title = 403, "role-too-low", "Your role in this organizer does not allow this"


class InvitationForAnotherEmail(ProblemError):
    status, slug, title = 403, "invitation-email-mismatch", "The invitation is addressed to another email"


class InvitationExpired(ProblemError):
    status, slug, title = 410, "invitation-expired", "The invitation has expired"


class LastOwner(Conflict):
    """An organizer keeps at least one owner: its last owner cannot leave, be removed or be demoted."""

    slug = "last-owner"


class AlreadyMember(Conflict):
    slug = "already-member"


class TooMany(Conflict):
    """A per-account or per-organizer cap (organizers owned, open invitations) is reached."""

    slug = "limit-reached"


class TeamBusy(ServiceUnavailable):
    """The organizer's membership rows stayed locked past the lock timeout; try again shortly."""

    slug = "team-busy"

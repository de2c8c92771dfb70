"""The roles an account can hold in an organizer, ordered: owner > editor > checker.

- ``owner`` runs the team: invites, changes roles, removes members, and can do all an editor does.
- ``editor`` publishes and edits the organizer's events and venues.
- ``checker`` checks tickets at the door, and nothing else.

A role "at least X" includes every role above X, so a permission is stated once as the lowest role
that has it (``app.organizers.auth.require_organizer_role``).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    EDITOR = "editor"
    CHECKER = "checker"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def includes(self, other: Role) -> bool:
        """True when this role may do everything ``other`` may."""
        return self.rank >= other.rank


_RANK = {Role.CHECKER: 1, Role.EDITOR: 2, Role.OWNER: 3}

"""The text of the mails the organizers domain sends. Links point at the front end's routes."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote
from uuid import UUID

from app.kit.mail import Mail
from app.organizers.roles import Role

_ROLE_WORDS = {
    Role.OWNER: "an owner (you will run the team, its events and venues)",
    Role.EDITOR: "an editor (you will publish and edit its events and venues)",
    Role.CHECKER: "a checker (you will check tickets at the door)",
}


def invitation(
    to: str, account_id: UUID | None, organizer_name: str, role: Role, token: str, public_url: str, expires_at: datetime
) -> Mail:
    link = f"{public_url.rstrip('/')}/#/invitation?token={quote(token)}"
    body = (
        f"You are invited to join \u201c{organizer_name}\u201d on Happenings as {_ROLE_WORDS[role]}.\n\n"
        f"Accept by opening this link, signed in with this email address ({to}):\n\n{link}\n\n"
        f"The link works once, until {expires_at:%Y-%m-%d %H:%M} UTC. "
        "If you do not want to join, ignore this mail.\n"
    )
    return Mail(to, f"Join {organizer_name[:150]} on Happenings", body, "organizer-invitation", account_id)

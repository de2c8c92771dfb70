"""What the organizers domain holds about a person, for the export and the erase (``app.privacy.registry``).

- **memberships**: the person's role in each organizer. Exported with the organizer's name and
  contact address. An erase waits (409) while the person is the last owner of an organizer that
  has other members; an organizer whose only member they are is erased with them, its events too.
- **invitations**: invitations addressed to the person's email (any case), exported without the
  token's hash or the inviter's account id, and deleted by the erase with the per-address counter
  of invitation mails in Redis (keyed by the address's hash). Invitations the person sent lose
  their sender with the account row (``invited_by``: ``ON DELETE SET NULL``).
"""

from __future__ import annotations

from psycopg import sql

from app.db import Conn
from app.kit.ratelimit import counter_key, email_subject
from app.organizers import service
from app.organizers.context import OrganizersContext
from app.privacy.registry import MAX_EXPORT_ROWS, Erasure, Exported, Holder, Person, fetch_json

# Each section is bounded like every other one (``MAX_EXPORT_ROWS``).
_MEMBERSHIPS = sql.SQL(
    "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.joined_at, t.organizer_id), '[]'::jsonb) AS rows FROM ("
    "SELECT m.organizer_id, o.name AS organizer_name, o.email AS organizer_email, m.role, m.joined_at, m.updated_at "
    "FROM organizer_members m JOIN organizers o ON o.id = m.organizer_id WHERE m.account_id = %(account_id)s "
    "ORDER BY m.joined_at, m.organizer_id LIMIT {limit}) AS t"
).format(limit=sql.Literal(MAX_EXPORT_ROWS))
_INVITATIONS = sql.SQL(
    "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id), '[]'::jsonb) AS rows FROM ("
    "SELECT i.id, i.organizer_id, o.name AS organizer_name, i.email, i.role, i.created_at, i.expires_at "
    "FROM organizer_invitations i JOIN organizers o ON o.id = i.organizer_id "
    "WHERE lower(i.email) = lower(%(email)s) ORDER BY i.created_at, i.id LIMIT {limit}) AS t"
).format(limit=sql.Literal(MAX_EXPORT_ROWS))


def holders(ctx: OrganizersContext) -> list[Holder]:
    """Memberships (with the last-owner rule) and invitations to the person's address.

    Invitations come first: an organizer erased with its only member takes its invitations along.
    """

    async def blocks_erase(conn: Conn, person: Person) -> str | None:
        names = await service.erase_blockers(conn, ctx, person.account_id)
        if not names:
            return None
        listed = ", ".join(f"\u201c{name}\u201d" for name in names[:5]) + (" and others" if len(names) > 5 else "")
        return (
            f"you are the last owner of {listed}, which other members belong to: "
            "make one of them an owner (or remove them) first"
        )

    async def erase_invitations(conn: Conn, erasure: Erasure) -> None:
        await service.forget_invitations_to(conn, [erasure.person.email])
        erasure.redis_keys.add(counter_key(ctx.limits.invite_email, email_subject(erasure.person.email)))

    async def erase_memberships(conn: Conn, erasure: Erasure) -> None:
        person = erasure.person
        changes = await service.forget_member(conn, ctx, person.account_id, person.email)
        erasure.after_commit.extend(changes)  # the map's caches forget the deleted events

    return [
        Holder("organizer_invitations", ("organizer_invitations",), _export_invitations, erase_invitations),
        Holder("organizer_memberships", ("organizer_members",), _export_memberships, erase_memberships, blocks_erase),
    ]


async def _export_memberships(conn: Conn, person: Person) -> Exported:
    return await fetch_json(conn, _MEMBERSHIPS, {"account_id": person.account_id})


async def _export_invitations(conn: Conn, person: Person) -> Exported:
    return await fetch_json(conn, _INVITATIONS, {"email": person.email})

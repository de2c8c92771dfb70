"""What social sign-in holds about a person, for the export and the erase (``app.privacy.registry``).

- **identities**: the provider identities linked to the account (provider name, the provider's
  subject, whether it had verified the address, when linked and last used). Deleted by the erase
  (the account row's ``ON DELETE CASCADE`` would too).
- **hand-offs** in Redis: a mobile sign-in's code waiting to be traded names the account for two
  minutes. The erase removes them (the app's trade then finds nothing). They are secrets of a
  sign-in in progress, never exported. Sign-ins still at the provider hold nothing of the person.
"""

from __future__ import annotations

from app.accounts.oidc import repository
from app.accounts.oidc.flow import Flows
from app.db import Conn
from app.privacy.registry import Erasure, Exported, Holder, Person


def holders(flows: Flows) -> list[Holder]:
    async def erase(conn: Conn, erasure: Erasure) -> None:
        await repository.forget_identities(conn, erasure.person.account_id)
        erasure.redis_keys.update(await flows.handoff_keys_of(erasure.person.account_id))

    return [Holder("sign_in_identities", ("account_identities",), _export, erase)]


async def _export(conn: Conn, person: Person) -> Exported:
    return await repository.identities_of(conn, person.account_id)

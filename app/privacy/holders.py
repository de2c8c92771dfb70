"""The application's registry of personal-data holders: every domain that holds something about a
person contributes its holders here, in one line. The export and the erase both read this list.

A new table that holds personal data gets a holder in its domain's ``personal_data.py`` (often one
``owned_rows(...)`` call) and joins the list below; ``tests/privacy/test_registry.py`` fails while a
table referencing ``accounts`` is named by no holder.
"""

from __future__ import annotations

from redis.asyncio import Redis

from app.accounts import personal_data as accounts
from app.accounts.context import AccountsContext
from app.accounts.oidc import personal_data as oidc
from app.accounts.oidc.context import OidcContext
from app.audit import personal_data as audit
from app.kit.media import MediaStore
from app.notifications import personal_data as notifications
from app.organizers import personal_data as organizers
from app.organizers.context import OrganizersContext
from app.privacy.registry import PersonalData
from app.profiles import personal_data as profiles
from app.recommendations import personal_data as recommendations
from app.sharing import personal_data as sharing
from app.ticketing import personal_data as ticketing


def personal_data(
    accounts_context: AccountsContext,
    organizers_context: OrganizersContext,
    oidc_context: OidcContext,
    redis: Redis,
    key_prefix: str,
    media: MediaStore,
) -> PersonalData:
    return PersonalData(
        [
            *profiles.holders(media),
            *audit.holders(),
            *sharing.holders(),
            *notifications.holders(),
            *ticketing.holders(),
            *recommendations.holders(),
            *organizers.holders(organizers_context),
            *oidc.holders(oidc_context.flows),
            *accounts.holders(accounts_context.limits, redis, key_prefix),
        ],
        account=accounts.account_holder(),
    )

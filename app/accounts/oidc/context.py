"""What social sign-in needs, made once per application in its lifespan (``app.state.oidc``).

Providers are made from the settings at first use (start-up never waits on a provider). Their
HTTP transport is ``app.state.oidc_transport``: None (real HTTP) in production; tests put an
in-process provider's ASGI transport there before the lifespan starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import httpx2
from fastapi import Depends, Request
from redis.asyncio import Redis

from app.accounts.oidc.errors import UnknownProvider
from app.accounts.oidc.flow import Flows
from app.accounts.oidc.providers import Provider
from app.kit.ratelimit import Limit
from config.settings import OidcSettings, Settings

CALLBACK_PATH = "/api/v1/auth/oidc/{name}/callback"


@dataclass
class OidcContext:
    settings: OidcSettings
    public_url: str
    flows: Flows
    start_limit: Limit
    callback_limit: Limit
    transport: httpx2.AsyncBaseTransport | None = None
    _providers: dict[str, Provider] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, redis: Redis, transport: httpx2.AsyncBaseTransport | None) -> OidcContext:
        oidc = settings.oidc
        return cls(
            settings=oidc,
            public_url=(oidc.public_url or settings.mail.public_url).rstrip("/"),
            flows=Flows(redis, settings.redis.key_prefix, oidc.flow_ttl_s),
            start_limit=Limit.parse("oidc-start-ip", oidc.ip_limit),
            callback_limit=Limit.parse("oidc-callback-ip", oidc.ip_limit),
            transport=transport,
        )

    def provider(self, name: str) -> Provider:
        """The configured provider ``name``, or 404."""
        found = self._providers.get(name)
        if found is not None:
            return found
        configured = self.settings.providers.get(name)
        if configured is None:
            raise UnknownProvider(name)
        redirect_uri = self.public_url + CALLBACK_PATH.format(name=name)
        found = self._providers[name] = Provider(name, configured, self.settings, redirect_uri, self.transport)
        return found

    def names(self) -> list[str]:
        return sorted(self.settings.providers)

    async def aclose(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()


def get_oidc(request: Request) -> OidcContext:
    context: OidcContext = request.app.state.oidc
    return context


OidcDep = Annotated[OidcContext, Depends(get_oidc)]

"""Bodies of the social sign-in API. Inputs refuse unknown fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HandoffIn(BaseModel):
    """A mobile app trades the hand-off code from its redirect URI, with its PKCE verifier, for tokens."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    code_verifier: str = Field(min_length=43, max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")


class ProviderOut(BaseModel):
    name: str
    display_name: str
    start_url: str


class ProvidersOut(BaseModel):
    items: list[ProviderOut]

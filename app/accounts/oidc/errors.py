"""Social sign-in's errors (problem+json through ``app.errors``).

Each carries ``code``: a short word a browser flow puts in the front end's address instead
(``/#/sign-in?error=CODE``), since a person in a browser should see a page, not a JSON document.
"""

from __future__ import annotations

from app.errors import ProblemError


class OidcError(ProblemError):
    code = "failed"


class UnknownProvider(OidcError):
    status, slug, title = 404, "not-found", "Not found"
    code = "unknown-provider"

    def __init__(self, name: str) -> None:
        super().__init__(f"no sign-in provider is called {name}", param="provider")


class SignInRefused(OidcError):
    """The sign-in cannot be trusted: state, browser, code, ID token or the provider's own refusal.

    ``reason`` (also in the body) says which check failed, for the client's message and the logs.
    """

    status, slug, title = 400, "oidc-refused", "Sign-in refused"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail, reason=reason)
        self.code = reason


class LinkRefused(OidcError):
    """The provider's identity is new, and its email address belongs to an account it may not join."""

    status, slug, title = 409, "oidc-link-refused", "Account not linked"
    code = "link-refused"


class NoEmail(OidcError):
    status, slug, title = 400, "oidc-no-email", "No email address"
    code = "no-email"

    def __init__(self) -> None:
        super().__init__("the provider did not share a usable email address; allow it, or sign up with a password")


class ProviderUnavailable(OidcError):
    """The provider could not be reached in time: try again later."""

    status, slug, title = 503, "oidc-provider-unavailable", "Sign-in provider unavailable"
    code = "provider-unavailable"

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} cannot be reached right now; try again shortly", headers={"Retry-After": "30"})


class ProviderFailed(OidcError):
    """The provider answered, but with an error of its own or something that is not OpenID Connect."""

    status, slug, title = 502, "oidc-provider-error", "Sign-in provider error"
    code = "provider-error"

    def __init__(self, name: str, what: str) -> None:
        super().__init__(f"{name} answered in a way we cannot use ({what}); try again later")

"""The accounts domain's errors (problem+json through ``app.errors``)."""

from __future__ import annotations

from app.errors import ProblemError

REALM = 'Bearer realm="happenings"'


class Unauthorized(ProblemError):
    """No credentials, or credentials that do not hold: the client must sign in (again)."""

    status, slug, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str = "sign in to continue", *, invalid_token: bool = False) -> None:
        challenge = f'{REALM}, error="invalid_token"' if invalid_token else REALM
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class WrongCredentials(ProblemError):
    """Email and password do not match an account (the same answer whichever of the two is wrong)."""

    status, slug, title = 401, "wrong-credentials", "Wrong email or password"

    def __init__(self) -> None:
        super().__init__("the email or the password is wrong", headers={"WWW-Authenticate": REALM})


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Forbidden"


class EmailNotVerified(ProblemError):
    status, slug, title = 403, "email-not-verified", "Email not verified"

    def __init__(self) -> None:
        super().__init__("verify your email address first (see the mail we sent)")


class CsrfRefused(ProblemError):
    status, slug, title = 403, "csrf", "Cross-site request refused"


class InvalidOneTimeToken(ProblemError):
    """A verification or reset token that is unknown, used or expired (one answer for all three)."""

    status, slug, title = 400, "invalid-token", "Invalid or expired link"

    def __init__(self) -> None:
        super().__init__("this link is invalid or has expired; ask for a new one", param="token")


class WeakPassword(ProblemError):
    status, slug, title = 422, "weak-password", "Password too weak"

    def __init__(self, reason: str) -> None:
        super().__init__(f"the password {reason}", param="password")

"""Errors of the notifications domain, rendered as problem+json by ``app.errors``."""

from __future__ import annotations

from app.errors import InvalidParameter, ProblemError


class LimitReached(ProblemError):
    status, slug, title = 409, "limit-reached", "Limit reached"


class UnsafePushEndpoint(InvalidParameter):
    """A Web Push endpoint that is not https or does not resolve to public addresses only."""


class TooManyReports(ProblemError):
    status, slug, title = 429, "too-many-requests", "Too many requests"

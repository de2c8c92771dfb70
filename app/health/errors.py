"""Errors of the health and metrics endpoints, rendered by ``app.errors``."""

from __future__ import annotations

from app.errors import ProblemError


class MetricsTokenRequired(ProblemError):
    status, slug, title = 401, "metrics-token-required", "Metrics token required"

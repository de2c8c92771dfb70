"""Organizers write events: ``/api/v1/events`` (create, edit, publish, cancel, delete) and the
organizer's own lists (``/api/v1/organizers/{id}/events``, ``/audit``).

HTTP only: the body is validated (pydantic, extra fields refused), the permission dependency
loads the event the caller may edit (``app.events.auth``), the service applies the rules
(``app.events.publishing``) and publishes the ``EventChange`` on the unit of work.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["publishing"])

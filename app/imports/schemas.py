"""Models of calendar imports."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


def known_zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {value!r}") from exc
    return value


class UrlImport(BaseModel):
    """Import (and optionally subscribe to) a calendar at a URL."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000, description="http(s) or webcal URL of an iCalendar file")
    subscribe: bool = Field(False, description="Fetch it again on a schedule; events gone from it are cancelled")
    timezone: str | None = Field(None, description="IANA zone for floating times (no TZID); default: the place's")
    publish: bool = Field(False, description="Publish the imported events (default: drafts)")

    _zone = field_validator("timezone")(known_zone)


class ImportParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offset: int = Field(0, ge=0, le=100_000, description="First report entry to return")
    limit: int = Field(200, ge=1, le=1000, description="Report entries to return at most")


class ReportEntry(BaseModel):
    uid: str
    recurrence_id: str | None = Field(None, description="RECURRENCE-ID (override) or rdate:… (an extra date)")
    title: str
    outcome: Literal["created", "updated", "unchanged", "skipped", "cancelled"]
    reason: str | None = None
    event_id: UUID | None = None
    series_id: UUID | None = None


class Progress(BaseModel):
    total: int = Field(description="Entries in the calendar (0 until it is read)")
    processed: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    cancelled: int


class ImportJob(BaseModel):
    id: UUID
    organizer_id: UUID
    source: Literal["file", "url"]
    url: str | None
    subscribe: bool
    status: Literal["queued", "running", "done", "failed"]
    error: str | None = Field(description="Why the import failed (unreadable, refused URL, too large, timeout)")
    progress: Progress
    report: list[ReportEntry]
    report_next_offset: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

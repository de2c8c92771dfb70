"""Shapes of the sharing API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class FeedTokenOut(BaseModel):
    token: str
    url: str
    webcal_url: str
    created_at: datetime

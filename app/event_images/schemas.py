"""Answers of the event image endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EventImage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image_key: str = Field(description="The image's content-addressed key in the media store.")
    width: int = Field(description="Pixels across, after the camera's orientation was applied.")
    height: int
    urls: dict[str, str] = Field(description="Width in pixels -> the WebP file's URL (cached for a year).")

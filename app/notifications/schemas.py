"""Input and output models of devices, geofences, notification settings and the inbox (input: extra="forbid")."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.profiles.schemas import CategorySlug, TimeZoneName

Strict = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------------- devices
class WebPushKeys(BaseModel):
    model_config = Strict
    p256dh: str = Field(min_length=80, max_length=100, pattern=r"^[A-Za-z0-9_-]+={0,2}$")
    auth: str = Field(min_length=16, max_length=32, pattern=r"^[A-Za-z0-9_-]+={0,2}$")


class WebPushSubscription(BaseModel):
    """What the browser's ``PushSubscription.toJSON()`` gives."""

    model_config = Strict
    endpoint: str = Field(min_length=12, max_length=2048, description="An https URL of a public push service.")
    keys: WebPushKeys
    expirationTime: int | None = None


class DeviceIn(BaseModel):
    model_config = Strict
    platform: Literal["fcm", "webpush"]
    token: str | None = Field(None, min_length=20, max_length=4096, pattern=r"^[A-Za-z0-9_:.-]+$")
    subscription: WebPushSubscription | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> DeviceIn:
        if self.platform == "fcm" and (self.token is None or self.subscription is not None):
            raise ValueError("an fcm device gives its registration token (and no subscription)")
        if self.platform == "webpush" and (self.subscription is None or self.token is not None):
            raise ValueError("a webpush device gives its subscription (and no token)")
        return self


class DeviceOut(BaseModel):
    id: UUID
    platform: Literal["fcm", "webpush"]
    created_at: datetime


class DeviceRemove(BaseModel):
    model_config = Strict
    platform: Literal["fcm", "webpush"]
    token: str | None = Field(None, min_length=1, max_length=4096)
    endpoint: str | None = Field(None, min_length=1, max_length=2048)

    @model_validator(mode="after")
    def _one_key(self) -> DeviceRemove:
        if (self.token is None) == (self.endpoint is None):
            raise ValueError("give the fcm token or the webpush endpoint")
        return self


class LocationIn(BaseModel):
    """A device reporting where it is (for "starting soon near you"); the point is not stored."""

    model_config = Strict
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class LocationOut(BaseModel):
    notices: int


# ----------------------------------------------------------------------------------------- geofences
class Center(BaseModel):
    model_config = Strict
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CircleArea(BaseModel):
    model_config = Strict
    center: Center
    radius_m: float = Field(gt=0)


class PolygonArea(BaseModel):
    """A GeoJSON Polygon (lon, lat); a ring may cross the antimeridian (longitudes jump or exceed ±180)."""

    model_config = Strict
    type: Literal["Polygon"]
    coordinates: list[list[Annotated[list[float], Field(min_length=2, max_length=3)]]] = Field(
        min_length=1, max_length=10
    )


def _days(value: list[int] | None) -> list[int] | None:
    return None if value is None else sorted(set(value))


Minute = Annotated[int, Field(ge=0, le=1440)]


class GeofenceFilters(BaseModel):
    model_config = Strict
    name: str | None = Field(None, max_length=80)
    categories: list[CategorySlug] | None = Field(None, min_length=1, max_length=32)
    price_max: int | None = Field(None, ge=0, description="Minor units; free events always match.")
    days: Annotated[list[Annotated[int, Field(ge=1, le=7)]] | None, AfterValidator(_days)] = Field(
        None, min_length=1, max_length=7, description="ISO weekdays (1 = Monday) of the event's local start."
    )
    time_from: Minute | None = Field(None, description="Local start from this minute of the day (inclusive).")
    time_to: Minute | None = Field(None, description="... up to this minute (exclusive); may wrap past midnight.")

    @model_validator(mode="after")
    def _window(self) -> GeofenceFilters:
        given = {"time_from", "time_to"} & self.model_fields_set
        if len(given) == 1 or ((self.time_from is None) != (self.time_to is None)):
            raise ValueError("time_from and time_to go together")
        return self


class GeofenceIn(GeofenceFilters):
    area: CircleArea | PolygonArea


class GeofencePatch(GeofenceFilters):
    area: CircleArea | PolygonArea | None = None


class GeofenceOut(BaseModel):
    id: UUID
    name: str
    area: dict[str, Any]
    categories: list[str] | None
    price_max: int | None
    days: list[int] | None
    time_from: int | None
    time_to: int | None
    created_at: datetime
    updated_at: datetime


class GeofenceList(BaseModel):
    items: list[GeofenceOut]


# -------------------------------------------------------------------------------------- preferences
class ChannelPrefs(BaseModel):
    model_config = Strict
    fcm: bool | None = None
    webpush: bool | None = None


class KindPrefs(BaseModel):
    model_config = Strict
    nearby: bool | None = None
    changes: bool | None = None
    reminders: bool | None = None
    starting_soon: bool | None = None


class QuietHours(BaseModel):
    model_config = Strict
    start: time
    end: time


class NotificationSettingsOut(BaseModel):
    channels: dict[str, bool]
    kinds: dict[str, bool]
    quiet_hours: QuietHours | None
    time_zone: str | None
    daily_cap: int


class NotificationSettingsPatch(BaseModel):
    model_config = Strict
    channels: ChannelPrefs | None = None
    kinds: KindPrefs | None = None
    quiet_hours: QuietHours | None = None
    time_zone: TimeZoneName | None = None


# --------------------------------------------------------------------------------------------- inbox
class Notice(BaseModel):
    id: int
    event_id: UUID
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    state: str
    sent_at: datetime | None


class InboxPage(BaseModel):
    items: list[Notice]
    next_before: int | None


class InboxParams(BaseModel):
    model_config = Strict
    limit: int = Field(50, ge=1, le=200)
    before: int | None = Field(None, ge=1)


class PushConfig(BaseModel):
    vapid_public_key: str | None
    fcm: bool

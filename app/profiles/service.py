"""The rules of a person's profile: what may be stored, when, and in which form."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import h3

from app.accounts.errors import Unauthorized
from app.db import Conn
from app.errors import InvalidParameter, NotFound
from app.kit.media import MediaStore
from app.profiles import repository
from app.profiles.avatars import EXTENSION
from app.profiles.errors import LimitReached
from app.profiles.paging import Position
from app.profiles.schemas import HomeIn, HomeOut, Me, ProfilePatch
from app.recommendations.signals import record_interaction
from config.settings import ProfileSettings
from geo.cells import cell_at, cell_center

AVATARS = "avatars"


@dataclass(frozen=True, slots=True)
class AvatarReplaced:
    """Published when an avatar is replaced or removed: the old file goes once the change is committed."""

    media_token: str
    old_name: str


def new_media_token() -> str:
    return secrets.token_urlsafe(16)


def avatar_url(media_token: str | None, avatar_name: str | None) -> str | None:
    if media_token is None or avatar_name is None:
        return None
    return f"/media/{AVATARS}/{media_token}/{avatar_name}"


async def read_me(conn: Conn, account_id: UUID) -> Me:
    row = await repository.account_with_profile(conn, account_id)
    if row is None:  # erased between the token check and this read
        raise Unauthorized("the account no longer exists", invalid_token=True)
    return Me(
        id=row["id"],
        email=row["email"],
        email_verified=row["email_verified_at"] is not None,
        role=row["role"],
        display_name=row["display_name"],
        avatar_url=avatar_url(row["media_token"], row["avatar_name"]),
        locale=row["locale"],
        time_zone=row["time_zone"],
        units=row["units"] or "metric",
        interests=list(row["interests"]),
        home=home_of(row),
    )


def home_of(row: dict[str, Any]) -> HomeOut | None:
    """The stored home as the API shows it: the exact point, or the area's cell and centre."""
    if row["home_consent_at"] is None:
        return None
    if row["home_cell"] is not None:
        lat, lon = cell_center(row["home_cell"])
        cell: str | None = h3.int_to_str(row["home_cell"])
        precision: Literal["area", "exact"] = "area"
    else:
        lat, lon, cell, precision = row["home_lat"], row["home_lon"], None, "exact"
    return HomeOut(
        precision=precision,
        lat=lat,
        lon=lon,
        cell=cell,
        radius_m=row["home_radius_m"],
        consented_at=row["home_consent_at"],
    )


async def update_profile(
    conn: Conn, account_id: UUID, patch: ProfilePatch, settings: ProfileSettings, now: datetime
) -> None:
    """Apply the fields the PATCH names; ``home`` is stored only with its consent (given at ``now``),
    and in the form chosen."""
    given = patch.model_fields_set
    radius = patch.home.radius_m if patch.home is not None else None
    if radius is not None and radius > settings.max_home_radius_m:
        raise InvalidParameter(f"radius_m is at most {settings.max_home_radius_m}", param="home.radius_m")
    if "interests" in given:
        await _check_categories(conn, patch.interests)
    await repository.ensure_profile(conn, account_id, new_media_token())
    if "display_name" in given:
        await repository.set_display_name(conn, account_id, patch.display_name)
    columns: dict[str, Any] = {name: getattr(patch, name) for name in ("locale", "time_zone", "units") if name in given}
    if columns:
        await repository.update_profile(conn, account_id, columns)
    if "interests" in given:
        await repository.replace_interests(conn, account_id, patch.interests)
    if "home" in given:
        await _store_home(conn, account_id, patch.home, settings, now)


async def _check_categories(conn: Conn, slugs: list[str]) -> None:
    unknown = sorted(set(slugs) - await repository.known_categories(conn, slugs))
    if unknown:
        raise InvalidParameter(f"unknown categories: {', '.join(unknown)}", param="interests")


async def _store_home(
    conn: Conn, account_id: UUID, home: HomeIn | None, settings: ProfileSettings, now: datetime
) -> None:
    if home is None:  # consent withdrawn: the place and the radius go with it
        await repository.forget_home(conn, account_id)
        return
    if home.precision == "area":
        cell = cell_at(home.lat, home.lon, settings.home_cell_resolution)
        await repository.set_home(conn, account_id, point=None, cell=cell, radius_m=home.radius_m, consent_at=now)
    else:
        point = (home.lat, home.lon)
        await repository.set_home(conn, account_id, point=point, cell=None, radius_m=home.radius_m, consent_at=now)


async def set_avatar(conn: Conn, media: MediaStore, account_id: UUID, image: bytes) -> AvatarReplaced | None:
    """Store the cleaned image as the avatar; returns the replaced file's event (to delete after commit)."""
    profile = await repository.ensure_profile(conn, account_id, new_media_token())
    token, old_name = profile["media_token"], profile["avatar_name"]
    name = f"{secrets.token_urlsafe(16)}.{EXTENSION}"
    await media.write(image, AVATARS, token, name)
    try:
        await repository.update_profile(conn, account_id, {"avatar_name": name})
    except BaseException:
        await media.remove(AVATARS, token, name)
        raise
    return None if old_name is None else AvatarReplaced(token, old_name)


async def remove_avatar(conn: Conn, account_id: UUID) -> AvatarReplaced | None:
    profile = await repository.ensure_profile(conn, account_id, new_media_token())
    if profile["avatar_name"] is None:
        return None
    await repository.update_profile(conn, account_id, {"avatar_name": None})
    return AvatarReplaced(profile["media_token"], profile["avatar_name"])


def avatar_remover(media: MediaStore) -> Callable[[AvatarReplaced], Awaitable[None]]:
    """The after-commit listener that deletes a replaced avatar's file."""

    async def remove_old_avatar(event: AvatarReplaced) -> None:
        await media.remove(AVATARS, event.media_token, event.old_name)

    return remove_old_avatar


# ---------------------------------------------------------------- saved events and follows


async def save_event(
    conn: Conn, account_id: UUID, event_id: UUID, settings: ProfileSettings, now: datetime
) -> None:
    """Save the event; a new save is also a signal for recommendations (in the same transaction)."""
    cell = await repository.public_event_cell(conn, event_id)
    if cell is None:
        raise NotFound(f"event {event_id} does not exist or is not public")
    added = await repository.save_event(conn, account_id, cell, event_id, settings.max_saved_events)
    if added == "full":
        raise LimitReached(f"at most {settings.max_saved_events} events can be saved; remove some first")
    if added == "added":
        await record_interaction(conn, account_id=account_id, cell=cell, event_id=event_id, kind="save", at=now)


async def follow_organizer(
    conn: Conn, account_id: UUID, organizer_id: UUID, settings: ProfileSettings, now: datetime
) -> None:
    """Follow the organizer; a new follow is also a signal for recommendations."""
    if not await repository.organizer_exists(conn, organizer_id):
        raise NotFound(f"organizer {organizer_id} does not exist")
    added = await repository.follow(conn, account_id, organizer_id, settings.max_following)
    if added == "full":
        raise LimitReached(f"at most {settings.max_following} organizers can be followed; unfollow some first")
    if added == "added":
        await record_interaction(
            conn, account_id=account_id, cell=None, event_id=None, organizer_id=organizer_id, kind="follow", at=now
        )


async def unsave_event(conn: Conn, account_id: UUID, event_id: UUID) -> None:
    await repository.unsave_event(conn, account_id, event_id)


async def unfollow_organizer(conn: Conn, account_id: UUID, organizer_id: UUID) -> None:
    await repository.unfollow(conn, account_id, organizer_id)


async def saved_events(conn: Conn, account_id: UUID, after: Position | None, limit: int) -> list[dict[str, Any]]:
    """Saved events that are public, most recently saved first."""
    return await repository.saved_events_page(conn, account_id, after, limit)


async def followed_organizers(
    conn: Conn, account_id: UUID, after: Position | None, limit: int
) -> list[dict[str, Any]]:
    return await repository.following_page(conn, account_id, after, limit)

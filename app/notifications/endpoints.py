"""Push devices, geofences, notification preferences, location reports and the inbox: HTTP only.

Everything is the signed-in person's own: another person's geofence id answers 404. Answers are never
cached (``no-store``).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.accounts.auth import SubjectDep
from app.accounts.context import AccountsDep
from app.db import UnitOfWorkDep
from app.kit.query_params import query_model
from app.kit.read_connection import ReadConnDep
from app.notifications import repository, service
from app.notifications.schemas import (
    DeviceIn,
    DeviceOut,
    DeviceRemove,
    GeofenceIn,
    GeofenceList,
    GeofenceOut,
    GeofencePatch,
    InboxPage,
    InboxParams,
    LocationIn,
    LocationOut,
    NotificationSettingsOut,
    NotificationSettingsPatch,
    PushConfig,
)
from config.settings import NotificationSettings

NO_STORE = {"Cache-Control": "no-store"}

router = APIRouter(prefix="/api/v1/me", tags=["notifications"])
public_router = APIRouter(prefix="/api/v1/push", tags=["notifications"])

InboxQuery = Annotated[InboxParams, Depends(query_model(InboxParams))]
_auth: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the session has ended"},
    422: {"description": "Malformed or unknown field (problem+json naming it)"},
}
_limited = {**_auth, 409: {"description": "The per-person limit is reached"}}


def _settings(request: Request) -> NotificationSettings:
    settings: NotificationSettings = request.app.state.settings.notifications
    return settings


@public_router.get("/config", response_model=PushConfig, summary="What a client needs to subscribe to push")
async def push_config(request: Request) -> PushConfig:
    """The VAPID public key (Web Push ``applicationServerKey``; null when Web Push is off)."""
    settings = _settings(request)
    return PushConfig(vapid_public_key=settings.vapid_public_key, fcm=settings.fcm_credentials_file is not None)


@router.post(
    "/devices",
    status_code=201,
    response_model=DeviceOut,
    responses={**_limited, 400: {"description": "A Web Push endpoint that is not https or not public"}},
    summary="Register an FCM token or a Web Push subscription",
)
async def add_device(
    request: Request, body: DeviceIn, subject: SubjectDep, work: UnitOfWorkDep, response: Response
) -> DeviceOut:
    row = await service.add_device(work.conn, subject.account_id, body, _settings(request))
    response.headers.update(NO_STORE)
    return DeviceOut.model_validate(row)


@router.delete("/devices", status_code=204, responses=_auth, summary="Unregister a token or subscription")
async def remove_device(body: DeviceRemove, subject: SubjectDep, work: UnitOfWorkDep) -> Response:
    await service.remove_device(work.conn, subject.account_id, body)
    return Response(status_code=204)


@router.post(
    "/location",
    response_model=LocationOut,
    responses={**_auth, 429: {"description": "More than one report per few minutes (Retry-After)"}},
    summary='Report where a device is ("starting soon near you"; the point is not stored)',
)
async def report_location(
    request: Request, body: LocationIn, subject: SubjectDep, work: UnitOfWorkDep, accounts: AccountsDep
) -> LocationOut:
    written = await service.report_location(
        work.conn, subject.account_id, body.lat, body.lon, accounts.clock(), _settings(request)
    )
    return LocationOut(notices=written)


@router.get("/geofences", response_model=GeofenceList, responses=_auth, summary="The person's geofences")
async def list_geofences(request: Request, subject: SubjectDep, db: ReadConnDep, response: Response) -> GeofenceList:
    rows = await repository.list_geofences(await db.get(), subject.account_id, _settings(request).max_geofences)
    response.headers.update(NO_STORE)
    return GeofenceList(items=[service.geofence_out(row) for row in rows])


@router.post(
    "/geofences",
    status_code=201,
    response_model=GeofenceOut,
    responses={**_limited, 400: {"description": "An area that is not a valid geofence (param names it)"}},
    summary="Save a geofence (a circle or a GeoJSON Polygon, with filters)",
)
async def create_geofence(
    request: Request, body: GeofenceIn, subject: SubjectDep, work: UnitOfWorkDep, response: Response
) -> GeofenceOut:
    response.headers.update(NO_STORE)
    return await service.create_geofence(work.conn, subject.account_id, body, _settings(request))


@router.patch(
    "/geofences/{geofence_id}",
    response_model=GeofenceOut,
    responses={**_auth, 400: {"description": "Invalid area"}, 404: {"description": "No such geofence of yours"}},
    summary="Change a geofence",
)
async def update_geofence(
    request: Request,
    geofence_id: UUID,
    body: GeofencePatch,
    subject: SubjectDep,
    work: UnitOfWorkDep,
    response: Response,
) -> GeofenceOut:
    response.headers.update(NO_STORE)
    return await service.update_geofence(work.conn, subject.account_id, geofence_id, body, _settings(request))


@router.delete(
    "/geofences/{geofence_id}",
    status_code=204,
    responses={**_auth, 404: {"description": "No such geofence of yours"}},
    summary="Remove a geofence",
)
async def delete_geofence(geofence_id: UUID, subject: SubjectDep, work: UnitOfWorkDep) -> Response:
    await service.delete_geofence(work.conn, subject.account_id, geofence_id)
    return Response(status_code=204)


@router.get(
    "/notification-settings",
    response_model=NotificationSettingsOut,
    responses=_auth,
    summary="Channels, kinds, quiet hours",
)
async def get_settings(
    request: Request, subject: SubjectDep, db: ReadConnDep, response: Response
) -> NotificationSettingsOut:
    response.headers.update(NO_STORE)
    return await service.read_settings(await db.get(), subject.account_id, _settings(request))


@router.patch(
    "/notification-settings",
    response_model=NotificationSettingsOut,
    responses=_auth,
    summary="Change channels, kinds, quiet hours or time zone",
)
async def patch_settings(
    request: Request, body: NotificationSettingsPatch, subject: SubjectDep, work: UnitOfWorkDep, response: Response
) -> NotificationSettingsOut:
    """Fields left out stay; ``quiet_hours: null`` goes back to the default quiet hours."""
    await service.update_settings(work.conn, subject.account_id, body)
    response.headers.update(NO_STORE)
    return await service.read_settings(work.conn, subject.account_id, _settings(request))


@router.get("/inbox", response_model=InboxPage, responses=_auth, summary="The person's notices, newest first")
async def inbox(params: InboxQuery, subject: SubjectDep, db: ReadConnDep, response: Response) -> InboxPage:
    """Paged by id: pass ``next_before`` as ``before`` for the next page."""
    rows = await repository.inbox(await db.get(), subject.account_id, params.limit, params.before)
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    response.headers.update(NO_STORE)
    return InboxPage.model_validate({"items": rows, "next_before": rows[-1]["id"] if more else None})

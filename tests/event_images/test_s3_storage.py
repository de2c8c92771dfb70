"""Event images in an S3-compatible bucket: a real S3 API (moto's server, on a local port) behind boto3."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from app.kit.media import S3Blobs
from config.settings import MediaSettings, Settings, StorageSettings
from tests.accounts.helpers import bearer
from tests.event_images.test_event_images import PARIS, _photo
from tests.venues.helpers import Team, event_at, team

moto_server = pytest.importorskip("moto.server")
BUCKET = "happenings-media"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def settings(settings: Settings, tmp_path: Path, s3_endpoint: str) -> Settings:
    storage = StorageSettings(
        backend="s3", bucket=BUCKET, endpoint_url=s3_endpoint, access_key_id="test",
        secret_access_key="test", key_prefix="test/",
    )  # fmt: skip
    S3Blobs(storage)._client.create_bucket(Bucket=BUCKET)
    return settings.model_copy(update={"media": MediaSettings(root=str(tmp_path / "unused")), "storage": storage})


async def test_images_are_stored_in_and_served_from_the_bucket(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    people: Team = await team(client)
    event_id: UUID = await event_at(database_url, people.org, None, PARIS)
    response = await client.post(f"/api/v1/events/{event_id}/image", files={"image": ("p.jpg", _photo(), "image/jpeg")},
                                 headers=bearer(people.editor))  # fmt: skip
    assert response.status_code == 200, response.text
    key = response.json()["image_key"]
    blobs: S3Blobs = app.state.blobs
    listed = blobs._client.list_objects_v2(Bucket=BUCKET, Prefix=f"test/{key}/")
    assert sorted(item["Key"].rsplit("/", 1)[1] for item in listed["Contents"]) == ["1920.webp", "320.webp", "960.webp"]
    assert not (tmp_path / "unused").exists()  # nothing on local disk
    served = await client.get(response.json()["urls"]["960"])
    assert served.status_code == 200 and "immutable" in served.headers["cache-control"]
    assert Image.open(io.BytesIO(served.content)).width == 960
    assert (await client.get(f"/media/{key}/4000.webp")).status_code == 404

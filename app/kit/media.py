"""Files people upload (avatars, event images), kept under one media root on local disk or in a bucket.

Every path is built from parts that match ``PART`` (letters, digits, ``_``, ``-``, and one dot for a
file's extension), so no name a client sends can leave the root. Writes go to a temporary file that
is then renamed into place: a reader sees the whole file or none. Disk work runs in a worker thread.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from functools import partial
from pathlib import Path
from typing import Annotated, Protocol

import anyio
from fastapi import Depends, Request

from config.settings import StorageSettings

PART = re.compile(r"^[A-Za-z0-9_-]{1,64}(\.[a-z0-9]{1,8})?$")


class MediaStore:
    """Reads and writes files below ``root`` by validated relative parts."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, *parts: str) -> Path:
        """The file or folder at ``parts`` below the root; ``ValueError`` for a part that is not a plain name."""
        if not parts or not all(PART.match(part) for part in parts):
            raise ValueError("not a media path")
        return self.root.joinpath(*parts)

    async def write(self, data: bytes, *parts: str) -> None:
        await anyio.to_thread.run_sync(_write_atomically, self.path(*parts), data)

    async def read(self, *parts: str) -> bytes | None:
        return await anyio.to_thread.run_sync(_read_if_present, self.path(*parts))

    async def remove(self, *parts: str) -> None:
        await anyio.to_thread.run_sync(_remove_file, self.path(*parts))

    async def remove_folder(self, *parts: str) -> None:
        """Remove the folder and everything in it (nothing happens when it does not exist)."""
        await anyio.to_thread.run_sync(_remove_tree, self.path(*parts))


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_if_present(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None


def _remove_file(target: Path) -> None:
    target.unlink(missing_ok=True)


def _remove_tree(target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(target)


def get_media(request: Request) -> MediaStore:
    media: MediaStore = request.app.state.media
    return media


MediaDep = Annotated[MediaStore, Depends(get_media)]


# ------------------------------------------------------------------------------- files by key, anywhere


class BlobStore(Protocol):
    """Files by validated parts (``PART``), on local disk or in an S3-compatible bucket."""

    async def put(self, data: bytes, content_type: str, *parts: str) -> None: ...

    async def get(self, *parts: str) -> bytes | None: ...

    async def delete(self, *parts: str) -> None: ...


class LocalBlobs:
    """A ``BlobStore`` under the media root (``MediaStore``): the default."""

    def __init__(self, media: MediaStore) -> None:
        self.media = media

    async def put(self, data: bytes, content_type: str, *parts: str) -> None:
        await self.media.write(data, *parts)

    async def get(self, *parts: str) -> bytes | None:
        return await self.media.read(*parts)

    async def delete(self, *parts: str) -> None:
        await self.media.remove(*parts)


class S3Blobs:
    """A ``BlobStore`` in an S3-compatible bucket through boto3, whose blocking calls run in worker threads."""

    def __init__(self, settings: StorageSettings) -> None:
        import boto3  # imported here: only deployments that store in a bucket load the SDK

        if not settings.bucket:
            raise ValueError("HAPPENINGS_STORAGE__BUCKET is needed for the s3 storage backend")
        secret = None if settings.secret_access_key is None else settings.secret_access_key.get_secret_value()
        self._client = boto3.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region,
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=secret,
        )
        self._bucket = settings.bucket
        self._prefix = settings.key_prefix

    def key(self, *parts: str) -> str:
        if not parts or not all(PART.match(part) for part in parts):
            raise ValueError("not a media path")
        return self._prefix + "/".join(parts)

    async def put(self, data: bytes, content_type: str, *parts: str) -> None:
        put = partial(self._client.put_object, Bucket=self._bucket, Key=self.key(*parts), Body=data,
                      ContentType=content_type)  # fmt: skip
        await anyio.to_thread.run_sync(put)

    async def get(self, *parts: str) -> bytes | None:
        return await anyio.to_thread.run_sync(self._get, self.key(*parts))

    def _get(self, key: str) -> bytes | None:
        try:
            answer = self._client.get_object(Bucket=self._bucket, Key=key)
        except self._client.exceptions.NoSuchKey:
            return None
        body: bytes = answer["Body"].read()
        return body

    async def delete(self, *parts: str) -> None:
        await anyio.to_thread.run_sync(partial(self._client.delete_object, Bucket=self._bucket, Key=self.key(*parts)))


def make_blobs(settings: StorageSettings, media: MediaStore) -> BlobStore:
    return S3Blobs(settings) if settings.backend == "s3" else LocalBlobs(media)


def get_blobs(request: Request) -> BlobStore:
    blobs: BlobStore = request.app.state.blobs
    return blobs


BlobsDep = Annotated[BlobStore, Depends(get_blobs)]

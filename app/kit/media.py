"""Files people upload (avatars), kept under one media root on local disk.

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
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import Depends, Request

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

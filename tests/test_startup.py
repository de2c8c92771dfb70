"""A server process keeps its start-up objects out of later garbage collections (``app.main``)."""

from __future__ import annotations

import os
import subprocess
import sys

# Runs in its own process: the freeze is per process, and the test process leaves it off.
SERVER = """
import asyncio, gc
from app.main import create_app, freeze_startup_objects

async def main():
    before = gc.get_freeze_count()
    app = create_app()
    async with app.router.lifespan_context(app):
        frozen = gc.get_freeze_count()
        freeze_startup_objects()  # a second app, or a second call: nothing more
        print(before, frozen, gc.get_freeze_count())

asyncio.run(main())
"""


def test_a_server_freezes_what_start_up_allocated_once(clean_db: str, redis_prefix: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": clean_db,
        "HAPPENINGS_REDIS__KEY_PREFIX": redis_prefix,
        "HAPPENINGS_LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-c", SERVER], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    before, frozen, again = map(int, done.stdout.split())
    assert before == 0 and frozen > 10_000 and again == frozen

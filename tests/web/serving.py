"""`python -m app serve` in a process of its own, for the tests that speak to it over sockets."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.e2e.harness import _delete_keys, free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
HEADER_TIMEOUT_S = 1.5


@dataclass
class Served:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def serve(database_url: str, dist: Path, **env: str) -> Iterator[Served]:
    """``python -m app serve`` on a free port, ready when yielded, stopped afterwards."""
    port, prefix = free_port(), f"test:{uuid.uuid4().hex[:10]}:"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HAPPENINGS_")}
    full_env.update({
        "DATABASE_URL": database_url,
        "HAPPENINGS_ENVIRONMENT": "test",
        "HAPPENINGS_REDIS__KEY_PREFIX": prefix,
        "HAPPENINGS_FRONTEND_DIST": str(dist),
        "HAPPENINGS_LOG_LEVEL": "WARNING",
        "HAPPENINGS_FREEZE_GC_AT_STARTUP": "false",
        "HAPPENINGS_HTTP__HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        **env,
    })
    # A file, not a pipe: a pipe nobody reads would stall a chatty server.
    with tempfile.TemporaryFile() as log:
        command = [sys.executable, "-m", "app", "serve", "--port", str(port)]
        process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        served = Served(port, process)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise AssertionError(f"the server exited:\n{log.read().decode(errors='replace')[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{served.url}/healthz", timeout=2).status_code == 200:
                        break
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
            yield served
        finally:
            stop_process(process)
            _delete_keys(prefix)

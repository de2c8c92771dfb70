"""The pieces of a real-browser run: built front end, seeded database, server subprocess, Chromium.

Shared by the e2e fixtures (conftest.py) and the first-map timing script (first_map_timing.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row
from redis import Redis

from app.events import service
from app.events.schemas import EventCreate

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist"
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
REDIS_URL = "redis://127.0.0.1:6379/0"
# The tests' "now": the seeded data is made around it and every browser's clock is fixed at it.
# A Wednesday at noon UTC; the data spans the week before it to three months after (app.seed),
# which holds the instants the calendar tests pin (week, month and daylight-saving boundaries).
ANCHOR = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
BROWSER_ZONE = "Europe/Paris"  # every context's, unless a test says otherwise

# Accounts in the browser tests: cheap password hashing (tests only), abuse limits per address as
# configured but per IP (every test comes from 127.0.0.1) wide enough for the whole suite, and one
# social sign-in provider, so the sign-in page shows its button (nothing listens at its issuer).
ACCOUNTS_ENV = {
    "HAPPENINGS_AUTH__ARGON2_TIME_COST": "1",
    "HAPPENINGS_AUTH__ARGON2_MEMORY_KIB": "1024",
    "HAPPENINGS_AUTH__LOGIN_IP_LIMIT": "1000/300",
    "HAPPENINGS_AUTH__REGISTER_IP_LIMIT": "1000/3600",
    "HAPPENINGS_AUTH__RESET_IP_LIMIT": "1000/3600",
    "HAPPENINGS_AUTH__TOKEN_IP_LIMIT": "1000/900",
    "HAPPENINGS_OIDC__PROVIDERS": json.dumps(
        {
            "example": {
                "issuer": "http://127.0.0.1:9",
                "client_id": "e2e",
                "client_secret": "e2e",
                "display_name": "Example ID",
            }
        }
    ),
}

CHROMIUM = "/usr/bin/chromium"
# WebGL2 through SwiftShader: MapLibre renders headless on machines without a GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


def build_frontend() -> Path:
    """Run frontend/build.sh (a no-op when dist is newer than the sources); return dist."""
    result = subprocess.run(["bash", str(FRONTEND / "build.sh")], cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"frontend build failed:\n{result.stdout}\n{result.stderr}")
    return DIST


def seed(url: str, events: int, anchor: datetime, seed_value: int = 7) -> None:
    """Seed with the project's seed CLI, exactly as a person would, with dates made around ``anchor``."""
    env = {**os.environ, "DATABASE_URL": url}
    cmd = [sys.executable, "-m", "app.seed", "--events", str(events), "--seed", str(seed_value), "--no-progress"]
    cmd += ["--anchor", anchor.isoformat()]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{result.stdout}\n{result.stderr}")


def add_events(url: str, events: list[dict[str, object]], organizer: str = "End-to-end tests") -> None:
    """Write events through the service's write path (one organizer, one transaction)."""

    async def write() -> None:
        async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
            cursor = await conn.execute("INSERT INTO organizers (name) VALUES (%s) RETURNING id", (organizer,))
            row = await cursor.fetchone()
            assert row is not None
            for fields in events:
                await service.create_event(conn, EventCreate.model_validate({**fields, "organizer_id": row["id"]}))

    # In a thread of its own: a running Playwright keeps an event loop busy on the calling one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, write()).result()


def browser_context(
    browser: Any, base_url: str, *, now: datetime = ANCHOR, timezone_id: str = BROWSER_ZONE, **options: Any
) -> Any:
    """A Playwright context whose clock reads ``now`` (fixed; timers still run) in ``timezone_id``."""
    context = browser.new_context(base_url=base_url, locale="en-GB", timezone_id=timezone_id, **options)
    context.clock.set_fixed_time(now)
    context.set_default_timeout(15_000)
    return context


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    redis_prefix: str

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines of a subprocess's log."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def run_server(database_url: str, dist: Path, **env_overrides: str) -> Iterator[Server]:
    """The real app under uvicorn on a free port, ready (``/readyz`` 200) when yielded."""
    port = free_port()
    prefix = f"e2e:{uuid.uuid4().hex[:10]}:"
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"e2e-server-{port}.log"
    media = tempfile.TemporaryDirectory(prefix="happenings-e2e-media-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "HAPPENINGS_REDIS__KEY_PREFIX": prefix,
        "HAPPENINGS_FRONTEND_DIST": str(dist),
        "HAPPENINGS_LOG_JSON": "false",
        "HAPPENINGS_LOG_LEVEL": "WARNING",
        **ACCOUNTS_ENV,
        # Development, as on `make run`: mail stays in the outbox, which /api/v1/dev/outbox lists, so
        # the tests follow the links in mails the way a person trying the service does.
        "HAPPENINGS_ENVIRONMENT": "development",
        "HAPPENINGS_MAIL__PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HAPPENINGS_MEDIA__ROOT": media.name,
        **env_overrides,
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--timeout-graceful-shutdown",
        "3",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log_path, prefix)
    try:
        _wait_ready(server)
        yield server
    finally:
        stop_process(process)
        _delete_keys(prefix)
        log_path.unlink(missing_ok=True)
        media.cleanup()


# The job worker in the browser tests looks for event changes and due notices five times a second.
WORKER_ENV = {
    "HAPPENINGS_NOTIFICATIONS__POLL_EVERY_S": "0.2",
}


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)


@contextlib.contextmanager
def run_worker(database_url: str, server: Server, **env_overrides: str) -> Iterator[Worker]:
    """`python -m app worker` beside ``server``: its database, its Redis prefix (the live map hears the
    worker's changes), development (pushes land in the outbox); running when yielded."""
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"e2e-worker-{server.base_url.rsplit(':', 1)[-1]}.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "HAPPENINGS_REDIS__KEY_PREFIX": server.redis_prefix,
        "HAPPENINGS_LOG_JSON": "false",
        "HAPPENINGS_LOG_LEVEL": "WARNING",
        "HAPPENINGS_ENVIRONMENT": "development",
        **WORKER_ENV,
        **env_overrides,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    worker = Worker(process, log_path)
    try:
        time.sleep(0.5)
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}:\n{worker.log_tail()}")
        yield worker
    finally:
        stop_process(process)
        log_path.unlink(missing_ok=True)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Ask a server process to stop; kill it when it has not within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_ready(server: Server, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            response = httpx.get(f"{server.base_url}/readyz", timeout=2)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready after {timeout_s}s ({last}):\n{server.log_tail()}")


def _delete_keys(prefix: str) -> None:
    with contextlib.suppress(Exception):
        client = Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def densest_place(database_url: str, anchor: datetime, timezone: str | None = None) -> tuple[float, float]:
    """(lat, lon) of the 0.1° cell (about 10 km) with the most events after ``anchor``: where the map
    shows most; only among events held in ``timezone`` when given."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            """
            SELECT avg(ST_Y(geom)), avg(ST_X(geom))
            FROM events
            WHERE status = 'published' AND starts_at > %(anchor)s
              AND (%(timezone)s::text IS NULL OR timezone = %(timezone)s::text)
            GROUP BY round(ST_Y(geom)::numeric, 1), round(ST_X(geom)::numeric, 1)
            ORDER BY count(*) DESC, 1, 2
            LIMIT 1
            """,
            {"anchor": anchor, "timezone": timezone},
        ).fetchone()
    if row is None or row[0] is None:
        raise RuntimeError(f"the e2e database has no published events after {anchor} in {timezone or 'any zone'}")
    return float(row[0]), float(row[1])

"""Bad configuration stops `python -m app` with one clear line and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _preflight(**env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HAPPENINGS_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "app", "preflight"], env=full_env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/happenings"}, "cannot reach PostgreSQL at 127.0.0.1:1"),
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "cannot reach Redis at redis://127.0.0.1:1/0"),
        ({"REDIS_URL": "http://nope"}, "fix REDIS_URL"),
        ({"HAPPENINGS_DATABASE__POOL_MAX": "many"}, "bad setting database.pool_max"),
        ({"HAPPENINGS_ENVIRONMENT": "production"}, "CURSOR_SECRET must be set outside development"),
        (
            {"HAPPENINGS_ENVIRONMENT": "production", "HAPPENINGS_DISCOVERY__CURSOR_SECRET": "a-real-secret"},
            "JWT_PRIVATE_KEY_FILE must be set outside development",
        ),
        (
            {
                "HAPPENINGS_ENVIRONMENT": "production",
                "HAPPENINGS_DISCOVERY__CURSOR_SECRET": "a-real-secret",
                "HAPPENINGS_AUTH__JWT_PRIVATE_KEY_FILE": "/run/secrets/jwt-ed25519.pem",
            },
            "PUBLIC_BASE_URL must be set outside development",
        ),
        ({"HAPPENINGS_HTTP__PUBLIC_BASE_URL": "maps.example.org"}, "bad setting http.public_base_url"),
        ({"HAPPENINGS_HTTP__CORS_ORIGINS": "https://app.example/path"}, "bad setting http.cors_origins"),
    ],
)
def test_bad_configuration_is_one_clear_line(env: dict[str, str], expected: str, database_url: str) -> None:
    result = _preflight(**{"DATABASE_URL": database_url, **env})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.stderr


def test_good_configuration_passes(database_url: str) -> None:
    result = _preflight(DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr

"""Logs are JSON lines, and a line written while serving a request carries its request id."""

from __future__ import annotations

import io
import json
import logging

import httpx

from app.kit.logging import configure_logging


async def test_access_log_is_json_with_request_id(client: httpx.AsyncClient) -> None:
    stream = io.StringIO()
    configure_logging("INFO", json_lines=True)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        await client.get("/healthz", headers={"x-request-id": "req-42"})
    finally:
        logging.getLogger().handlers = []
    records = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    access = [r for r in records if r.get("logger") == "happenings.access"]
    assert access, records
    assert access[-1]["request_id"] == "req-42"
    assert access[-1]["status"] == 200 and access[-1]["path"] == "/healthz"

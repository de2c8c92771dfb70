"""How ``python -m app serve`` runs uvicorn: which proxies are believed, and limits on the request head.

uvicorn's httptools protocol reads a request's head with no limit on its size and no deadline: a
1 MB header was read and served, and a client sending one header line a second held its
connection (and the memory of its head) for as long as it liked. ``HeadLimitedProtocol`` adds
both limits while the head is read, before anything is parsed into a request:

- more than ``settings.http.max_header_bytes`` received without the head being complete: 431,
  and the connection is closed;
- the head not complete ``settings.http.header_timeout_s`` after the connection opened (or the
  previous response ended): 408 and close (a connection that sent nothing is just closed).

The application refuses too many header fields itself (``app.kit.http_policy``), under any server.
``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed only from ``settings.http.forwarded_allow_ips``.
"""

from __future__ import annotations

import asyncio
import json
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from config.settings import HttpSettings, Settings


@cache
def _limits() -> HttpSettings:
    # Read in the serving process itself: uvicorn's worker processes import this class, not our objects.
    return Settings().http


class HeadLimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a size limit and a deadline on each request's head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limits = _limits()
        self.max_head_bytes = limits.max_header_bytes
        self.head_timeout_s = limits.header_timeout_s
        self.head_bytes = 0
        self.reading_head = False
        self.head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self.reading_head:
            self._start_head()

    def on_headers_complete(self) -> None:
        self._stop_head()
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.reading_head and not self.transport.is_closing():
            self.head_bytes += len(data)
            if self.head_bytes > self.max_head_bytes:
                detail = f"the request's head exceeds {self.max_head_bytes} bytes"
                self._refuse(431, "Request Header Fields Too Large", detail)

    def _start_head(self) -> None:
        self._stop_head()
        self.reading_head, self.head_bytes = True, 0
        self.head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _stop_head(self) -> None:
        self.reading_head = False
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if not self.reading_head or self.transport.is_closing():
            return
        if self.head_bytes == 0:  # nothing sent yet: an idle connection, closed without a word
            self._stop_head()
            self.transport.close()
            return
        self._refuse(408, "Request Timeout", f"the request's head was not complete within {self.head_timeout_s:g} s")

    def _refuse(self, status: int, reason: str, detail: str) -> None:
        """Answer a problem+json and close: the rest of this head is never read."""
        self._stop_head()
        problem = {"type": f"https://happenings.dev/problems/http-{status}", "title": reason, "status": status}
        body = json.dumps({**problem, "detail": detail}).encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        ).encode()
        self.transport.write(head + body)
        self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` that carry the HTTP settings."""
    proxies = settings.http.forwarded_allow_ips
    return {
        "http": HeadLimitedProtocol,
        # Without configured proxies, X-Forwarded-* is ignored (uvicorn would otherwise believe 127.0.0.1).
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": ",".join(proxies) if proxies else None,
        "server_header": False,
    }

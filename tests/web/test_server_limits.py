"""`python -m app serve` as deployed: limits on the request head, trusted proxies, HEAD, over real sockets.

Each test speaks raw HTTP/1.1 to a server process, as a misbehaving client would, and every loop
is bounded in count and time.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.web.serving import HEADER_TIMEOUT_S, Served, serve


@pytest.fixture(scope="module")
def server(database_url: str, module_dist: Path) -> Iterator[Served]:
    with serve(database_url, module_dist) as served:
        yield served


def exchange(served: Served, request: bytes, *, wait_s: float = 10.0) -> bytes:
    """Send ``request`` (from a thread, as a client that does not wait) and read the answer until close."""
    sock = socket.create_connection(("127.0.0.1", served.port))
    sock.settimeout(wait_s)

    def push() -> None:
        with contextlib.suppress(OSError):
            sock.sendall(request)

    sender = threading.Thread(target=push, daemon=True)
    sender.start()
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    finally:
        sock.close()
        sender.join(timeout=wait_s)
    return received


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def get(path: str, *header_lines: bytes) -> bytes:
    head = [f"GET {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", *header_lines, b"Connection: close"]
    return b"\r\n".join(head) + b"\r\n\r\n"


def test_a_one_megabyte_header_is_refused(server: Served) -> None:
    answer = exchange(server, get("/healthz", b"X-Large: " + b"a" * 1_000_000))
    assert _status(answer) == 431, answer[:200]
    assert b"application/problem+json" in answer and b'"ok"' not in answer


def test_five_thousand_headers_are_refused(server: Served) -> None:
    answer = exchange(server, get("/healthz", *(b"X-Field-%d: v" % i for i in range(5_000))))
    assert _status(answer) == 431, answer[:200]
    # Small enough in bytes for the server, too many for the application: still 431.
    answer = exchange(server, get("/healthz", *(b"a%d: b" % i for i in range(200))))
    assert _status(answer) == 431 and b"more than 100 header fields" in answer, answer[:400]


def test_a_big_allowed_head_and_a_big_body_are_read(server: Served) -> None:
    answer = exchange(server, get("/healthz", b"Cookie: " + b"c" * 20_000))
    assert _status(answer) == 200, answer[:200]
    body = b"x" * 200_000  # the head limit is on the head, not the body
    post = b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    answer = exchange(server, post + body)
    assert _status(answer) == 405 and b"allow: get, head, options" in answer.lower()


def test_a_slow_head_is_cut_off(server: Served) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(HEADER_TIMEOUT_S * 4)
    started = time.monotonic()
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    answer = b""
    with contextlib.suppress(OSError):
        for i in range(20):  # one header line every 0.3 s: never complete
            time.sleep(0.3)
            sock.sendall(b"X-Slow-%d: still here\r\n" % i)
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            answer += chunk
    sock.close()
    elapsed = time.monotonic() - started
    assert _status(answer) == 408, answer[:200]
    assert elapsed < HEADER_TIMEOUT_S * 4


def test_an_idle_connection_is_closed(server: Served) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(HEADER_TIMEOUT_S * 4)
    started = time.monotonic()
    assert sock.recv(100) == b""  # closed without a word
    assert time.monotonic() - started < HEADER_TIMEOUT_S * 4
    sock.close()


def test_keep_alive_gives_each_request_its_own_deadline(server: Served) -> None:
    with httpx.Client(base_url=server.url) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
            time.sleep(HEADER_TIMEOUT_S * 0.6)  # within the keep-alive timeout; adds up past the head deadline


def test_head_and_names_over_the_wire(server: Served) -> None:
    head = exchange(server, b"HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert _status(head) == 200 and b"content-length: 15" in head.lower() and head.endswith(b"\r\n\r\n")
    assert b"\nserver:" not in head.lower()  # no server banner
    for path in ("/assets/../index.html", "/assets/%2e%2e/index.html", "/assets/../../pyproject.toml",
                 "/assets/a%00b.js", "/assets/" + "n" * 300 + ".js"):
        answer = exchange(server, get(path))
        assert _status(answer) == 404, (path, answer[:200])
        assert b"immutable" not in answer


def _tile_url(served: Served, *forged: bytes) -> str:
    answer = exchange(served, get("/tiles/events.json", *forged))
    assert _status(answer) == 200, answer[:300]
    return httpx.Response(200, content=answer.split(b"\r\n\r\n", 1)[1]).json()["tiles"][0]


FORGED = (b"X-Forwarded-Proto: https", b"X-Forwarded-For: 203.0.113.9")


def test_forwarded_headers_are_ignored_unless_the_proxy_is_configured(
    server: Served, database_url: str, module_dist: Path
) -> None:
    assert _tile_url(server, *FORGED).startswith("http://127.0.0.1/tiles/")  # the Host the request named
    with serve(database_url, module_dist, HAPPENINGS_HTTP__FORWARDED_ALLOW_IPS="127.0.0.1") as proxied:
        assert _tile_url(proxied, *FORGED).startswith("https://127.0.0.1/tiles/")
    public = "https://maps.example.org"
    with serve(database_url, module_dist, HAPPENINGS_HTTP__PUBLIC_BASE_URL=public) as configured:
        assert _tile_url(configured, *FORGED, b"X-Forwarded-Host: evil.example").startswith(f"{public}/tiles/")

"""config/deploy/nginx in front of `python -m app serve`: the shipped limits and proxy headers, over TLS.

Runs the shipped files with local paths and ports (each substitution is checked to apply), on
127.0.0.1 only. Skipped where nginx is not installed (`apt-get install nginx`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.harness import free_port
from tests.web.serving import serve

DEPLOY = Path(__file__).resolve().parents[2] / "config" / "deploy" / "nginx"
NAME = "maps.example.org"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HEAD_TIMEOUT_S = 2

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (apt-get install nginx)")


def _certificate(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=365 * 100))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (folder / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def _substitute(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in text, f"the shipped file no longer has {old!r}"
        text = text.replace(old, new)
    return text


@contextlib.contextmanager
def nginx(folder: Path, app_port: int) -> Iterator[tuple[int, int]]:
    """The shipped site on (http_port, https_port), proxying to the app on ``app_port``."""
    http_port, https_port = free_port(), free_port()
    _certificate(folder)
    site = _substitute((DEPLOY / "happenings.conf").read_text(), {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "/etc/letsencrypt/live/maps.example.org/": f"{folder}/",
        "/etc/nginx/happenings/proxy.conf": str(DEPLOY / "proxy.conf"),
        "client_header_timeout 10s;": f"client_header_timeout {HEAD_TIMEOUT_S}s;",
        "    listen [::]:80;\n": "", "    listen [::]:80 default_server;\n": "",
        "    listen [::]:443 ssl default_server;\n": "", "    listen [::]:443 ssl http2;\n": "",
        "listen 80": f"listen 127.0.0.1:{http_port}", "listen 443": f"listen 127.0.0.1:{https_port}",
    })
    (folder / "happenings.conf").write_text(site)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "".join(f"{kind}_temp_path {folder}/{kind};\n" for kind in kinds)
    (folder / "nginx.conf").write_text(
        f"user root;\nworker_processes 1;\nerror_log {folder}/error.log;\npid {folder}/nginx.pid;\n"
        f"events {{ worker_connections 64; }}\nhttp {{\naccess_log off;\n{temp}include {folder}/happenings.conf;\n}}\n"
    )
    command = [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", https_port), timeout=1):
                break
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else "nginx exited"
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)
        yield http_port, https_port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def proxy(database_url: str, module_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    env = {"HAPPENINGS_HTTP__FORWARDED_ALLOW_IPS": "127.0.0.1"}
    with serve(database_url, module_dist, **env) as app, nginx(tmp_path_factory.mktemp("nginx"), app.port) as ports:
        yield ports


def _tls(port: int, request: bytes, *, sni: str = NAME, wait_s: float = 10.0) -> bytes:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=wait_s)
    answer = b""
    with context.wrap_socket(raw, server_hostname=sni) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(request)
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
    return answer


def _get(path: str, *lines: bytes, host: bytes = NAME.encode()) -> bytes:
    head = [b"GET %s HTTP/1.1" % path.encode(), b"Host: " + host, *lines, b"Connection: close"]
    return b"\r\n".join(head) + b"\r\n\r\n"


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def test_requests_reach_the_app_with_its_headers_and_hsts(proxy: tuple[int, int]) -> None:
    answer = _tls(proxy[1], _get("/healthz"))
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert _status(answer) == 200, answer[:300]
    assert b"strict-transport-security: max-age=63072000" in head
    assert b"x-content-type-options: nosniff" in head and b"content-security-policy:" in head
    assert b"server: nginx\r\n" in head  # no version


def test_the_app_believes_only_what_nginx_says(proxy: tuple[int, int]) -> None:
    forged = (b"X-Forwarded-Host: evil.example", b"X-Forwarded-Proto: http", b"Forwarded: host=evil.example")
    answer = _tls(proxy[1], _get("/tiles/events.json", *forged))
    assert _status(answer) == 200, answer[:300]
    tiles = httpx.Response(200, content=answer.split(b"\r\n\r\n", 1)[1]).json()["tiles"]
    assert tiles[0].startswith(f"https://{NAME}/tiles/events/"), tiles


def test_oversized_heads_are_refused_by_nginx(proxy: tuple[int, int]) -> None:
    large = _tls(proxy[1], _get("/healthz", b"X-Large: " + b"a" * 1_000_000))
    many = _tls(proxy[1], _get("/healthz", *(b"X-Field-%d: v" % i for i in range(5_000))))
    for answer in (large, many):
        assert _status(answer) == 400, answer[:300]
        assert b'"ok"' not in answer


def _put(path: str, body: bytes) -> bytes:
    head = [b"PUT %s HTTP/1.1" % path.encode(), b"Host: " + NAME.encode(), b"Content-Type: image/jpeg",
            b"Content-Length: %d" % len(body), b"Connection: close"]  # fmt: skip
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def test_only_avatar_uploads_may_exceed_the_json_body_limit(proxy: tuple[int, int]) -> None:
    two_megabytes = b"\xff" * 2_000_000
    avatar = _tls(proxy[1], _put("/api/v1/me/avatar", two_megabytes))
    assert _status(avatar) == 401, avatar[:300]  # reached the app, which wants a signed-in person
    assert b"application/problem+json" in avatar.split(b"\r\n\r\n", 1)[0].lower()
    elsewhere = _tls(proxy[1], _put("/api/v1/me", two_megabytes))
    assert _status(elsewhere) == 413, elsewhere[:300]


def test_a_slow_head_is_cut_off_by_nginx(proxy: tuple[int, int]) -> None:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    started = time.monotonic()
    with context.wrap_socket(socket.create_connection(("127.0.0.1", proxy[1]), timeout=10), server_hostname=NAME) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: maps.example.org\r\n")
        answer = b""
        with contextlib.suppress(OSError):
            for i in range(30):  # one header line every 0.3 s: never complete
                time.sleep(0.3)
                s.sendall(b"X-Slow-%d: v\r\n" % i)
        with contextlib.suppress(OSError):
            while chunk := s.recv(65536):
                answer += chunk
    assert b'"ok"' not in answer
    assert time.monotonic() - started < HEAD_TIMEOUT_S + 4  # not the 9 s the client would go on for


def test_other_hosts_and_plain_http_get_nothing_from_the_app(proxy: tuple[int, int]) -> None:
    http_port, https_port = proxy
    with socket.create_connection(("127.0.0.1", http_port), timeout=10) as sock:
        sock.sendall(_get("/x?y=1"))
        moved = sock.recv(4096)
    assert _status(moved) == 301 and f"location: https://{NAME}/x?y=1".encode() in moved.lower()
    with socket.create_connection(("127.0.0.1", http_port), timeout=10) as sock:
        sock.sendall(_get("/healthz", host=b"evil.example"))
        assert sock.recv(4096) == b""  # 444: closed without an answer
    with pytest.raises(ssl.SSLError):
        _tls(https_port, _get("/healthz", host=b"evil.example"), sni="evil.example")

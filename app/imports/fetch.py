"""Fetching a calendar URL without letting it reach inside the network (SSRF).

- Only ``http`` and ``https``; at most ``max_redirects`` redirects, followed here, one hop at a time.
- At every hop the host is resolved once; every address it gives must be public (not private,
  loopback, link-local (169.254.169.254 included), multicast, reserved or unspecified; IPv4-mapped
  IPv6 read as the IPv4 it maps). The connection then goes to that checked address (the Host header
  and TLS SNI name the host), so a second resolution cannot answer differently (DNS rebinding).
- The body is streamed and cut at ``max_bytes``; the whole fetch ends within ``fetch_timeout_s``.
- ``allow_private_hosts`` (off by default) lets named hosts resolve to private addresses: a local
  calendar server in tests, an intranet's own.
- Conditional requests: the caller's ETag and Last-Modified go out as If-None-Match and
  If-Modified-Since; a 304 is ``Fetched(not_modified=True)``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from config.settings import ImportSettings

USER_AGENT = "Happenings calendar import (+https://happenings.example/about)"
_REDIRECTS = {301, 302, 303, 307, 308}


class FetchRefused(Exception):
    """The URL was not fetched, or its answer not used; the message says why (shown to the organizer)."""


@dataclass(frozen=True, slots=True)
class Fetched:
    body: bytes
    etag: str | None
    last_modified: str | None
    final_url: str
    not_modified: bool = False


def check_address(address: str) -> None:
    """Refuse an address that is not public (``FetchRefused`` naming the kind)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, bad in (
        ("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("unspecified", ip.is_unspecified),
        ("multicast", ip.is_multicast), ("reserved", ip.is_reserved), ("private", ip.is_private),
        ("not globally routable", not ip.is_global),
    ):  # fmt: skip
        if bad:
            raise FetchRefused(f"the address {ip} is {kind}: calendars are only fetched from public addresses")


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal is itself)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused(f"the host {host!r} could not be resolved ({exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise FetchRefused(f"the host {host!r} has no address")
    return addresses


async def fetch_calendar(
    url: str, settings: ImportSettings, *, etag: str | None = None, last_modified: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Fetched:  # fmt: skip
    """GET ``url`` under the rules above."""
    try:
        async with asyncio.timeout(settings.fetch_timeout_s):
            return await _fetch(url, settings, etag, last_modified, transport)
    except TimeoutError:
        raise FetchRefused(f"the calendar did not arrive within {settings.fetch_timeout_s:g} s") from None


async def _fetch(
    url: str, settings: ImportSettings, etag: str | None, last_modified: str | None,
    transport: httpx.AsyncBaseTransport | None,
) -> Fetched:  # fmt: skip
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    async with httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False) as client:
        for _ in range(settings.max_redirects + 1):
            request, parts = await _pinned_request(client, url, headers, settings)
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise FetchRefused(f"the calendar server at {parts.host} could not be reached ({exc})") from None
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code == 304:
                    return Fetched(b"", etag, last_modified, url, not_modified=True)
                if response.status_code != 200:
                    raise FetchRefused(f"the calendar server answered {response.status_code}, not 200")
                body = await _body(response, settings.max_bytes)
                return Fetched(body, response.headers.get("etag"), response.headers.get("last-modified"), url)
            finally:
                await response.aclose()
    raise FetchRefused(f"more than {settings.max_redirects} redirects")


async def _pinned_request(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], settings: ImportSettings
) -> tuple[httpx.Request, httpx.URL]:
    """A request to ``url``'s checked address, naming the host in Host and TLS SNI."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"only http and https URLs are fetched, not {parts.scheme or 'a relative URL'}")
    if not parts.hostname:
        raise FetchRefused("the URL has no host")
    if parts.username or parts.password:
        raise FetchRefused("URLs with a user name or password are not fetched")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefused("the URL's port is not a number from 1 to 65535") from None
    addresses = await resolve(host, port)
    if host.lower() not in settings.allow_private_hosts:
        for address in addresses:
            check_address(address)
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    request = client.build_request(
        "GET", pinned, headers={**headers, "Host": host_header}, extensions={"sni_hostname": host}
    )
    return request, httpx.URL(url)


async def _body(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FetchRefused(f"the calendar is {int(declared)} bytes; at most {limit} are read")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise FetchRefused(f"the calendar is larger than {limit} bytes; at most that many are read")
        chunks.append(chunk)
    return b"".join(chunks)

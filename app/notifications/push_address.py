"""Where a Web Push endpoint may point: https, and every address its host resolves to public.

Checked when a browser subscribes and again before each send (a name may resolve elsewhere later).
Private, loopback, link-local, multicast, reserved and unspecified addresses are refused, so a
subscription cannot make the server call into its own network. Hosts in
``NotificationSettings.allowed_push_hosts`` skip the check (local test peers; empty by default).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import anyio.to_thread


class UnsafeEndpoint(ValueError):
    pass


def _host(endpoint: str, allowed: list[str]) -> tuple[str, int, bool]:
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeEndpoint("the endpoint has no host")
    if parts.username or parts.password:
        raise UnsafeEndpoint("the endpoint may not carry credentials")
    exempt = host in allowed or f"{host}:{parts.port}" in allowed
    if parts.scheme != "https" and not (exempt and parts.scheme == "http"):
        raise UnsafeEndpoint("the endpoint must be an https URL")
    return host, parts.port or (443 if parts.scheme == "https" else 80), exempt


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeEndpoint(f"the endpoint's host does not resolve: {exc}") from None
    return sorted({str(info[4][0]) for info in infos})


async def check_endpoint(endpoint: str, allowed: list[str]) -> None:
    """Raise ``UnsafeEndpoint`` unless ``endpoint`` is https and resolves only to public addresses."""
    host, port, exempt = _host(endpoint, allowed)
    if exempt:
        return
    addresses = await anyio.to_thread.run_sync(_resolve, host, port)
    if not addresses or not all(is_public(a) for a in addresses):
        raise UnsafeEndpoint("the endpoint's host resolves to an address that is not public")

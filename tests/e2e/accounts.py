"""Accounts for the browser tests: made through the HTTP API, links read from the development outbox."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx

PASSWORD = "Velvet-otter-quarry-1987"
ROUTE_LINK = re.compile(r"https?://\S+?/#/\S+")


def unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


def outbox(base_url: str, to: str) -> list[dict[str, Any]]:
    """The mails held for ``to``, newest first (``/api/v1/dev/outbox``, development only)."""
    response = httpx.get(f"{base_url}/api/v1/dev/outbox", params={"to": to})
    if response.status_code == 404:
        return []
    response.raise_for_status()
    return list(response.json()["items"])


def mailed_link(base_url: str, to: str, kind: str) -> str:
    """The front-end link (path and fragment) in the newest ``kind`` mail to ``to``."""
    mails = [m for m in outbox(base_url, to) if m["kind"] == kind]
    assert mails, f"no {kind} mail for {to}: {[m['kind'] for m in outbox(base_url, to)]}"
    match = ROUTE_LINK.search(mails[0]["body"])
    assert match, mails[0]["body"]
    link = urlsplit(match.group(0))
    assert f"{link.scheme}://{link.netloc}" == base_url, "links in mails point at this server"
    return f"{link.path}#{link.fragment}"


def token_of(link: str) -> str:
    found = re.search(r"token=([A-Za-z0-9_-]+)", link)
    assert found, link
    return found.group(1)


def make_account(base_url: str, email: str, *, password: str = PASSWORD, name: str | None = None) -> None:
    """Sign up and confirm the address, as a person would with the mailed link."""
    body: dict[str, Any] = {"email": email, "password": password}
    if name:
        body["display_name"] = name
    assert httpx.post(f"{base_url}/api/v1/auth/register", json=body).status_code == 202
    token = token_of(mailed_link(base_url, email, "verify-email"))
    assert httpx.post(f"{base_url}/api/v1/auth/verify", json={"token": token}).status_code == 204


def bearer(base_url: str, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers of an app-style (non-cookie) session."""
    response = httpx.post(f"{base_url}/api/v1/auth/login", json={"email": email, "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    """Through the sign-in page; back on the map, signed in."""
    page.goto("/#/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#account-button").wait_for()


def focused(page: Any) -> dict[str, Any]:
    """What has the keyboard focus: its tag, id, name, accessible text and whether its outline shows."""
    return dict(
        page.evaluate(
            """() => {
              const el = document.activeElement;
              const style = el ? getComputedStyle(el) : null;
              return {tag: el && el.tagName.toLowerCase(), id: el && el.id, name: el && el.getAttribute('name'),
                      text: el && (el.textContent || '').trim(), outline: style && style.outlineStyle};
            }"""
        )
    )

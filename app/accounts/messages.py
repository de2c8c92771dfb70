"""The text of the mails the accounts domain sends. Links point at the front end's routes."""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

from app.kit.mail import Mail


def _link(public_url: str, route: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/#/{route}?token={quote(token)}"


def verify_email(to: str, account_id: UUID, token: str, public_url: str, valid_hours: int) -> Mail:
    link = _link(public_url, "verify", token)
    body = (
        "Welcome to Happenings!\n\n"
        f"Confirm your email address by opening this link (valid for {valid_hours} hours):\n\n{link}\n\n"
        "If you did not sign up, ignore this mail: nothing happens without the link.\n"
    )
    return Mail(to, "Confirm your email address", body, "verify-email", account_id)


def already_registered(to: str, account_id: UUID, public_url: str) -> Mail:
    base = public_url.rstrip("/")
    body = (
        "Someone (perhaps you) tried to sign up to Happenings with this email address, which already has an "
        "account.\n\n"
        f"Sign in: {base}/#/sign-in\nForgot your password? {base}/#/reset\n\n"
        "If it was not you, you need not do anything: your account is unchanged.\n"
    )
    return Mail(to, "You already have a Happenings account", body, "already-registered", account_id)


def password_reset(to: str, account_id: UUID, token: str, public_url: str, valid_minutes: int) -> Mail:
    link = _link(public_url, "reset", token)
    body = (
        f"Choose a new Happenings password with this link (valid for {valid_minutes} minutes, once):\n\n{link}\n\n"
        "If you did not ask for it, ignore this mail: your password stays as it is.\n"
    )
    return Mail(to, "Reset your Happenings password", body, "password-reset", account_id)


def password_changed(to: str, account_id: UUID, public_url: str) -> Mail:
    body = (
        "Your Happenings password was just changed, and every device was signed out.\n\n"
        f"If this was not you, reset it now: {public_url.rstrip('/')}/#/reset\n"
    )
    return Mail(to, "Your Happenings password was changed", body, "password-changed", account_id)

"""The account pages in a real browser against the real server: sign-up, verification by the mailed
link, sign-in and out, profile, password reset, teams and invitations, keyboard use, and the
session's cookie refresh (with the page's clock pinned, as in every e2e test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.e2e.accounts import PASSWORD, bearer, focused, mailed_link, make_account, outbox, sign_in, unique_email
from tests.e2e.harness import ANCHOR
from tests.e2e.test_accessibility import violations

NEW_PASSWORD = "Lantern-meadow-circuit-2031"


def account_button(page: Any) -> Any:
    return page.locator("#account-button")


def log_out_from_header(page: Any) -> None:
    account_button(page).click()
    page.get_by_role("button", name="Log out").click()
    page.locator(".account-signin").wait_for()


def test_sign_up_verify_sign_in_profile_and_reset(new_context: Any, base_url: str, screenshots: Path) -> None:
    context = new_context()
    page = context.new_page()
    email = unique_email("ada")
    page.goto("/?map=12/48.85660/2.35220")

    # Sign up from the header.
    page.get_by_role("link", name="Sign in").click()
    page.wait_for_url(lambda url: url.endswith("#/sign-in"))
    assert violations(page) == []
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_text("Check your mail").wait_for()
    # The page sits over the map; the map's state stays in the query string under it.
    assert "map=12/48.8566" in page.url

    # The link in the mail, opened in a new tab as a mail program would.
    link = mailed_link(base_url, email, "verify-email")
    assert link.startswith("/#/verify?token=")
    mail_tab = context.new_page()
    mail_tab.goto(link)
    mail_tab.get_by_text("Your email address is confirmed").wait_for()
    assert "token=" not in mail_tab.url  # spent: out of the address bar and the history
    mail_tab.close()

    # Sign in, out, and in again.
    sign_in(page, email)
    assert "Ada" in account_button(page).inner_text()
    page.get_by_role("status").filter(has_text="Signed in as Ada").wait_for()
    log_out_from_header(page)
    sign_in(page, email)

    # Profile and settings, from the account menu.
    account_button(page).click()
    page.get_by_role("link", name="Profile and settings").click()
    page.get_by_role("heading", name="Your account", level=1).wait_for()
    page.get_by_role("heading", name="Profile and settings").wait_for()
    assert violations(page) == []
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Language").select_option("fr")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Miles").check()
    page.get_by_label("Music").check()
    page.get_by_label("Markets").check()
    page.get_by_label("Keep a home location").check()
    page.get_by_role("button", name="Use the centre of the map").click()
    page.get_by_label("How far to look, in km").fill("5")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Your profile is saved.").wait_for()
    assert "Ada Lovelace" in account_button(page).inner_text()
    page.screenshot(path=screenshots / "account-profile.png", full_page=True)

    # A reload signs in again from the cookie alone (the access token was only in memory).
    page.reload()
    page.get_by_role("heading", name="Profile and settings").wait_for()
    assert page.get_by_label("Your name").input_value() == "Ada Lovelace"
    assert page.get_by_label("Language").input_value() == "fr"
    assert page.get_by_label("Time zone").input_value() == "Europe/London"
    assert page.get_by_label("Miles").is_checked()
    assert page.get_by_label("Music").is_checked() and page.get_by_label("Markets").is_checked()
    assert page.get_by_label("Keep a home location").is_checked()
    lat = float(page.get_by_label("Latitude").input_value())
    assert abs(lat - 48.8566) < 0.05  # stored as the area around the point, by default
    assert page.get_by_label("How far to look, in km").input_value() == "5"

    # Forgotten password: reset by the mailed link, after which only the new one works.
    page.get_by_role("button", name="Log out", exact=True).click()
    page.locator(".account-signin").wait_for()
    page.goto("/#/reset")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("Check your mail").wait_for()
    page.goto(mailed_link(base_url, email, "password-reset"))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("The two passwords differ").wait_for()
    assert focused(page)["name"] == "confirm"
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.get_by_role("heading", name="Password changed").wait_for()

    page.goto("/#/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    alert = page.locator(".form-alert")
    alert.get_by_text("The email or the password is wrong").wait_for()
    page.wait_for_function("() => document.activeElement && document.activeElement.classList.contains('form-alert')")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    account_button(page).wait_for()


def test_keyboard_only_sign_in(new_context: Any, base_url: str) -> None:
    email = unique_email("keys")
    make_account(base_url, email, name="Kay")
    page = new_context().new_page()
    page.goto("/?map=12/48.85660/2.35220")
    page.locator(".account-signin").wait_for()

    # Tab from the top of the page to the header's sign-in link; Enter opens the page.
    for _ in range(12):
        page.keyboard.press("Tab")
        if focused(page)["text"] == "Sign in":
            break
    assert focused(page)["text"] == "Sign in", "the sign-in link is reachable with Tab"
    assert focused(page)["outline"] == "solid", "focus must be visible"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'page-title'")

    # Nothing typed yet: Enter submits, the messages sit by their fields, focus goes to the first.
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "email"
    page.keyboard.press("Enter")
    page.get_by_text("Enter your email address").wait_for()
    assert focused(page)["name"] == "email"
    assert page.get_by_label("Email address").get_attribute("aria-invalid") == "true"
    assert page.get_by_text("Enter your password").is_visible()

    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "password"
    assert focused(page)["outline"] == "solid"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    account_button(page).wait_for()
    page.wait_for_function("() => document.getElementById('page').hidden")
    # Back on the map, focus is on the account button (where the sign-in link was).
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'account-button'")

    # The account menu works from the keyboard too, and Escape closes it.
    page.keyboard.press("Enter")
    assert focused(page)["text"] == "Profile and settings"
    page.keyboard.press("Escape")
    assert focused(page)["id"] == "account-button"
    assert account_button(page).get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "My tickets"
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Organize events"
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Check tickets"
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Notifications"
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Log out"
    page.keyboard.press("Enter")
    page.locator(".account-signin").wait_for()


def test_server_errors_show_by_their_field(new_context: Any, base_url: str) -> None:
    page = new_context().new_page()
    page.goto("/#/sign-up")
    page.get_by_label("Email address").fill(unique_email("weak"))
    page.get_by_label("Password", exact=True).fill("password1")
    page.get_by_label("Your name").fill("x" * 100)
    page.get_by_role("button", name="Create account").click()
    error = page.locator("[data-field=password] .field-error")
    error.wait_for()
    assert "password" in error.inner_text().lower()  # the server's weak-password problem, param "password"
    page.wait_for_function("() => document.activeElement && document.activeElement.name === 'password'")
    described = page.get_by_label("Password", exact=True).get_attribute("aria-describedby") or ""
    assert page.locator("[data-field=password] .field-error").get_attribute("id") in described.split()


def test_team_invitation_accepted_in_a_second_browser(new_context: Any, base_url: str, screenshots: Path) -> None:
    owner_email, invitee_email = unique_email("owner"), unique_email("invitee")
    make_account(base_url, owner_email, name="Olive Owner")
    make_account(base_url, invitee_email, name="Ivan Invitee")

    owner = new_context().new_page()
    sign_in(owner, owner_email)
    owner.goto("/#/account")
    owner.get_by_label("Organizer name").fill("Riverside Jazz Club")
    owner.get_by_role("button", name="Start organizer").click()
    owner.get_by_role("heading", name="Team of Riverside Jazz Club").wait_for()
    assert "/team" in owner.url
    owner.get_by_role("row", name="Olive Owner (you)").wait_for()

    owner.get_by_label("Email address").fill(invitee_email)
    owner.get_by_label("Role", exact=True).select_option("editor")
    owner.get_by_role("button", name="Send invitation").click()
    owner.get_by_text(f"Invitation sent to {invitee_email}").wait_for()
    owner.get_by_role("list", name="Open invitations").get_by_text(invitee_email).wait_for()
    assert violations(owner) == []

    # The invitee, in a browser of their own, follows the mailed link and accepts.
    invitee = new_context().new_page()
    sign_in(invitee, invitee_email)
    link = mailed_link(base_url, invitee_email, "organizer-invitation")
    invitee.goto(link)
    invitee.get_by_role("button", name="Accept invitation").click()
    invitee.get_by_text("You joined Riverside Jazz Club as an editor.").wait_for()
    invitee.get_by_role("link", name="See the team").click()
    invitee.get_by_role("heading", name="Team of Riverside Jazz Club").wait_for()
    invitee.get_by_role("row", name="Ivan Invitee (you)").wait_for()
    assert invitee.get_by_role("button", name="Change role").count() == 0  # editors do not run the team

    # The owner sees the new member, changes their role, then removes them.
    owner.reload()
    row = owner.get_by_role("row", name="Ivan Invitee")
    row.wait_for()
    assert owner.get_by_role("list", name="Open invitations").get_by_text(invitee_email).count() == 0
    row.get_by_label("Role of Ivan Invitee").select_option("checker")
    row.get_by_role("button", name="Change role").click()
    owner.get_by_text("Ivan Invitee is now a checker.").wait_for()
    owner.screenshot(path=screenshots / "account-team.png")
    row.get_by_role("button", name="Remove").click()
    owner.get_by_role("button", name="Yes, remove").click()
    owner.get_by_text("Ivan Invitee is no longer in the team.").wait_for()
    assert owner.get_by_role("row", name="Ivan Invitee").count() == 0

    # The last owner cannot leave: the server's refusal is shown.
    owner.get_by_role("button", name="Leave team").click()
    owner.get_by_role("button", name="Yes, leave").click()
    refusal = owner.locator("#members [role=alert]")
    refusal.wait_for()
    assert "owner" in refusal.inner_text().lower()


def test_the_session_refreshes_on_timers_while_the_page_clock_is_pinned(new_context: Any, base_url: str) -> None:
    email = unique_email("clock")
    make_account(base_url, email)
    context = new_context()
    page = context.new_page()
    sign_in(page, email)
    assert page.evaluate("() => Date.now()") == page.evaluate("() => Date.now()")  # pinned, as in every e2e test

    # The access token lives 15 minutes; the page refreshes it after 12, counted by its timers.
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/refresh")) as refreshed:
        page.clock.fast_forward("12:01")
    assert refreshed.value.status == 200
    assert refreshed.value.request.headers["x-csrf-token"]
    # Signed in already (from the cookie), the sign-in page goes on to the account.
    page.goto("/#/sign-in")
    page.wait_for_url(lambda url: url.endswith("#/account"))
    page.get_by_role("heading", name="Profile and settings").wait_for()

    # Two tabs loading at once refresh in turn (a reused refresh token would end the session).
    tabs = [context.new_page() for _ in range(2)]
    for tab in tabs:
        tab.goto("/", wait_until="commit")
    for tab in tabs:
        tab.locator("#account-button").wait_for()
    page.reload()
    page.locator("#account-button").wait_for()

    # Logging out in one tab logs out the others.
    tabs[0].locator("#account-button").click()
    tabs[0].get_by_role("button", name="Log out").click()
    for other in (tabs[1], page):
        other.locator(".account-signin").wait_for()


def test_social_sign_in_button_and_its_errors(desktop: Any) -> None:
    desktop.goto("/?map=12/48.85660/2.35220#/sign-in")
    button = desktop.get_by_role("link", name="Continue with Example ID")
    button.wait_for()
    href = button.get_attribute("href") or ""
    assert href.startswith("/api/v1/auth/oidc/example/start?next=%2F%3Fmap%3D12")
    desktop.goto("/#/sign-in?error=denied")
    desktop.get_by_role("alert").filter(has_text="The sign-in was cancelled at the provider.").wait_for()


def test_pages_and_the_map_share_the_address(desktop: Any) -> None:
    desktop.goto("/?map=12/48.85660/2.35220&cat=music")
    desktop.locator(".account-signin").wait_for()
    desktop.get_by_role("link", name="Sign in").click()
    desktop.get_by_role("heading", name="Sign in", level=1).wait_for()
    assert desktop.url.endswith("?map=12/48.85660/2.35220&cat=music#/sign-in")
    assert desktop.locator("#search").evaluate("(el) => el.closest('[inert]') !== null")  # the map is out of reach

    desktop.get_by_role("link", name="Back to the map").click()
    desktop.wait_for_function("() => document.getElementById('page').hidden")
    assert "#" not in desktop.url and "map=12/48.8566" in desktop.url and "cat=music" in desktop.url
    desktop.go_back()
    desktop.get_by_role("heading", name="Sign in", level=1).wait_for()
    desktop.go_back()
    desktop.wait_for_function("() => document.getElementById('page').hidden")

    # A signed-out visit to the account page goes to sign-in, and comes back after it.
    desktop.goto("/#/account")
    desktop.wait_for_url(lambda url: url.endswith("#/sign-in?next=%23%2Faccount"))
    desktop.goto("/#/nowhere")
    desktop.get_by_role("heading", name="Page not found").wait_for()


def test_saved_events_export_and_delete(new_context: Any, base_url: str, hotspot: tuple[float, float]) -> None:
    email = unique_email("erase")
    make_account(base_url, email, name="Erin")
    auth = bearer(base_url, email)
    lat, lon = hotspot
    near = {"limit": 2, "lat": lat, "lon": lon, "radius_m": 50_000, "starts_after": ANCHOR.isoformat()}
    events = httpx.get(f"{base_url}/api/v1/events", params=near).json()["items"]
    assert len(events) == 2
    for event in events:
        assert httpx.put(f"{base_url}/api/v1/me/saved-events/{event['id']}", headers=auth).status_code == 204

    page = new_context().new_page()
    sign_in(page, email)
    page.goto("/#/account")
    saved = page.get_by_role("list", name="Saved events")
    saved.get_by_role("link", name=events[0]["title"]).wait_for()
    assert saved.get_by_role("listitem").count() == 2
    saved.get_by_role("button", name=f"Remove {events[0]['title']} from saved events").click()
    page.get_by_text(f"{events[0]['title']} is no longer saved.").wait_for()
    assert saved.get_by_role("listitem").count() == 1

    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    assert download.value.suggested_filename == "happenings-export.json"
    exported = Path(download.value.path()).read_text()
    assert email in exported

    page.get_by_role("button", name="Delete my account…").click()
    assert focused(page)["name"] == "password"
    page.get_by_role("button", name="Delete my account permanently").click()
    page.get_by_text("Tick this box to confirm").wait_for()
    page.get_by_label("I understand").check()
    page.get_by_label("Your password").fill("not-the-password")
    page.get_by_role("button", name="Delete my account permanently").click()
    page.locator("[data-field=password] .field-error").wait_for()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account permanently").click()
    page.locator(".account-signin").wait_for()
    page.get_by_text("Your account and its personal data are deleted.").wait_for()
    assert httpx.post(f"{base_url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}).status_code == 401
    assert outbox(base_url, email) == []  # its mails went with it


def test_unconfirmed_address_gets_a_new_link(new_context: Any, base_url: str) -> None:
    email = unique_email("late")
    response = httpx.post(f"{base_url}/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 202
    page = new_context().new_page()
    sign_in(page, email)  # signing in works before the address is confirmed
    page.goto("/#/account")
    page.get_by_text("is not confirmed yet").wait_for()
    page.get_by_role("button", name="Send the link again").click()
    page.get_by_text("a new link is on its way").wait_for()
    assert [m["kind"] for m in outbox(base_url, email)].count("verify-email") == 2
    page.goto(mailed_link(base_url, email, "verify-email"))  # the newest link; the first no longer works
    page.get_by_text("Your email address is confirmed").wait_for()
    page.get_by_role("link", name="Go to your account").click()
    page.get_by_text("(confirmed)").wait_for()
    assert page.get_by_text("is not confirmed yet").count() == 0

"""In a real browser: the Content-Security-Policy breaks no page (the admin's
included), the debrief prints, the host locks the lobby and lets a latecomer in
with one tap while the phone waits and moves on by itself, and a paused login
says so. Screenshots in out/sec/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest

from game.devserver import Server

from . import browser_support as bs

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "out" / "sec"
WAIT = 15_000
SIZES = {
    "small-phone": {"width": 320, "height": 568},
    "phone": {"width": 390, "height": 844},
    "laptop": {"width": 1280, "height": 720},
    "projector": {"width": 1920, "height": 1080},
}
# Chromium logs every blocked script, style or connection as such a console message.
CSP_MESSAGE = re.compile(r"Content Security Policy|Refused to (load|execute|apply|connect)", re.I)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not Path(bs.CHROMIUM).exists():
        missing = pytest.fail if os.environ.get("CI") else pytest.skip
        missing(f"{bs.CHROMIUM} is missing: `make services` installs it")
    tmp = tmp_path_factory.mktemp("sec-browser")
    env = bs.server_env(tmp / "sec.sqlite3")
    password = secrets.token_urlsafe(12)
    bs.compile_messages_if_stale(env)
    bs.manage(env, "migrate", "--noinput", "-v", "0")
    bs.manage(env, "load_case", str(ROOT / "cases" / "skole.yaml"))
    bs.manage(
        env | {"PM_TEST_HOST_PASSWORD": password},
        "shell",
        "-c",
        "import os; from django.contrib.auth import get_user_model; "
        "from game.management.commands.ensure_host import host_permissions; "
        "u = get_user_model().objects.create_user('alice', "
        "password=os.environ['PM_TEST_HOST_PASSWORD'], is_staff=True); "
        "u.user_permissions.add(*host_permissions())",
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    server = Server(env)
    url = server.start()
    pw = sync_api.sync_playwright().start()
    browser = None
    try:
        browser = pw.chromium.launch(executable_path=bs.CHROMIUM, args=bs.CHROMIUM_ARGS)
        expect.set_options(timeout=WAIT)
        yield {"url": url, "browser": browser, "password": password, "server": server}
    finally:
        if browser is not None:
            browser.close()
        pw.stop()
        server.stop()
        (SHOTS / "server.log").write_text(server.tail(200))


def context(site, size: str, violations: list[str], **kwargs):
    ctx = site["browser"].new_context(
        viewport=SIZES[size], locale="da-DK", device_scale_factor=1, **kwargs
    )
    ctx.set_default_timeout(WAIT)
    # Headless Chromium has no print dialog: note the call instead.
    ctx.add_init_script("window.print = function () { window.__printed = true; };")
    page = ctx.new_page()
    page.on(
        "console",
        lambda msg: (
            violations.append(f"{page.url}: {msg.text}") if CSP_MESSAGE.search(msg.text) else None
        ),
    )
    page.on("pageerror", lambda exc: violations.append(f"{page.url}: {exc}"))
    return ctx, page


def shoot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, animations="disabled")


def test_the_csp_breaks_nothing_and_the_locked_lobby_works(site):
    url, violations = site["url"], []
    host_ctx, dash = context(site, "laptop", violations)
    dash.goto(url + "/host/login/")
    dash.get_by_test_id("login-username").fill("alice")
    dash.get_by_test_id("login-password").fill(site["password"])
    dash.get_by_test_id("login-submit").click()
    expect(dash.get_by_test_id("create-case")).to_be_visible()
    dash.get_by_test_id("create-submit").click()
    expect(dash.get_by_test_id("join-code")).to_be_visible()  # the live dashboard drew itself
    code = dash.get_by_test_id("join-code").inner_text().strip()
    expect(dash.get_by_test_id("qr")).to_have_js_property("complete", True)
    assert dash.get_by_test_id("qr").evaluate("img => img.naturalWidth") > 0  # the QR SVG loads

    # An early player joins while the lobby is open
    phone_ctx, phone = context(site, "phone", violations, is_mobile=True, has_touch=True)
    phone.goto(f"{url}/?code={code}")
    phone.get_by_test_id("join-name").fill("Bo")
    phone.get_by_test_id("join-submit").click()
    expect(phone.get_by_test_id("lobby")).to_be_visible()

    # The host locks the lobby
    dash.get_by_test_id("lock-lobby").click()
    expect(dash.get_by_test_id("open-lobby")).to_be_visible()
    expect(dash.get_by_test_id("lobby-state")).to_contain_text("Lobbyen er låst")

    # A latecomer waits, on a small phone
    late_ctx, late = context(site, "small-phone", violations, is_mobile=True, has_touch=True)
    late.goto(f"{url}/?code={code}")
    late.get_by_test_id("join-name").fill("Jon")
    late.get_by_test_id("join-submit").click()
    expect(late.get_by_test_id("waiting-notice")).to_contain_text(
        "Du venter på, at spillederen lukker dig ind"
    )
    shoot(late, "phone-waiting-320x568")
    late.set_viewport_size(SIZES["phone"])
    shoot(late, "phone-waiting-390x844")

    # … and a stranger, whom the host turns away
    stranger_ctx, stranger = context(site, "phone", violations, is_mobile=True, has_touch=True)
    stranger.goto(f"{url}/?code={code}")
    stranger.get_by_test_id("join-name").fill("Mallory")
    stranger.get_by_test_id("join-submit").click()
    expect(stranger.get_by_test_id("waiting-notice")).to_be_visible()

    waiting = dash.get_by_test_id("waiting")
    expect(waiting).to_contain_text("Jon")
    expect(waiting).to_contain_text("Mallory")
    shoot(dash, "dashboard-waiting-1280x720")
    dash.set_viewport_size(SIZES["projector"])
    shoot(dash, "dashboard-waiting-1920x1080")
    dash.set_viewport_size(SIZES["laptop"])
    expect(dash.get_by_test_id("lobby-names")).not_to_contain_text("Jon")

    # one tap each; the phones move on by themselves
    waiting.locator("li", has_text="Jon").get_by_role("button", name="Luk ind").click()
    expect(late.get_by_test_id("lobby")).to_be_visible()
    expect(late.get_by_test_id("my-name")).to_have_text("Jon")
    expect(dash.get_by_test_id("lobby-names")).to_contain_text("Jon")
    waiting.locator("li", has_text="Mallory").get_by_role("button", name="Afvis").click()
    expect(stranger.get_by_test_id("turned-away-notice")).to_contain_text(
        "Spillederen har ikke lukket dig ind"
    )
    expect(dash.get_by_test_id("waiting")).to_have_count(0)
    shoot(stranger, "phone-turned-away-390x844")
    shoot(late, "phone-let-in-390x844")

    # The projector, the debrief (its print button), and the admin's own pages
    proj_ctx, projector = context(site, "projector", violations)
    proj_ctx.add_cookies(host_ctx.cookies())
    projector.goto(f"{url}/host/{code}/projector/")
    expect(projector.get_by_test_id("join-code")).to_have_text(code)
    expect(projector.locator("body")).not_to_contain_text("Mallory")
    dash.goto(f"{url}/host/{code}/debrief/")
    dash.get_by_test_id("print").click()
    assert dash.evaluate("window.__printed === true")
    for path in ("/admin/", "/admin/game/session/", "/admin/cases/case/"):
        dash.goto(url + path)
        expect(dash.locator("#content")).to_be_visible()
        # the admin's own script ran (its theme script marks the page)
        assert dash.evaluate("document.documentElement.dataset.theme") in ("auto", "light", "dark")
    dash.get_by_role("link", name=re.compile("Skole", re.I)).first.click()
    expect(dash.locator("#content form")).to_be_visible()
    assert dash.evaluate("typeof django !== 'undefined' && typeof django.jQuery === 'function'")
    shoot(dash, "admin-case-1280x720")
    dash.goto(url + "/admin/game/session/")
    dash.locator("#result_list tbody th a").first.click()
    expect(dash.locator(".pm-state")).to_be_visible()
    assert dash.locator(".pm-state").evaluate("e => getComputedStyle(e).overflow") == "auto"

    for ctx in (host_ctx, phone_ctx, late_ctx, stranger_ctx, proj_ctx):
        ctx.close()
    assert not violations, "\n".join(violations)


def test_a_paused_login_says_so(site):
    violations: list[str] = []
    ctx, page = context(site, "phone", violations, is_mobile=True, has_touch=True)
    for _ in range(5):
        page.goto(site["url"] + "/host/login/")
        page.get_by_test_id("login-username").fill("alice")
        page.get_by_test_id("login-password").fill("not-the-password")
        page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("locked-out")).to_contain_text(
        "Der er lukket for login i 15 minutter"
    )
    shoot(page, "login-paused-390x844")
    ctx.close()
    assert not violations, "\n".join(violations)

"""Helpers for the browser test: a real server in a subprocess, screenshots, axe-core.

The server is Daphne on a free loopback port, on a fresh SQLite file of its own
(pytest-django's test database lives in the test process and a subprocess cannot
see it). Everything here is bounded in time: a server that does not answer, a
management command that hangs, fail the test instead of holding up the run.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}
SHOTS = ROOT / "out" / "browser"
# Variables of the shell that must not reach the server (make test unsets the same).
SCRUB = {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CONN_MAX_AGE"}


def server_env(db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    env |= {
        "DJANGO_SETTINGS_MODULE": "policymaker.settings",
        "DATABASE_URL": f"sqlite:///{db_path}",
        "GAME_TIMER_LOOP": "1",
        "PYTHONUNBUFFERED": "1",
    }
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run ``manage.py`` with the server's environment; its stdout, or fail with its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def compile_messages_if_stale(env: dict[str, str]) -> None:
    """The .mo files are git-ignored and built by `make messages`; build them when missing."""
    stale = [
        po
        for po in (ROOT / "locale").glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        manage(env, "compilemessages", "--ignore=.venv", "-v", "0")


# --- reading the pages --------------------------------------------------------------------

# What a person at the back of the room would call "does not fit", measured in the page.
FITS_JS = """() => {
  const W = innerWidth, H = innerHeight, doc = document.documentElement;
  const name = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
    ? "." + el.className.trim().split(/\\s+/).join(".") : "") + " " + (el.textContent || "").trim().slice(0, 40);
  const out = { scroll: [doc.scrollWidth, doc.scrollHeight, W, H], outside: [], small: [], lines: {} };
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".sr-only, .skip-link, [hidden], script, style, noscript, .toast, dialog:not([open])")) continue;
    const st = getComputedStyle(el);
    if (st.display === "none" || st.visibility === "hidden") continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    if (r.left < -1 || r.top < -1 || r.right > W + 1 || r.bottom > H + 1) out.outside.push(name(el));
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (text && parseFloat(st.fontSize) < 19.5) out.small.push(name(el) + " " + st.fontSize);
  }
  for (const id of ["join-code", "corner-code"]) {
    const el = document.querySelector(`[data-testid="${id}"]`);
    if (!el) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    out.lines[id] = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  }
  return out;
}"""


def seconds(clock: str) -> int:
    """'12:05' -> 725 (the timer's text)."""
    match = re.fullmatch(r"\s*(\d+):(\d\d)\s*", clock)
    assert match, f"not a clock: {clock!r}"
    return int(match.group(1)) * 60 + int(match.group(2))


def clock(total: int) -> str:
    return f"{total // 60}:{total % 60:02d}"


# --- screenshots -------------------------------------------------------------------------------


def shoot(
    page, name: str, *, sizes=("phone", "projector"), full_page: bool = True, top: bool = True
) -> None:
    """Save the page at phone (390×844) and projector (1920×1080) size into out/browser/.

    ``top``: from the top of the page (a sticky header is drawn where the page was
    scrolled to otherwise); False shows what the person sees where they are.
    The page's own viewport and scroll position are put back afterwards.
    """
    SHOTS.mkdir(parents=True, exist_ok=True)
    own = page.viewport_size
    scrolled = page.evaluate("[window.scrollX, window.scrollY]")
    if top:
        page.evaluate("window.scrollTo(0, 0)")
    for size in sizes:
        viewport = PHONE if size == "phone" else PROJECTOR
        if page.viewport_size != viewport:
            page.set_viewport_size(viewport)
        page.screenshot(
            path=str(SHOTS / f"{name}-{viewport['width']}x{viewport['height']}.png"),
            full_page=full_page,
            animations="disabled",
            caret="initial",
        )
    if page.viewport_size != own:
        page.set_viewport_size(own)
    page.evaluate("([x, y]) => window.scrollTo(x, y)", scrolled)


# --- accessibility -----------------------------------------------------------------------------


def axe_check(page) -> tuple[list[dict], int]:
    """axe-core on the page as it is now: every violation (each with its "impact"),
    and how many rules passed (so that a run that checked nothing is not a pass).

    axe.min.js comes inside the axe-playwright-python package: nothing is fetched.
    """
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page).response
    return response["violations"], len(response["passes"])


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v.get("nodes", [])[:5]:
            lines.append(f"    {node.get('target')}: {node.get('failureSummary', '')[:300]}")
    return "\n".join(lines)


def http_login(base_url: str, username: str, password: str) -> str:
    """Log in through the form as a browser would; the cookies to send afterwards."""
    site = urlsplit(base_url).netloc
    conn = http.client.HTTPConnection(site, timeout=10)
    conn.request("GET", "/host/login/", headers={"Host": site})
    response = conn.getresponse()
    body = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    conn.request(
        "POST",
        "/host/login/",
        body=form,
        headers={
            "Host": site,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"{base_url}/host/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    assert response.status == 302, response.status
    cookies = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie")]
    return "; ".join([f"csrftoken={csrf_cookie}", *cookies])


# --- a server with sessions made by the actions layer, and a browser logged in as their host ---

HOST_USER = "spilleder"  # tests/room_scenarios.py makes its sessions for this host


@contextmanager
def room_server(tmp: Path, build: str, *, server_args: tuple[str, ...] = ()) -> Iterator[tuple]:
    """Daphne on a fresh database with the school case, the host and the sessions that the
    Python expression ``build`` makes (it prints them as JSON, see tests/room_scenarios.py);
    Chromium; and the host's logged-in storage state.

    Yields ``(url, browser, storage_state, data)``; stops everything afterwards and leaves
    the server's log in ``tmp``.
    """
    from playwright.sync_api import expect, sync_playwright

    from game.devserver import Server

    env = server_env(tmp / "room.sqlite3")
    password = secrets.token_urlsafe(12)
    compile_messages_if_stale(env)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_case", str(ROOT / "cases" / "skole.yaml"))
    out = manage(
        env | {"PM_TEST_HOST_PASSWORD": password},
        "shell",
        "-c",
        "import os; from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({HOST_USER!r}, "
        "password=os.environ['PM_TEST_HOST_PASSWORD'], is_staff=True); " + build,
    )
    data = json.loads(out.strip().splitlines()[-1])
    server = Server(env, args=server_args)
    url = server.start()
    pw = sync_playwright().start()
    browser = None
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        expect.set_options(timeout=15_000)
        login = browser.new_context()
        page = login.new_page()
        page.goto(url + "/host/login/")
        page.locator("#id_username").fill(HOST_USER)
        page.locator("#id_password").fill(password)
        page.get_by_test_id("login-submit").click()
        page.wait_for_url(re.compile(r"/host/$"))
        state = login.storage_state()
        login.close()
        yield url, browser, state, data
    finally:
        if browser is not None:
            browser.close()
        pw.stop()
        server.stop()
        (tmp / "server.log").write_text(server.tail(200))

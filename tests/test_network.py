"""The room's network: phones on the venue's Wi-Fi reach the laptop that runs `make run`.

`make run` serves on every interface, finds the laptop's address on the room's
network and puts it on the projector and in the QR code. The phone here is a
request to 127.0.0.1 carrying the LAN address in its Host header (no traffic
leaves the machine); the QR code is read back from the served SVG as a phone's
camera would, by a barcode reader.
"""

from __future__ import annotations

import http.client
import io
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from game.devserver import answers, free_port
from policymaker.network import lan_address

from . import browser_support as bs

ROOT = Path(__file__).resolve().parent.parent
LAN = "192.168.1.23"  # a made-up room address: only ever sent in a Host header


def test_the_room_address_is_a_private_one_of_a_real_interface():
    pairs = [
        ("lo", "127.0.0.1"),
        ("docker0", "172.17.0.1"),
        ("eth0", "169.254.10.2"),  # link-local: no DHCP answered
        ("wlan0", "100.64.1.2"),
        ("wlan1", "10.0.0.5"),
    ]
    assert lan_address(pairs) == "10.0.0.5"
    assert lan_address([("wlan0", "100.64.1.2")]) == "100.64.1.2"
    assert lan_address([("lo", "127.0.0.1"), ("utun3", "10.8.0.2")]) == ""
    assert lan_address([]) == ""


def test_the_dashboard_shows_the_room_address_not_the_laptops_own(client, alice, session, settings):
    settings.LAN_ADDRESS = LAN
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, LAN]
    client.force_login(alice)
    page = client.get(f"/host/{session.code}/", HTTP_HOST="127.0.0.1:8000")
    assert f'data-join-url="http://{LAN}:8000/?code={session.code}"' in page.text
    assert 'data-testid="join-unreachable"' not in page.text
    # Opened at the room address itself, the page shows that address.
    page = client.get(f"/host/{session.code}/", HTTP_HOST=f"{LAN}:8000")
    assert f'data-join-url="http://{LAN}:8000/?code={session.code}"' in page.text
    # Without a room address (HOST=127.0.0.1) the host is told the phones cannot join.
    settings.LAN_ADDRESS = ""
    page = client.get(f"/host/{session.code}/", HTTP_HOST="127.0.0.1:8000")
    assert 'data-testid="join-unreachable"' in page.text
    # PUBLIC_URL (the hosted layout) wins over everything.
    settings.PUBLIC_URL = "https://spil.example.org"
    page = client.get(f"/host/{session.code}/", HTTP_HOST="127.0.0.1:8000")
    assert f'data-join-url="https://spil.example.org/?code={session.code}"' in page.text
    assert 'data-testid="join-unreachable"' not in page.text


def _get(port: int, path: str, *, host: str, cookie: str = "") -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": host, "Cookie": cookie})
    response = conn.getresponse()
    return response.status, response.read().decode()


def _listens_on_all_interfaces(port: int) -> bool:
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if local == f"00000000:{port:04X}" and state == "0A":  # 0.0.0.0:port, LISTEN
            return True
    return False


@pytest.mark.browser
@pytest.mark.slow
def test_make_run_lets_a_phone_on_the_room_network_join_by_the_qr_code(tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = bs.server_env(tmp_path / "db.sqlite3") | {"PORT": str(port), "LAN_ADDRESS": LAN}
    run = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # make, then daphne: stopped together
    )
    try:
        deadline = time.monotonic() + 120
        while not answers(f"http://127.0.0.1:{port}") and time.monotonic() < deadline:
            assert run.poll() is None, run.stdout.read()
            time.sleep(0.3)
        assert _listens_on_all_interfaces(port)
        code = bs.manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth.models import User;"
            "from cases.models import CaseVersion; from game import actions;"
            "u = User.objects.create_user('alice', password='pw-alice-123', is_staff=True);"
            "print(actions.create_session(host=u, case_version=CaseVersion.objects.first(),"
            " options={}).code)",
        ).split()[-1]
        # The host logs in on the laptop itself, at 127.0.0.1.
        cookie = bs.http_login(f"http://127.0.0.1:{port}", "alice", "pw-alice-123")
        status, svg = _get(port, f"/host/{code}/qr.svg", host=f"127.0.0.1:{port}", cookie=cookie)
        assert status == 200 and svg.lstrip().startswith("<")
        status, projector = _get(
            port, f"/host/{code}/projector/", host=f"127.0.0.1:{port}", cookie=cookie
        )
        assert status == 200 and f'data-join-site="{LAN}:{port}"' in projector
        # The QR code as a phone's camera reads it.
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=bs.CHROMIUM, args=bs.CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 400, "height": 400})
            page.set_content(
                f'<body style="margin:0;background:#fff">'
                f'<div style="width:360px;height:360px">{svg}</div></body>'
            )
            png = page.screenshot()
            browser.close()
        read = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
        assert read == [f"http://{LAN}:{port}/?code={code}"]
        # The phone opens that address: the laptop answers it (ALLOWED_HOSTS has the LAN address).
        status, join = _get(port, f"/?code={code}", host=f"{LAN}:{port}")
        assert status == 200 and code in join
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        try:
            output, _ = run.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            output, _ = run.communicate()
    # What `make run` printed: the phones' address, not the loopback one.
    assert re.search(rf"Join page: +http://{re.escape(LAN)}:{port}/", output), output

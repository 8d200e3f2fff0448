"""HTML to PDF with headless Chromium, for the host's handout of every player's summary.

The page is rendered by Django, written to a private temporary folder and
printed there by Chromium (``--print-to-pdf``): the same engine and the same
print style sheet as a phone's "print / save as PDF", and no hand-built PDF.
The page carries its styles inline and loads nothing: every host name
resolves to nothing, so a text in it cannot make the server fetch anything.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

TIMEOUT = 90  # seconds: 40 players' pages take a few; a hung browser must not hold a worker


class PdfError(Exception):
    """Chromium is missing, failed or took too long."""


def html_to_pdf(html: str, *, timeout: float = TIMEOUT) -> bytes:
    chromium = settings.CHROMIUM
    if not chromium or not Path(chromium).exists():
        raise PdfError(f"no browser at {chromium!r} (set CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="pm-pdf-") as tmp:
        page, out = Path(tmp) / "handout.html", Path(tmp) / "handout.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            chromium,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--no-pdf-header-footer",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={tmp}/profile",  # its own profile: two handouts at once do not clash
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"the browser took more than {timeout} s") from exc
        if not out.exists() or out.stat().st_size == 0:
            log.error("chromium failed (%s): %s", result.returncode, result.stderr[-2000:])
            raise PdfError(f"the browser made no PDF (exit {result.returncode})")
        return out.read_bytes()

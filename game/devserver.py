"""A Daphne server in a subprocess on a free loopback port: for rehearsals, benches and tests.

``Server(env).start()`` returns the base URL once the server answers; ``stop()``
ends it; ``tail()`` gives the end of its log when something went wrong.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "policymaker.asgi:application"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url + "/", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except (urllib.error.URLError, OSError):
        return False


class ServerError(Exception):
    """The server did not come up; the message has the end of its log."""


class Server:
    def __init__(self, env: dict[str, str], *, app: str = APP, start_timeout: float = 60) -> None:
        self.env = env
        self.app = app  # "module:attribute", as daphne takes it
        self.start_timeout = start_timeout  # a loaded 2-core machine imports Django slowly
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()
        self.url = ""

    def start(self) -> str:
        for _attempt in range(3):  # another process may take the free port first
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), self.app],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + self.start_timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if answers(self.url):
                    return self.url
                time.sleep(0.2)
            self.stop()
        raise ServerError(f"The server did not start:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def tail(self, lines: int = 40) -> str:
        self.log.seek(0)
        return "\n".join(self.log.read().decode(errors="replace").splitlines()[-lines:])

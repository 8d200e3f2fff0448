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

from game.wire import MAX_MESSAGE_BYTES

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
    def __init__(
        self,
        env: dict[str, str],
        *,
        app: str = APP,
        start_timeout: float = 60,
        args: tuple[str, ...] = (),
        port: int | None = None,
    ) -> None:
        self.env = env
        self.app = app  # "module:attribute", as daphne takes it
        self.start_timeout = start_timeout  # a loaded 2-core machine imports Django slowly
        self.args = args  # more daphne options, e.g. --proxy-headers behind nginx
        self.port = port  # None: a free one; a restart keeps the port it had
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()
        self.url = ""

    def start(self) -> str:
        fixed = self.port
        for _attempt in range(3):  # another process may take the free port first
            port = fixed or free_port()
            self.url = f"http://127.0.0.1:{port}"
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
                + ["--websocket-max-message-size", str(MAX_MESSAGE_BYTES), *self.args, self.app],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + self.start_timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if answers(self.url):
                    self.port = port  # a restart after a kill comes back on the same port
                    return self.url
                time.sleep(0.2)
            self.stop()
        raise ServerError(f"The server did not start:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: a crash, with no goodbye to any client."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

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


class Nginx:
    """nginx from Debian's packages in front of some servers, with deploy/nginx.conf."""

    def __init__(self, backends: list[str], *, port: int | None = None) -> None:
        self.backends = backends  # "http://127.0.0.1:PORT" each
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="policymaker-nginx."))
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def conf(self) -> str:
        upstreams = "\n".join(
            f"        server {b.split('://', 1)[1]} max_fails=1 fail_timeout=5s;"
            for b in self.backends
        )
        text = (ROOT / "deploy" / "nginx.conf").read_text()
        for key, value in {
            "@LISTEN@": f"127.0.0.1:{self.port}",
            "@UPSTREAMS@": upstreams,
            "@STATIC@": str(ROOT / "staticfiles"),
            "@RUN@": str(self.dir),
        }.items():
            text = text.replace(key, value)
        return text

    def start(self, timeout: float = 20) -> str:
        self.port = self.port or free_port()
        (self.dir / "nginx.conf").write_text(self.conf())
        log = open(self.dir / "stderr.log", "wb")  # open as long as nginx runs
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if answers(self.url):
                return self.url
            time.sleep(0.1)
        self.stop()
        raise ServerError(f"nginx did not start:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def tail(self) -> str:
        logs = [self.dir / "stderr.log", self.dir / "error.log"]
        return "\n".join(p.read_text(errors="replace") for p in logs if p.exists())


class Cluster:
    """The production layout on this machine: N Daphne processes behind nginx.

    The environment must name a shared database and Redis (DATABASE_URL,
    REDIS_URL); each process runs the round clock, and the rules fire a timer once.
    """

    def __init__(self, env: dict[str, str], processes: int = 2, *, port: int | None = None):
        self.servers = [Server(env, args=("--proxy-headers",)) for _ in range(processes)]
        self.port = port
        self.nginx: Nginx | None = None

    def start(self) -> str:
        try:
            backends = [server.start() for server in self.servers]
            self.nginx = Nginx(backends, port=self.port)
            return self.nginx.start()
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for server in self.servers:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m game.devserver cluster -n 2 --port 8080``: what ``make cluster`` runs."""
    import argparse
    import os
    import signal

    parser = argparse.ArgumentParser(prog="python -m game.devserver")
    parser.add_argument("what", choices=["cluster"])
    parser.add_argument("-n", "--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    cluster = Cluster(dict(os.environ), args.processes, port=args.port)
    url = cluster.start()
    print(f"  {args.processes} Daphne processes: {', '.join(s.url for s in cluster.servers)}")
    print(f"  nginx in front:       {url}/   (host login: {url}/host/login/)")
    print("  Ctrl-C stops them all.", flush=True)
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping:
            for server in cluster.servers:
                if server.proc is not None and server.proc.poll() is not None:
                    print(f"  {server.url} ended:\n{server.tail()}", flush=True)
                    server.start()  # as a supervisor would: back on the same port
            time.sleep(1)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()

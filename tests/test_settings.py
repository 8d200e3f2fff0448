"""Settings: production refuses unsafe configuration; development is safe by default."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# Variables the settings read; cleared so that the developer's shell cannot leak in.
SETTINGS_VARS = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "REDIS_URL",
    "CONN_MAX_AGE",
    "SECURE_SSL_REDIRECT",
)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def production_env() -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "example.org",
    }


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing: str) -> None:
    env = production_env()
    del env[missing]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} not set" in result.stderr


def test_production_passes_the_deploy_check() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_development_secret_key_comes_from_an_ignored_file() -> None:
    key_file = ROOT / ".secret_key"
    if os.environ.get("SECRET_KEY"):
        pytest.skip("SECRET_KEY is set in the environment")
    assert settings.SECRET_KEY == key_file.read_text().strip()
    assert len(settings.SECRET_KEY) >= 50
    # Not a literal in the code: each checkout generates its own.
    assert settings.SECRET_KEY not in (ROOT / "policymaker" / "settings.py").read_text()
    ignored = subprocess.run(["git", "check-ignore", "-q", ".secret_key"], cwd=ROOT)
    assert ignored.returncode == 0, ".secret_key must be git-ignored"


def channel_layers(**env: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CHANNEL_LAYERS))"
    )
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "policymaker.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_channel_layer_is_in_memory_without_redis_url() -> None:
    layer = channel_layers()["default"]
    assert layer["BACKEND"] == "game.layers.InMemoryLayer"


def test_channel_layer_is_redis_sized_for_a_workshop_with_redis_url() -> None:
    layer = channel_layers(REDIS_URL="redis://127.0.0.1:6379/0")["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert layer["CONFIG"] == {
        "hosts": ["redis://127.0.0.1:6379/0"],
        "capacity": 1500,
        "group_expiry": 6 * 60 * 60,
    }


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_follows_database_url() -> None:
    from django.db import connection

    url = os.environ.get("DATABASE_URL", "sqlite://")
    if url.startswith("postgres"):
        assert connection.vendor == "postgresql"
        assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0
    else:
        assert connection.vendor == "sqlite"
        options = settings.DATABASES["default"]["OPTIONS"]
        assert options["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in options["init_command"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_pyproject_pins_agree_with_the_lock() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = project["dependencies"] + project["optional-dependencies"]["dev"]
    text = (ROOT / "requirements.lock").read_text()
    # "name==version ; marker \" then its hashes: pip installs nothing unhashed.
    lock = {canonical(m[0]): m[1] for m in re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", text, re.M)}
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    assert entries and all("--hash=sha256:" in entry for entry in entries)
    for pin in pins:
        name, version = pin.split("==")
        name = re.sub(r"\[.*\]", "", name)
        assert lock.get(canonical(name)) == version, f"{pin} does not match requirements.lock"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def production_request(*paths: str) -> dict:
    """GET each path under the production settings (a subprocess), with make's static files."""
    code = (
        "import json, re, sys, django; django.setup()\n"
        "from django.test import Client\n"
        "c = Client(HTTP_HOST='example.org')\n"
        "out = {}\n"
        "for path in sys.argv[1:]:\n"
        "    r = c.get(path, secure=True)\n"
        "    body = r.content.decode(errors='replace')\n"
        '    css = re.search(r\'href="(/static/css/app[^"]*)"\', body)\n'
        "    out[path] = {'status': r.status_code, 'headers': dict(r.headers), 'css': css and css.group(1)}\n"
        "    if css:\n"
        "        out[path]['css_status'] = c.get(css.group(1), secure=True).status_code\n"
        "print(json.dumps(out))\n"
    )
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    result = subprocess.run(
        [sys.executable, "-c", code, *paths],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "policymaker.settings", **production_env()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_debug_false_serves_pages_from_makes_own_static_files() -> None:
    """`make run`'s collectstatic writes the manifest DEBUG=false needs (was: every page a 500)."""
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():
        pytest.fail(
            "staticfiles/ was not collected as `make` does: run `make staticfiles/.collected`"
        )
    pages = production_request("/", "/host/login/")
    for path, page in pages.items():
        assert page["status"] == 200, (path, page)
        assert re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", page["css"]), page["css"]
        assert page["css_status"] == 200


def test_production_sends_the_security_headers() -> None:
    headers = production_request("/")["/"]["headers"]
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("style-src-attr")[0]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_login_throttling_and_the_csp_are_on_in_production() -> None:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.MIDDLEWARE, s.AUTHENTICATION_BACKENDS, s.AXES_FAILURE_LIMIT, "
        "s.AXES_COOLOFF_MINUTES, s.AXES_LOCKOUT_PARAMETERS]))"
    )
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "policymaker.settings", **production_env()},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    middleware, backends, limit, minutes, params = json.loads(result.stdout)
    assert "csp.middleware.CSPMiddleware" in middleware
    assert middleware[-1] == "axes.middleware.AxesMiddleware"
    assert backends[0] == "axes.backends.AxesStandaloneBackend"
    assert limit == 5 and minutes == 15 and params == ["username", "ip_address"]

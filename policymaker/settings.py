"""Settings for POLICY-MAKER, read from the environment.

Local defaults are safe for a laptop (debug on, SQLite, in-memory channel layer);
production (DEBUG=false) refuses to start without SECRET_KEY and ALLOWED_HOSTS.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import overload
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


@overload
def envstr(name: str, default: str) -> str: ...
@overload
def envstr(name: str, default: None = None) -> str | None: ...
def envstr(name: str, default: str | None = None) -> str | None:
    """Return the variable, or `default` when it is unset or empty."""
    return os.environ.get(name) or default


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def envlist(name: str, default: list[str] | None = None) -> list[str]:
    """Comma-separated list; blank items are dropped."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def dev_secret_key(path: Path) -> str:
    """A per-checkout development key, generated once and kept in a git-ignored file.

    Never a literal in code: a key in the repository would be a key for every
    copy. Written to a temporary file and hard-linked into place so that two
    processes starting at once agree on one key.
    """
    if not path.exists():
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(get_random_secret_key() + "\n")
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race; use its key
        finally:
            tmp.unlink()
    return path.read_text().strip()


DEBUG = envbool("DEBUG", True)

SECRET_KEY = envstr("SECRET_KEY")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or dev_secret_key(BASE_DIR / ".secret_key")
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]", "testserver"]
else:
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not envstr(name)]
    if missing:
        raise ImproperlyConfigured(
            f"DEBUG is false but {' and '.join(missing)} not set: refusing to start."
        )

CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

# Where the phones in the room open the game. PUBLIC_URL (e.g.
# https://policymaker.example.org) wins when set: the hosted layout. Otherwise
# `make run` sets LAN_ADDRESS to the laptop's address on the room's network
# (policymaker/network.py), and a host who opened the dashboard on 127.0.0.1 is
# shown that address in the QR code and on the projector, not the loopback one.
PUBLIC_URL = (envstr("PUBLIC_URL") or "").rstrip("/")
LAN_ADDRESS = envstr("LAN_ADDRESS") or ""
if LAN_ADDRESS and LAN_ADDRESS not in ALLOWED_HOSTS:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, LAN_ADDRESS]
if PUBLIC_URL:
    _public = urlsplit(PUBLIC_URL)
    if not (_public.scheme in ("http", "https") and _public.hostname):
        raise ImproperlyConfigured(f"PUBLIC_URL must be an http(s) address, not {PUBLIC_URL!r}.")
    if _public.hostname not in ALLOWED_HOSTS:
        ALLOWED_HOSTS = [*ALLOWED_HOSTS, _public.hostname]
    _origin = f"{_public.scheme}://{_public.netloc}"
    if _origin not in CSRF_TRUSTED_ORIGINS:
        CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, _origin]

INSTALLED_APPS = [
    "daphne",  # first: its runserver replaces Django's, serving websockets too
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "axes",
    "cases",
    "game",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # right after security, per whitenoise docs
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Cookie (the language switch) or Danish; not the browser: see policymaker/middleware.py.
    "policymaker.middleware.CookieLocaleMiddleware",  # before CommonMiddleware, as Django's
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "policymaker.middleware.PermissionsPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "policymaker.urls"
ASGI_APPLICATION = "policymaker.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL when DATABASE_URL says so.
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # For the threads that serve HTTP requests, which come and go: a persistent
        # connection belongs to the thread that opened it, so they would pile up.
        # 0 = close after each request. The websockets' one database thread keeps
        # its connection whatever this says (game.db).
        conn_max_age=envint("CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the single writer; NORMAL is durable in WAL mode
        # except for the last transactions on power loss, acceptable for a workshop.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        # A DEFERRED transaction that reads and then writes cannot wait for the write
        # lock (SQLite returns "database is locked" at once); IMMEDIATE takes the lock
        # at BEGIN, where the busy timeout applies, so concurrent writers queue up.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,  # seconds to wait for the write lock before giving up
    }

# Channel layer: Redis when REDIS_URL is set (several processes), else in-memory.
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                # Messages for all consumers of one process queue in one Redis list,
                # and a group send that finds it full is dropped with only an INFO
                # log. A change is one message per stream it touches (game.wire), and
                # the host's and the projector's consumers take one per change: a
                # burst (a room voting at once) can queue hundreds; 1500 leaves headroom.
                "capacity": 1500,
                # Group members expire after this even while connected, so it must
                # outlast the longest workshop (a long day, < 6 h); shorter than the
                # default 24 h so stale members left by restarts are swept sooner.
                "group_expiry": 6 * 60 * 60,
            },
        }
    }
else:
    # One process: a consumer's queue holds what it has not yet sent on. Since each
    # change reaches only the streams it touches (game.wire), a phone gets a few
    # messages a second at most; the host, who sees every committee, gets one per
    # change: 1,000 covers a 2,000-player vote storm's backlog (the default is 100).
    # A queue that is full all the same is logged and its viewer sent a snapshot
    # (game.layers), where Channels' own layer would drop the message silently.
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "game.layers.InMemoryLayer", "CONFIG": {"capacity": 1000}}
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "/host/login/"
LOGIN_REDIRECT_URL = "/host/"

# Internationalisation: Danish first (the players are Danish politicians), English too.
LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Copenhagen"
USE_TZ = True

# Static files are served by whitenoise from our own server: no CDN anywhere.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files (cacheable forever) need collectstatic, so only in
    # production; in debug whitenoise serves straight from the finders.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    # Trusts X-Forwarded-Proto: the TLS-terminating proxy in front must set it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31_536_000  # one year, as required for the preload list
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

# The round clock: each server process checks for due timers once a second.
# Tests that drive the clock themselves turn it off.
GAME_TIMER_LOOP = envbool("GAME_TIMER_LOOP", True)

# The most players one session seats (each session keeps the cap it was created with).
MAX_PLAYERS = envint("MAX_PLAYERS", 2000)
if MAX_PLAYERS < 1:
    raise ImproperlyConfigured("MAX_PLAYERS must be 1 or more.")

# Personal data (names, seat tokens, free texts) is kept this many days after a
# session ends; `manage.py purge_sessions` deletes it then (see game/retention.py).
RETENTION_DAYS = envint("RETENTION_DAYS", 30)
# The browser that prints the hosts' PDF handouts (game/pdf.py).
CHROMIUM = envstr("CHROMIUM", "/usr/bin/chromium")

# --- security headers --------------------------------------------------------------------
# Content-Security-Policy (django-csp), on every page in debug too, so that a
# violation shows up while developing: only this site's own scripts, styles,
# images and sockets. No inline script or handler anywhere (the templates load
# static/js, data goes in json_script or data-attributes), no plugins, no
# framing. 'self' in connect-src covers ws:/wss: to the same host (CSP level 3).
# The favicon is an empty data: URL, hence data: for images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],  # style sheets from static/ only: no <style> element
        # Style attributes only (no <style> element, no stylesheet from elsewhere):
        # the live pages draw the meters' bars as style="width: N%". An attribute
        # cannot run script or select other elements.
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Permissions-Policy (policymaker.middleware): the game needs no device feature.
PERMISSIONS_POLICY = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)

# --- login throttling (django-axes) ------------------------------------------------------
# The host login and the admin login share Django's authentication, so both are
# throttled: after AXES_FAILURE_LIMIT wrong passwords for one account (from
# anywhere) or from one address (for any account), logins are refused with 429
# for AXES_COOLOFF_TIME. A failure during the lockout does not extend it, so a
# guesser cannot keep the host out for good; `manage.py unlock_host` ends it at once.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: it refuses before a password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_MINUTES = envint("LOGIN_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "game.views.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# The client's address: REMOTE_ADDR. Behind a proxy, run Daphne with
# --proxy-headers so that REMOTE_ADDR is the client's (see README).
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# --- joining (game.limits) ---------------------------------------------------------------
# Per address and session, a token bucket: JOIN_BURST seats at once, then one
# more every JOIN_INTERVAL seconds. A room behind one NAT address gets in: 6 +
# 60/2 = 36 seats in the first minute, 66 in two; a script firing 300 joins in a
# few seconds gets 6-9. See README ("Limits").
JOIN_BURST = envint("JOIN_BURST", 6)
JOIN_INTERVAL = float(envstr("JOIN_INTERVAL", "2"))
# Wrong or ended codes per address (any session): 20 at once, then one per 10 s.
CODE_GUESS_BURST = envint("CODE_GUESS_BURST", 20)
CODE_GUESS_INTERVAL = float(envstr("CODE_GUESS_INTERVAL", "10"))

# The cache holds the buckets: Redis when there is one (shared by all processes),
# else this process's memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pm",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

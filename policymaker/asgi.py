"""ASGI entry point: HTTP to Django, websockets to Channels consumers."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policymaker.settings")

# Set up Django (apps, models) before importing anything that imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

import game.routing  # noqa: E402
from game.origins import OriginValidator  # noqa: E402

# The garbage collector, sized for a server that holds a session's views: at 1,000
# players each change makes and drops a few hundred thousand objects, and with
# Python's thresholds (700, 10, 10) the collector ran 4,500 times in a bench run
# (bench/broadcast.py), 32 of them full collections of every object the process
# holds: 9.5 s in all, up to 290 ms at once, in the middle of round changes. What
# was loaded at start (Django, the code) is frozen out of every collection, and
# the collections come fifty times less often: 32 in that run, 1.2 s; the round
# change's p99 halved. Garbage in cycles lives a little longer: at 1,000 players
# 87-95 KB of memory per player, 77-84 KB before (README: Performance).
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 100)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The origin check refuses cross-site websockets (the browser sends cookies
        # to any page that opens one): scheme, host and port exactly, see
        # game/origins.py. The host's routes load the user (game/routing.py).
        "websocket": OriginValidator(URLRouter(game.routing.websocket_urlpatterns)),
    }
)

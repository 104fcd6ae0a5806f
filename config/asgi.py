import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()  # before importing consumers (stack notes)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from exercises.origin import SameOriginValidator  # noqa: E402
from exercises.routing import websocket_urlpatterns  # noqa: E402
from exercises.wsauth import LazyAuthMiddlewareStack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(LazyAuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Everything imported so far lives as long as the worker. Freezing it keeps CPython's full
# collections from walking it again and again while sockets wait (docs/performance.md).
gc.collect()
gc.freeze()

"""`buko.entrypoints.http.asgi:app` — the app built from the environment (hypercorn workers import it)."""
from buko.adapters.observability.logs import configure_from_settings
from buko.config import Settings
from buko.entrypoints.http.app import create_app
from buko.entrypoints.http.serve import behind_proxies, without_websocket_compression

configure_from_settings(Settings(), service=True)
without_websocket_compression()  # each hypercorn worker process imports this module
app = behind_proxies(create_app(), Settings().proxy_hops)

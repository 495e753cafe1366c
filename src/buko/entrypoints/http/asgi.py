"""`buko.entrypoints.http.asgi:app` — the app built from the environment (hypercorn workers import it)."""
from buko.entrypoints.http.app import create_app

app = create_app()

"""The intake service: a Starlette app that receives comments for moderation.

``create_app(settings, db_path)`` builds the ASGI app; ``serve(settings, db_path,
host, port)`` runs it with uvicorn (what ``moderation serve`` calls).
"""

from __future__ import annotations

from pathlib import Path

from ..settings import Settings
from .app import create_app

__all__ = ["create_app", "serve"]

SWITCH_INTERVAL = 0.001


def serve(settings: Settings, db_path: str | Path, host: str, port: int) -> None:
    """Run the service until interrupted (one worker process, as the store expects).

    ``X-Forwarded-For`` is interpreted by the app itself against
    ``COMMENTS_TRUSTED_PROXIES``, so uvicorn's own proxy-header handling is off.
    """
    import sys

    import uvicorn

    # The screening thread shares the interpreter with the event loop; a shorter
    # switch interval hands the GIL back to waiting requests sooner.
    sys.setswitchinterval(SWITCH_INTERVAL)

    config = uvicorn.Config(
        create_app(settings, db_path),
        host=host,
        port=port,
        loop="auto",  # uvloop when installed
        http="auto",  # httptools when installed
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        access_log=False,
        timeout_graceful_shutdown=10,
        backlog=2048,
    )
    uvicorn.Server(config).run()

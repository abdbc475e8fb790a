"""The intake service: a Starlette app that receives comments for moderation.

``create_app(settings, db_path)`` builds the ASGI app; ``serve(settings, db_path,
host, port)`` runs it with uvicorn (what ``moderation serve`` calls).
"""

from __future__ import annotations

from pathlib import Path

from ..settings import Settings
from .intake_app import create_app

__all__ = ["create_app", "serve"]

#: The longest request head (request line and headers) the service reads. A
#: browser's is under 8 KiB; anything longer is refused before it is parsed.
MAX_HEADER_BYTES = 16 * 1024


def serve(settings: Settings, db_path: str | Path, host: str, port: int) -> None:
    """Run the service until interrupted (one worker process, as the store expects).

    ``X-Forwarded-For`` is interpreted by the app itself against
    ``COMMENTS_TRUSTED_PROXIES``, so uvicorn's own proxy-header handling is off.
    """
    import uvicorn

    config = uvicorn.Config(
        create_app(settings, db_path),
        host=host,
        port=port,
        loop="auto",  # uvloop when installed
        # h11 caps the request head (httptools reads headers of any size).
        http="h11",
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        access_log=False,
        timeout_graceful_shutdown=10,
        backlog=2048,
    )
    uvicorn.Server(config).run()

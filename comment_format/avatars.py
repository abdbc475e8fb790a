"""Avatars: an identicon drawn from a comment's avatar hash, and the opt-in hosted pictures.

A comment file's ``avatar`` is a keyed hash of the commenter's email (moderation
makes it with the site's secret key), so the picture drawn from it is the same on
every build, tells nothing about the address, and needs no request to anyone: it
is inline SVG, a symmetric 5 × 5 pattern in one colour, like the identicons of
code hosts. The plugin draws them at build time; the intake draws the same one
for a preview.

With ``COMMENTS_AVATARS = "libravatar"`` or ``"gravatar"``, a commenter who ticks
the box on the form has the SHA-256 of their email published (``email_hash`` in
the comment file) and the page asks that service for their picture; the
identicon stays underneath, so someone without a picture there still has a face.
"""

from __future__ import annotations

import colorsys
import functools
import hashlib

from .files import EMAIL_HASH

#: ``COMMENTS_AVATARS`` values: the local identicon alone, or a hosted picture over it.
AVATAR_SERVICES = ("identicon", "libravatar", "gravatar")
#: Where each hosted service serves a picture for a SHA-256 email hash. ``d=404``:
#: someone without a picture there gets nothing, so the identicon shows through.
SERVICE_URLS = {
    "libravatar": "https://seccdn.libravatar.org/avatar/{hash}?s={size}&d=404",
    "gravatar": "https://gravatar.com/avatar/{hash}?s={size}&d=404",
}
GRID = 5


def email_hash(email: str) -> str:
    """What Libravatar and Gravatar look pictures up by: SHA-256 of the lower-cased email."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def service_url(service: str, hashed_email: str, size: int = 80) -> str | None:
    """The picture address at ``service`` (``None`` for the identicon or a bad hash)."""
    template = SERVICE_URLS.get(service)
    if template is None or EMAIL_HASH.fullmatch(hashed_email) is None:
        return None
    return template.format(hash=hashed_email, size=size)


@functools.lru_cache(maxsize=4096)
def identicon_svg(key: str, size: int = 40) -> str:
    """An inline SVG identicon for ``key`` (a comment's avatar hash); safe to insert as is.

    Its bytes come from SHA-256 of the key: the first two pick the hue, the next
    fifteen bits which cells of the left half (mirrored to the right) are filled.
    """
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    colour = _colour(int.from_bytes(digest[:2], "big"))
    path = _path(int.from_bytes(digest[2:4], "big") & 0x7FFF)
    return (
        f'<svg class="identicon" xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 6 6" '
        f'width="{size}" height="{size}" aria-hidden="true" focusable="false">'
        f'<rect x="-0.5" y="-0.5" width="6" height="6" fill="#f2efe8"/>'
        f'<path fill="{colour}" shape-rendering="crispEdges" d="{path}"/></svg>'
    )


@functools.lru_cache(maxsize=1024)
def _colour(hue: int) -> str:
    # A mid lightness and saturation: readable on the light background and the dark theme.
    red, green, blue = colorsys.hls_to_rgb(hue / 65535, 0.42, 0.55)
    return f"#{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}"


_CELLS = [[f"M{x} {y}h1v1h-1z" for y in range(GRID)] for x in range(GRID)]


@functools.lru_cache(maxsize=1 << 15)
def _path(bits: int) -> str:
    """The cells of one pattern (15 bits: the left three columns, mirrored) as a path."""
    if not bits:  # an empty face is no face: fill the middle column
        bits = 0b11111 << (GRID // 2 * GRID)
    return "".join(
        _CELLS[x][y]
        for x in range(GRID)
        for y in range(GRID)
        if bits >> (min(x, GRID - 1 - x) * GRID + y) & 1
    )

"""Settings for the published site: pelicanconf.py plus the real addresses.

``invoke publish`` and ``invoke preview`` build with this file. Three environment
variables adapt it to a host without editing it:

- ``SITEURL``: the public address (default ``https://learning-out-loud.example``);
- ``COMMENTS_INTAKE_URL``: where comment forms post (default ``SITEURL + "/comments"``,
  a reverse-proxy route to ``python -m moderation serve``);
- ``DEPLOY_TARGET``: where ``invoke publish`` copies ``output/`` with rsync, either
  ``user@host:/path/`` or a local directory.
"""

import json
import os
import sys

# Pelican loads this file by path; make its sibling importable from any cwd.
sys.path.append(os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: F403

SITEURL = os.environ.get("SITEURL", "https://learning-out-loud.example").rstrip("/")
RELATIVE_URLS = False

FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"

DELETE_OUTPUT_DIRECTORY = True

COMMENTS_SITE_URL = SITEURL


def _env_string(name: str, default: str) -> str:
    """A plain string, or a JSON string as the comments plugin expects for COMMENTS_* keys."""
    value = os.environ.get(name, default)
    if value.startswith('"'):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise ValueError(f"{name}={value!r} is neither a URL nor a JSON string") from error
    return value


COMMENTS_INTAKE_URL = _env_string("COMMENTS_INTAKE_URL", SITEURL + "/comments")
COMMENTS_ALLOWED_ORIGINS = [SITEURL]

DEPLOY_TARGET = os.environ.get(
    "DEPLOY_TARGET", "deploy@learning-out-loud.example:/srv/www/learning-out-loud/"
)

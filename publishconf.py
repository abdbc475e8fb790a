"""Settings for the published site: pelicanconf.py plus the real addresses.

``invoke publish``, ``invoke preview`` and ``invoke intake`` use this file. Two
environment variables adapt it to a host without editing it:

- ``SITEURL``: the public address (default ``https://learning-out-loud.example``);
- ``DEPLOY_TARGET``: where ``invoke publish`` copies ``output/`` with rsync, either
  ``user@host:/path/`` or a local directory.

Comment forms post to ``SITEURL + "/comments"``, a reverse-proxy route to the intake
service. Like every ``COMMENTS_*`` key, ``COMMENTS_INTAKE_URL`` can be overridden by
an environment variable holding JSON: ``COMMENTS_INTAKE_URL='"https://x.example/c"'``
(the plugin and moderation read it; this file does not need to).
"""

import os
import sys

# Pelican loads this file by path; make its sibling importable from any cwd.
sys.path.append(os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: F403

SITEURL = os.environ.get("SITEURL", "https://learning-out-loud.example").rstrip("/")
RELATIVE_URLS = False
FEED_DOMAIN = SITEURL
# Canonical links, social cards, JSON-LD and sitemap.xml name the public address.
CANONICAL_SITEURL = SITEURL

FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"

DELETE_OUTPUT_DIRECTORY = True

COMMENTS_SITE_URL = SITEURL


COMMENTS_INTAKE_URL = SITEURL + "/comments"
COMMENTS_ALLOWED_ORIGINS = [SITEURL]

DEPLOY_TARGET = os.environ.get(
    "DEPLOY_TARGET", "deploy@learning-out-loud.example:/srv/www/learning-out-loud/"
)

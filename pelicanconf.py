"""Settings for the demo blog, read by Pelican, the comments plugin and moderation.

Every ``COMMENTS_*`` key below is documented in README.md ("Settings"). Both the
plugin and ``moderation`` let an environment variable of the same name override
a key; its value is parsed as JSON (``COMMENTS_RATE_LIMIT=0``).
"""

AUTHOR = "Mara Lindqvist"
SITENAME = "Learning Out Loud"
SITESUBTITLE = "Notes on learning in the social age"
SITEURL = ""
RELATIVE_URLS = True

PATH = "content"
ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
# Comment files are read by the comments plugin, never as articles or pages.
# demo-comments: where the demo (make serve) publishes, ignored by git (issue 12).
ARTICLE_EXCLUDES = ["comments", "demo-comments"]
PAGE_EXCLUDES = ["comments", "demo-comments"]
STATIC_PATHS = ["images"]

TIMEZONE = "Europe/Stockholm"
DEFAULT_LANG = "en"
# Dates carry fixed offsets, for which %Z prints nothing: show the offset itself.
DEFAULT_DATE_FORMAT = "%d %B %Y, %H:%M UTC%z"
DEFAULT_PAGINATION = 5

THEME = "theme"
PLUGIN_PATHS = ["plugins"]
# publishing: figures, canonical links, social cards, JSON-LD, share links, the
# sitemap and the Pagefind search index (plugins/publishing). readtime and series
# are the pelican-readtime and pelican-series packages.
# languages: the theme's strings and dates in the page's language (theme/translations).
PLUGINS = ["comments", "languages", "publishing", "readtime", "series"]

ARTICLE_URL = "{date:%Y}/{slug}.html"
ARTICLE_SAVE_AS = "{date:%Y}/{slug}.html"
PAGE_URL = "pages/{slug}.html"
PAGE_SAVE_AS = "pages/{slug}.html"

# Feeds need absolute links; locally they point at the demo server.
FEED_DOMAIN = "http://127.0.0.1:8000"
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

DIRECT_TEMPLATES = ["index", "tags", "categories", "authors", "archives", "search"]
TEMPLATE_PAGES = {
    "404.html": "404.html",
    "robots.txt": "robots.txt",
    "share_mastodon.html": "share/mastodon.html",
}

# Drafts (Status: draft) build to drafts/; an article dated in the future is a draft
# until a build after its date. Neither is in the feeds, the sitemap or the search.
WITH_FUTURE_DATES = False

# Canonical links, social cards, JSON-LD and the sitemap need absolute addresses;
# unset, CANONICAL_SITEURL is SITEURL when absolute, else FEED_DOMAIN (the demo server).
SITEMAP = {
    "format": "xml",
    "exclude": [r"^404\.html$", r"^search\.html$", r"^robots\.txt$", r"^share/", r"^drafts/"],
}
SEARCH_INDEX = True  # Pagefind indexes output/ into output/pagefind/ after each build

AUTHOR_BIOS = {
    "Mara Lindqvist": (
        "Mara designs workplace learning programmes and has spent fifteen years "
        "watching online communities grow, thrive and, too often, get sold."
    ),
    "Tomás Reyes": (
        "Tomás ran social media channels for a software company for eight years before "
        "deciding he preferred listening to broadcasting. He now advises organisations on "
        "how to take part in online communities without treating them as markets."
    ),
}

# Categories are in the sidebar; on a phone they would wrap the menu to three lines.
DISPLAY_CATEGORIES_ON_MENU = False
MENUITEMS = [("Archives", "archives.html"), ("Tags", "tags.html"), ("Search", "search.html")]

# --- Comments: shared by the plugin (rendering) and moderation (intake, screening) ---

# The public address of the site. Moderation uses it for permalinks sent to
# Akismet, for the redirect after a form post and for the Origin allowlist.
COMMENTS_SITE_URL = "http://127.0.0.1:8000"
# Where the article's comment form posts (the intake service).
COMMENTS_INTAKE_URL = "http://127.0.0.1:8080/comments"
# The hidden trap field; humans never see it, bots fill it.
COMMENTS_HONEYPOT_FIELD = "website"
# Page shown after a form post; relative to COMMENTS_SITE_URL.
COMMENTS_THANKS_URL = "pages/comment-received.html"
COMMENTS_PRIVACY_URL = "pages/comments-and-privacy.html"

# Plugin: rendering
COMMENTS_PATH = "comments"  # inside PATH: content/comments/<article-slug>/<id>.md
COMMENTS_MAX_DEPTH = 4
COMMENTS_CLOSE_AFTER_DAYS = 0  # 0 keeps comments open for ever
COMMENTS_STRICT = True  # a bad comment file fails the build
COMMENTS_FEED_ATOM = "feeds/comments/{slug}.atom.xml"
COMMENTS_ALL_FEED_ATOM = "feeds/comments.atom.xml"
COMMENTS_ALL_FEED_MAX_ITEMS = 50  # the site-wide feed carries the newest comments only
COMMENTS_RECENT_COUNT = 5

# Intake: the thread index the plugin writes and the service reads.
COMMENTS_THREADS = None  # default: OUTPUT_PATH/comments/threads.json
COMMENTS_RATE_LIMIT = 5  # submissions per minute per IP; 0 turns it off
COMMENTS_MIN_SECONDS = 3  # faster than this after the form was served: held
COMMENTS_TRUSTED_PROXIES = ["127.0.0.1", "::1"]
COMMENTS_ALLOWED_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]
COMMENTS_ALLOW_NULL_ORIGIN = False  # "Origin: null" (sandboxed pages, anyone's): 403
# 10,000 characters of CJK or emoji, urlencoded, need about 120 KiB.
COMMENTS_MAX_REQUEST_BYTES = 160 * 1024

# Screening: every signal runs; the policy maps the combined score to a decision.
COMMENTS_MODERATION = {
    "approve_below": 0.35,  # combined score under this: approve
    "spam_at": 0.85,  # at or over this: spam; in between: hold
    "max_links": 2,  # this many links or more: hold
    "moderation_keys": [],  # a match holds the comment
    "disallowed_keys": [],  # words, domains, emails or IPs: a match is spam
    "flood_seconds": 15,  # two comments from one IP closer than this: flood
    "trust_after_approved": 1,  # earlier approved comments that make an author trusted
}
COMMENTS_AKISMET_RECHECK_MINUTES = 20
COMMENTS_AKISMET_GIVE_UP_DAYS = 15
COMMENTS_AKISMET_CONCURRENCY = 16

# Privacy
COMMENTS_RETENTION_DAYS = 30  # then IP and user agent become a keyed hash

# Readers: the private link, avatars and Webmentions (README: "Readers").
COMMENTS_EDIT_MINUTES = 15  # a comment can be changed this long after posting, and while held
COMMENTS_AVATARS = "identicon"  # or "libravatar"/"gravatar" for commenters who tick the box
COMMENTS_WEBMENTION_URL = None  # None: /webmention beside the intake; "": advertise none
COMMENTS_WEBMENTION_ALLOW_PRIVATE = False  # fetch sources on private addresses (tests only)

# Notifications: moderator alerts and reply emails for readers (README: "Notifications").
# The SMTP password comes from MODERATION_SMTP_PASSWORD, the webhook secret from the
# environment variable the webhook's "secret_env" names; never from this file.
COMMENTS_SMTP = {
    "host": "127.0.0.1",
    "port": 25,
    "security": "none",  # none, starttls or tls
    "user": None,
    "from": "blog@example.org",
}
COMMENTS_NOTIFY = {
    "moderators": [],  # e.g. ["moderator@example.org"]: who is alerted to held comments
    "mode": "immediate",  # or "digest": one email every digest_minutes
    "digest_minutes": 30,
    "webhook": None,  # or {"url": "https://...", "secret_env": "MODERATION_WEBHOOK_SECRET"}
    "daily_summary": False,  # counts and the oldest held comment, each morning
    "alert_spam": False,  # spam is not announced unless this is True
}

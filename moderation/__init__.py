"""The comment pipeline: intake, store, screening, review and publishing.

A library first (``store``, ``screening``, ``review``, ``publish``, ``privacy``);
the CLI (``cli``) and the web service (``web``) are thin faces over it.
"""

__version__ = "0.1.0"

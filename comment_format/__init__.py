"""The comment format: the one contract between ``moderation`` and the comments plugin.

Both sides import this package and nothing of each other. It says, once:

- :mod:`.text`: which names and bodies are acceptable at all (lengths, invisible,
  control and direction-changing characters), so that the intake refuses exactly
  what the plugin could not show;
- :mod:`.render`: how a body becomes HTML (CommonMark through cmark, raw HTML shown
  as text, the nh3 allowlist), with the limits every body must stay within;
- :mod:`.files`: the layout of a comment file in ``content/comments/<slug>/<id>.md``;
- :mod:`.settings`: the ``COMMENTS_*`` settings both sides read, with their checks.

The README's "The comment file format" section describes the same contract in prose.
"""

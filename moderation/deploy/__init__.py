"""Publishing the site: screen, write approved comments, build, deploy all or nothing.

One library function, :func:`publish_site`, behind both ``invoke publish`` and the
review page's "Publish and deploy" button:

    report = publish_site(root, settings_file="publishconf.py", target=None,
                          dry_run=False, progress=None)
    print(report.summary())

- :mod:`.pipeline`: the steps and :class:`DeployReport`;
- :mod:`.preflight`: what is checked before anything happens;
- :mod:`.build` and :mod:`.runner`: Pelican in a child interpreter, with caches;
- :mod:`.targets`: a local folder (swapped whole), rsync, a git branch (ghp-import);
- :mod:`.trees`: comparing and replacing folders of files;
- :mod:`.lock`: one publish at a time.
"""

from __future__ import annotations

from .errors import DeployError, PreflightError, PublishLocked
from .pipeline import STEPS, DeployReport, Progress, publish_site
from .targets import parse_target
from .trees import Changes

__all__ = [
    "STEPS",
    "Changes",
    "DeployError",
    "DeployReport",
    "PreflightError",
    "Progress",
    "PublishLocked",
    "parse_target",
    "publish_site",
]

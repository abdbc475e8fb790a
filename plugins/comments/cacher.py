"""Pelican's content cachers, saved atomically and loaded forgivingly.

Pelican's ``save_cache`` writes the pickle over the old file in place: a build
stopped while it writes (Ctrl-C, a killed process, a full disk) leaves an empty
or truncated cache. Its loader falls back to an empty cache for the errors it
expects (a missing file, ``PickleError``) but not for the others a cut or
damaged pickle raises, ``EOFError`` first of all, so the next build would crash.
These subclasses write the pickle to a temporary file in the same folder and
``os.replace`` it over the old one, so the cache on disk is always a whole one,
and start empty, with a warning, from a file they cannot unpickle.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
from typing import Any

from pelican.cache import FileDataCacher, FileStampDataCacher

logger = logging.getLogger(__name__)

#: What unpickling a cut or damaged file raises beyond what Pelican catches itself
#: (``OSError``, ``UnicodeDecodeError``, ``pickle.PickleError``).
UNREADABLE = (EOFError, ValueError, TypeError, AttributeError, ImportError, IndexError, KeyError)


class AtomicDataCacher(FileDataCacher):
    """:class:`pelican.cache.FileDataCacher`, saved atomically, loaded forgivingly."""

    def __init__(
        self, settings: Any, cache_name: str, caching_policy: bool, load_policy: bool
    ) -> None:
        try:
            super().__init__(settings, cache_name, caching_policy, load_policy)
        except UNREADABLE as error:
            logger.warning(
                "comments: cannot read the cache %s (%s: %s); starting with an empty one",
                os.path.join(settings["CACHE_PATH"], cache_name),
                type(error).__name__,
                error,
            )
            super().__init__(settings, cache_name, caching_policy, False)

    def save_cache(self) -> None:
        """Save the cache as Pelican does, but never over the old file until it is whole."""
        if not self._cache_data_policy:
            return
        # Beside the cache, so os.replace never crosses file systems.
        temporary: str | None = f"{self._cache_path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self._cache_path), exist_ok=True)
            with self._cache_open(temporary, "wb") as out:
                pickle.dump(self._cache, out)
            os.replace(temporary, self._cache_path)
            temporary = None
        except (OSError, pickle.PicklingError, TypeError) as error:
            logger.warning("Could not save cache %s\n ... %s", self._cache_path, error)
        finally:
            if temporary is not None:  # failed or interrupted: the old cache stays
                with contextlib.suppress(OSError):
                    os.remove(temporary)


class AtomicStampDataCacher(AtomicDataCacher, FileStampDataCacher):
    """:class:`pelican.cache.FileStampDataCacher`, saved atomically, loaded forgivingly.

    Pelican's ``cache_data`` stamps a file when its data is cached, at the end of
    the build: a file changed after it was read would be kept with the new stamp
    and the old data. Here the caller takes each stamp before reading the file
    (:meth:`file_stamp`) and caches the data with it (:meth:`cache_stamped`).
    """

    def file_stamp(self, filename: str) -> Any:
        """The file's stamp now, by ``CHECK_MODIFIED_METHOD`` (take it before reading)."""
        return self._get_file_stamp(filename)

    def cache_stamped(self, filename: str, stamp: Any, data: Any) -> None:
        """Cache ``data`` with ``stamp``, taken when the file was read."""
        FileDataCacher.cache_data(self, filename, (stamp, data))

    def get_stamped(self, filename: str, stamp: Any, default: Any = None) -> Any:
        """The data cached for ``filename`` with this very ``stamp``, else ``default``."""
        cached, data = FileDataCacher.get_cached_data(self, filename, (None, default))
        return data if cached == stamp else default

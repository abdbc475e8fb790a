"""Regular expressions that read comment text, and nothing but linear-time ones.

Every pattern a signal runs on user text is made here, in one of two ways:

- :func:`linear` compiles with RE2 (``google-re2``), whose matching time grows
  linearly with the text whatever the pattern: for anything with unbounded
  repetition (links, phone numbers, prices).
- :func:`phrases` builds a list of phrases for Python's ``re``, which RE2 cannot
  replace there: it needs Unicode word boundaries (``(?<!\\w)``) for phrases in
  other languages. Each phrase is checked when the module loads to hold no
  unbounded quantifier (no ``*``, ``+`` or ``{n,}``), so backtracking stays
  bounded by the phrase's own length: the matching time is linear in the text.
- :func:`runs` matches runs of one character class (words), which cannot
  backtrack either.

Both register the pattern in :data:`REGISTRY`, and a test times each one on
adversarial input of the maximum comment size.

A :class:`PhraseBook` holds many families of phrases: one RE2 set finds in one
pass which families occur at all (most comments hold none), and only those are
searched with their own pattern. Screening thousands of comments a second needs
that: a hundred phrases tried at every word of every comment would not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import re2

#: Every compiled pattern, by name, for the timing test.
REGISTRY: dict[str, Any] = {}

# An unbounded quantifier: *, + or {n,} (escaped characters are skipped first).
_UNBOUNDED = re.compile(r"\\.|(?P<q>[*+]|\{\d+,\})")


def _unbounded(phrase: str) -> bool:
    return any(match.group("q") for match in _UNBOUNDED.finditer(phrase))


def linear(name: str, pattern: str) -> Any:
    """``pattern`` compiled with RE2 (linear time, no backtracking)."""
    compiled = re2.compile(pattern)
    REGISTRY[name] = compiled
    return compiled


def phrases(name: str, alternatives: Iterable[str], *, flags: int = 0) -> re.Pattern[str]:
    """Whole-word phrases (Unicode-aware) for lower-cased text, each free of unbounded
    quantifiers; raises ``ValueError`` for one that is not."""
    alternatives = list(alternatives)
    for phrase in alternatives:
        if _unbounded(phrase):
            raise ValueError(f"{name}: phrase {phrase!r} has an unbounded quantifier")
    compiled = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", flags)
    REGISTRY[name] = compiled
    return compiled


def runs(name: str, char_class: str, minimum: int) -> re.Pattern[str]:
    """Runs of at least ``minimum`` characters of one class (Python ``re``: Unicode
    classes, and a lone class repeated has nothing to backtrack into)."""
    if not (char_class.startswith("[") and char_class.endswith("]")):
        raise ValueError(f"{name}: {char_class!r} is not one character class")
    compiled = re.compile(f"{char_class}{{{minimum},}}")
    REGISTRY[name] = compiled
    return compiled


def found(pattern: Any, text: str, limit: int = 3) -> list[str]:
    """The first ``limit`` distinct matches of ``pattern`` in ``text``, spaces collapsed.

    It looks at no more than ``8 * limit`` matches: a text that repeats one phrase
    thousands of times has said what it had to say by then.
    """
    seen: list[str] = []
    for count, match in enumerate(pattern.finditer(text)):
        if count == 8 * limit:
            break
        phrase = " ".join(match.group(0).split()).lower()
        if phrase not in seen:
            seen.append(phrase)
            if len(seen) == limit:
                break
    return seen


#: A word boundary RE2 can read: the start, or a character that is no letter or digit.
_RE2_BOUNDARY = r"(?:^|[^\pL\pN_])"
_RE2_END = r"(?:$|[^\pL\pN_])"
# A character class (escaped characters, such as an escaped bracket, are skipped first).
_CLASS = re.compile(r"\\.|\[(?P<body>(?:\\.|[^\]\\])*)\]")
_ESCAPE = re.compile(r"\\.")


def _w_in_class(phrase: str) -> bool:
    """Whether ``phrase`` has \\w inside a character class, which the set's rewriting of
    \\w would break (an escaped bracket, ``\\[\\w``, opens no class)."""
    return any(
        "\\w" in _ESCAPE.findall(match.group("body"))
        for match in _CLASS.finditer(phrase)
        if match.group("body") is not None
    )


class PhraseBook:
    """Families of phrases (see :func:`phrases`), searched together.

    A family in ``presence`` is only asked whether it occurs: the set alone answers,
    and its phrases are not looked for one by one (what a common word needs).
    """

    def __init__(
        self, name: str, families: dict[str, list[str]], *, presence: Iterable[str] = ()
    ) -> None:
        self.names = list(families)
        self.presence = frozenset(presence)
        self.patterns = {
            family: phrases(f"{name}: {family}", alternatives)
            for family, alternatives in families.items()
        }
        options = re2.Options()
        # Hundreds of phrases with Unicode classes need more than RE2's default 8 MiB.
        options.max_mem = 64 << 20
        options.never_capture = True
        self._set = re2.Set.SearchSet(options)
        for family, alternatives in families.items():
            for phrase in alternatives:
                if _w_in_class(phrase):
                    # The set would silently never find it: [\w.-] becomes [[\pL\pN_].-].
                    raise ValueError(f"{name}: {family}: \\w inside a class in {phrase!r}")
            # RE2's \w is ASCII only; a phrase's \w is any letter, as in Python.
            joined = "|".join(alternatives).replace("\\w", "[\\pL\\pN_]")
            end = _RE2_END if family in self.presence else ""  # the others' is checked in `found`
            self._set.Add(f"{_RE2_BOUNDARY}(?:{joined}){end}")
        self._set.Compile()
        REGISTRY[f"{name} (set)"] = self._set

    def find(self, text: str, limit: int = 3) -> dict[str, list[str]]:
        """For each family that occurs in (lower-cased) ``text``, its first distinct phrases
        (none for a family in ``presence``)."""
        hits: dict[str, list[str]] = {}
        for index in sorted(self._set.Match(text) or ()):
            family = self.names[index]
            if family in self.presence:
                hits[family] = []
            elif matched := found(self.patterns[family], text, limit):
                hits[family] = matched
        return hits

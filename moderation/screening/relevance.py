"""The "relevance" signal: does the comment talk about its article?

A comment that shares nothing with its article but praise is suspicious; one
that discusses the article's subject, in its words, is very likely genuine. The
article's words are compared with the comment's by their first letters, so
"printer" meets "printing" and "tables" meets "table". Only comments with enough
words of their own are judged, and a comment whose article is unknown (a
``classify`` line without one) is not judged at all. Neither is a comment in
another language or script than its article: sharing no words with it then says
nothing, and language is never evidence of spam.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from itertools import islice

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ..articles import ArticleInfo
from ..models import Comment, SignalResult
from .base import ScreeningContext
from .patterns import runs
from .text import WORD, prose

_ANY_WORD = runs("any word", r"[^\W\d_]", 1)

#: Words every text shares; relevance is judged on the rest.
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | {
    "just", "like", "really", "think", "know", "thanks", "thank", "great", "post", "article",
    "good", "nice", "blog", "work", "time", "make", "people", "thing", "things", "way",
    "want", "need", "use", "using", "used", "lot", "read", "reading", "information", "share",
    "sharing", "keep", "writing", "written", "helpful", "useful", "informative", "website",
}  # fmt: skip
STEM = 5
#: Fewer distinct words of its own than this, and a comment is too short to judge.
MIN_WORDS = 6
#: At least this share of the comment's words in the article: it discusses it.
ON_TOPIC_SHARE = 0.3
ON_TOPIC_WORDS = 3
#: Less than this share, with at least OFF_TOPIC_WORDS words: it talks about something else.
OFF_TOPIC_SHARE = 0.1
OFF_TOPIC_WORDS = 10
ON_TOPIC_WEIGHT = -0.9
OFF_TOPIC_WEIGHT = 0.6
#: The commonest little words of the languages readers write here most: enough to
#: tell which one a text is in (a text of keywords has none of them).
FUNCTION_WORDS = {
    "en": frozenset(ENGLISH_STOP_WORDS),
    "de": frozenset("der die das und ist nicht ich ein eine mit auf für dem den zu von sich "
                    "auch es wie wir sie aber bei mir mich noch nur oder wenn".split()),
    "es": frozenset("el la los las de que y en un una es por con para no lo se su al como "
                    "pero más mi me muy ya también esto".split()),
    "fr": frozenset("le la les de des et en un une est que qui pour pas dans ce il je ne sur "
                    "au avec mais plus nous vous du cette".split()),
    "pt": frozenset("o a os as de que e em um uma é para com não do da dos no na se por mais "
                    "mas eu muito também isso".split()),
    "it": frozenset("il lo la gli le di che e è un una per con non del della in mi si ma più "
                    "anche questo sono".split()),
    "nl": frozenset("de het een en is van dat niet ik op te met voor zijn maar ook je wat "
                    "bij er om dit".split()),
    "sv": frozenset("och att det som en är på för med jag inte av den till har men om så "
                    "vi kan mitt min".split()),
    "pl": frozenset("i w z na się nie to że do jest jak ale co o po tak za od jestem mam "
                    "już dla mnie czy tylko może też przez bo mi niż tego".split()),
    "cs": frozenset("a v se na je že to s z do o ale jak by jsem i tak pro od jsou mi "
                    "už".split()),
    "ru": frozenset("и в не на что я с как это по но он она из за то все так же у от мне "
                    "для было".split()),
    "uk": frozenset("і в не на що я з як це по але та у до за так від мені для же "
                    "було".split()),
    "el": frozenset("και το να η ο της την του σε με για που είναι δεν τα θα από στο "
                    "στην".split()),
    "tr": frozenset("ve bir bu da de için ile çok ama ne gibi daha ben var mı olarak "
                    "sonra".split()),
}  # fmt: skip
#: A language's little words must make up this share of a text to say it is in it.
LANGUAGE_SHARE = 0.12


def script_of(text: str) -> str | None:
    """The writing system most of the first letters of ``text`` are in (LATIN, CYRILLIC ...)."""
    counts: dict[str, int] = {}
    for letter in islice((c for c in text if c.isalpha()), 200):
        script = unicodedata.name(letter, "?").split(" ")[0]
        counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def language_of(text: str) -> str | None:
    """The language of ``text`` among :data:`FUNCTION_WORDS`, or ``None`` when unclear."""
    words = [w.lower() for w in _ANY_WORD.findall(text)]
    if not words:
        return None
    shares = {
        language: sum(w in little for w in words) / len(words)
        for language, little in FUNCTION_WORDS.items()
    }
    best = max(shares, key=shares.__getitem__)
    return best if shares[best] >= LANGUAGE_SHARE else None


def stems(text: str) -> set[str]:
    return {
        word[:STEM] for word in (w.lower() for w in WORD.findall(text)) if word not in STOP_WORDS
    }


class RelevanceSignal:
    name = "relevance"

    def __init__(self) -> None:
        self._article_stems: dict[tuple[str, str], frozenset[str]] = {}
        self._article_language: dict[tuple[str, str], str | None] = {}
        self._article_script: dict[tuple[str, str], str | None] = {}

    def check_many(
        self, comments: Sequence[Comment], context: ScreeningContext
    ) -> list[SignalResult]:
        return [self._check(comment, context) for comment in comments]

    def _vocabulary(self, comment: Comment, context: ScreeningContext) -> frozenset[str] | None:
        article = context.article_for(comment)
        if article is None or not (article.title or article.text):
            return None
        key = (article.slug, article.title)
        if key not in self._article_stems or comment.article_text:
            heading = " ".join((article.title, " ".join(article.tags), article.summary))
            self._article_stems[key] = frozenset(stems(f"{heading}\n{article.text}"))
        return self._article_stems[key]

    def _script(self, article: ArticleInfo) -> str | None:
        key = (article.slug, article.title)
        if key not in self._article_script:
            self._article_script[key] = script_of(f"{article.title}\n{article.text[:3000]}")
        return self._article_script[key]

    def _language(self, article: ArticleInfo) -> str | None:
        key = (article.slug, article.title)
        if key not in self._article_language:
            self._article_language[key] = language_of(f"{article.title}\n{article.text[:3000]}")
        return self._article_language[key]

    def _check(self, comment: Comment, context: ScreeningContext) -> SignalResult:
        vocabulary = self._vocabulary(comment, context)
        if vocabulary is None:
            return SignalResult(self.name, None, "relevance: no article to compare with")
        text = prose(comment.body)
        own = stems(text)
        if len(own) < MIN_WORDS:
            return SignalResult(self.name, None, "relevance: too short to judge")
        article = context.article_for(comment)
        assert article is not None  # _vocabulary() found it
        # Only a comment in the article's language can be judged by the words it shares
        # with it: in another one it shares none, and language is never evidence.
        language, article_language = language_of(text), self._language(article)
        if language is not None and language != article_language:
            return SignalResult(self.name, None, "relevance: not in the article's language")
        if language is None and script_of(text) != self._script(article):
            return SignalResult(self.name, None, "relevance: not in the article's script")
        shared = own & vocabulary
        share = len(shared) / len(own)
        if share >= ON_TOPIC_SHARE and len(shared) >= ON_TOPIC_WORDS:
            finding = (
                f"discusses the article: {len(shared)} of {len(own)} of its words are the article's"
            )
            return SignalResult(
                self.name,
                0.0,
                f"relevance: {finding}",
                findings=(finding,),
                weight=ON_TOPIC_WEIGHT,
                vouches=True,
            )
        if share < OFF_TOPIC_SHARE and len(own) >= OFF_TOPIC_WORDS:
            finding = (
                f"little relation to the article: {len(shared)} of {len(own)} words appear in it"
            )
            return SignalResult(
                self.name,
                0.5,
                f"relevance: {finding}",
                findings=(finding,),
                weight=OFF_TOPIC_WEIGHT,
            )
        return SignalResult(
            self.name, 0.2, f"relevance: {len(shared)} of {len(own)} words appear in the article"
        )

"""The "genuine" signal: what speaks FOR a comment, as evidence against spam.

People who read a technical article quote code and error messages, name
versions and commands, ask how something works, answer each other and quote
the article back. Spam and pitches rarely do any of that. Each habit found
lowers the odds a little; together they can outweigh a link or a plain
"thanks", but not a phone number or a discount code.

Language is never evidence either way: the habits below are counted the same
in any language (a question mark is a question mark).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Comment, SignalResult
from .base import ScreeningContext
from .patterns import PhraseBook, found, linear
from .text import code_in, prose

ERRORS = [
    r"error",
    r"errors",
    r"exception",
    r"traceback",
    r"stack ?trace",
    r"failed",
    r"fails",
    r"failing",
    r"segfault",
    r"permission denied",
    r"not found",
    r"no such file",
    r"command not found",
    r"timed out",
    r"timeout",
    r"warning:",
    r"errno",
    r"exit (?:code|status)",
    r"crash(?:es|ed)?",
    r"(?:doesn't|does not|didn't|did not|won't|can't|cannot) "
    r"(?:work|start|connect|find|open|load|run|print|sync)",
    r"fehler",
    r"fehlermeldung",
    r"erreur",
    r"erro",
    r"falha",
    r"błąd",
    r"fout",
    r"virhe",
    r"hata",
]
TECHNICAL = linear(
    "technical detail",
    r"(?i)\b(?:v?\d{1,4}\.\d{1,4}(?:\.\d{1,4})?)\b"  # versions: 3.12, v2.1.0
    # A command line, typed in lower case: "pip install", "python3 -m venv", "python
    # app.py"; not "Python mailing list" (python takes an option or a file, not a word).
    r"|(?-i:(?:^|\s)(?:sudo|pip|npm|git|docker|apt|brew|systemctl|ssh|crontab|kubectl|curl)"
    r"\s+[a-z-]|(?:^|\s)python3?\s+(?:-|[\w./-]+\.py\b))"
    r"|(?:^|\s)--?[a-z][a-z-]{1,30}\b"  # an option: --force-with-lease
    r"|(?:^|\s)(?:/[\w.-]{1,40}){2,}"  # a path: /etc/cups/printers.conf
    r"|\b[a-z]:\\\\[\w\\\\.-]{2,}"  # a Windows path
    r"|\b\w{1,40}\.(?:py|js|ts|conf|cfg|ini|json|yaml|yml|toml|sh|csv|xlsx|md|html|css|sql|log)\b"
    r"|\b\w{2,40}\(\)",  # a call: foo()
)
QUESTION = [
    r"how (?:do|does|can|could|would|should|did|is|are|to)",
    r"why (?:do|does|is|are|did|would|not)",
    r"what (?:if|about|is|are|does|do|happens|would)",
    r"is there (?:a|any)",
    r"(?:does|do|did|can|could|would|should|will|is|are) (?:this|that|it|anyone|you|someone|"
    r"somebody|the|i|we)",
    r"any (?:idea|ideas|tips|advice|suggestions)",
    r"(?:please|pls|plz) help",
    r"can (?:someone|anyone|somebody) help",
    r"help me",
    r"am i (?:missing|doing)",
    r"wie (?:kann|geht|funktioniert)",
    r"warum",
    r"c[óo]mo",
    r"por qu[ée]",
    r"comment (?:faire|puis)",
    r"pourquoi",
    r"como (?:faço|fazer|posso)",
]
BOOK = PhraseBook("genuine", {"error": ERRORS, "question": QUESTION})

WEIGHTS = {"code": -0.6, "error": -0.4, "technical": -0.4, "question": -0.35, "reply": -0.3,
           "quote": -0.2}  # fmt: skip
#: However much speaks for a comment, it lowers the log-odds by no more than this.
FLOOR = -1.4
#: Words of their own a comment needs besides its code for the code to speak for it.
MIN_OWN_WORDS = 3


class GenuineSignal:
    name = "genuine"

    def check_many(
        self, comments: Sequence[Comment], context: ScreeningContext
    ) -> list[SignalResult]:
        return [self._check(comment) for comment in comments]

    def _check(self, comment: Comment) -> SignalResult:
        body = comment.body
        text = prose(body)
        lowered = text.lower()
        findings: list[str] = []
        weight = 0.0

        def add(finding: str, kind: str) -> None:
            nonlocal weight
            findings.append(finding)
            weight += WEIGHTS[kind]

        # Code counts when the writer also says something of their own about it: a
        # comment that is nothing but "code" may be a pitch in backticks.
        if (kinds := code_in(body)) and len(text.split()) >= MIN_OWN_WORDS:
            add(f"quotes code ({', '.join(kinds)})", "code")
        hits = BOOK.find(lowered, 2)
        if errors := hits.get("error"):
            add(f"describes a problem: {', '.join(repr(e) for e in errors)}", "error")
        if details := found(TECHNICAL, text, 2):
            add(f"technical detail: {', '.join(repr(d) for d in details)}", "technical")
        asked = hits.get("question")
        if asked and ("?" in text or "？" in text or "help" in asked[0]):
            add(f"asks a question ('{asked[0]}')", "question")
        if comment.reply_to or text.lstrip().startswith("@"):
            add("answers another reader", "reply")
        if any(line.startswith(">") for line in body.splitlines()):
            add("quotes the article or a reader", "quote")
        weight = max(weight, FLOOR)
        reason = "genuine: " + ("; ".join(findings) if findings else "nothing in particular")
        score = 0.0 if findings else None
        return SignalResult(
            self.name,
            score,
            reason,
            findings=tuple(findings),
            weight=weight,
            vouches=bool(findings),
        )

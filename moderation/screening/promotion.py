"""The "promotion" signal: sales pitches written by people, in several languages.

Akismet and honeypots stop bots; they let through the friendly human pitch —
"Great post! Our agency helps teams with this, book a demo at ..." — which is
what turns a blog's comments into sales media. Each pattern family below is a
habit of such pitches: calls to action, prices, phone numbers (and the
support-number scam), a company talking about itself, affiliate links, praise
that only carries a link, and words that have nothing to do with the article.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ..models import Comment, SignalResult
from .base import ScreeningContext, evidence_weight, noisy_or
from .text import WORD, find_links


@dataclass(frozen=True)
class Pattern:
    label: str  # how the finding is introduced: "call to action"
    weight: float  # what the first match is worth
    regex: re.Pattern[str]
    more: float = 0.15  # what each further distinct match adds


def _words(*alternatives: str) -> re.Pattern[str]:
    # Matched against lower-cased text: without IGNORECASE the search is several
    # times faster, which matters at thousands of comments a second.
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


CALL_TO_ACTION = Pattern(
    "call to action",
    0.5,
    _words(
        # English
        r"buy (?:now|today|here|online|cheap|it (?:now|here|today)|from us)",
        r"order (?:now|today|here|online|yours)",
        r"place your order",
        r"discount(?:s|ed)?(?: code)?",
        r"promo(?:tion(?:al)?)? code",
        r"coupons?(?: code)?",
        r"\d{1,2} ?% off",
        r"(?:special|limited|exclusive) (?:offer|deal|time)",
        r"free (?:trial|consultation|quote|demo|gift|download|money|iphone|ipad|samples?)",
        r"book (?:a|your) (?:demo|call|free|consultation|session)",
        r"schedule (?:a|your) (?:demo|call|consultation)",
        r"sign up (?:now|today|here|for free)",
        r"register (?:now|today|here)",
        r"(?:dm|pm|inbox|message|text|whatsapp|contact) me",
        r"(?:dm|pm|message|contact) us",
        r"check (?:out )?(?:my|our|this out|this link|the link)",
        r"check (?:me|it|us|them|'?em) out",
        r"check out",
        r"su[bcs]{1,3}rib(?:e|ing)?(?: to (?:my|our|me))?",
        r"(?:my|a) (?:first |new )?subscriber",
        r"(?:check out|take a look at|look at|watch|see) this (?:video|playlist|channel|site"
        r"|website|page|link|app|product|offer|deal|track|song)",
        r"sub(?:scribe)? (?:to|for) (?:me|my)",
        r"subs? me",
        r"(?:please|pls|plz+|plss*) (?:like|share|vote|help|follow|subscribe|sub|watch|check"
        r"|donate|add|support|view|visit|comment|listen|give|join|download)",
        r"(?:get|reach|hit|gain|getting) (?:\d[\d,.]*k? )?(?:subscribers|subs|followers|likes"
        r"|views)",
        r"like (?:this|my|our) (?:page|video|comment|photo|picture|post|channel)",
        r"add me",
        r"vote (?:for|daily|now)",
        r"search (?:for |up )?[\"“']",
        r"(?:download|install) (?:it |this )?(?:now|here|for free|free)",
        r"free (?:itunes|gift ?cards?|v-?bucks|robux|followers|likes|subscribers)",
        r"(?:real|extra|easy|need) money",
        r"sub ?4 ?sub",
        r"follow (?:me|us|my)",
        r"visit (?:my|our|us)",
        r"(?:go|come) to my",
        r"(?:watch|view|like|share) (?:my|our)",
        r"join (?:my|our|us|now)",
        r"click (?:here|the link|this link|on (?:my|the) (?:link|name|profile))",
        r"link in (?:my )?(?:bio|profile|description)",
        r"(?:earn|make) (?:money|\$|cash|\d+)",
        r"work(?:ing)? from home",
        r"get paid",
        r"(?:act|call|apply|hurry|shop) now",
        r"don'?t miss (?:out|this)",
        r"feel free to (?:contact|reach out|check|visit)",
        r"reach out to (?:me|us)",
        r"giveaway",
        r"win (?:a|an|free)",
        # Spanish, Portuguese, Italian
        r"suscr[ií]b[ea]te",
        r"s[ií]gueme",
        r"visita (?:mi|nuestro|nuestra)",
        r"compra(?:r)? (?:ahora|ya|aqu[ií])",
        r"descuentos?",
        r"haz clic",
        r"inscreva-se|se inscreva",
        r"visite (?:meu|minha|nosso|nossa)",
        r"compre (?:agora|j[aá])",
        r"descontos?",
        r"clique (?:aqui|no link)",
        r"iscriviti",
        r"acquista(?: ora)?",
        r"sconto",
        # German
        r"jetzt (?:kaufen|bestellen|buchen|anmelden|testen)",
        r"rabatt(?:code)?",
        r"gutschein(?:code)?",
        r"abonnier(?:t|en|e)",
        r"besuch(?:t|en sie)? (?:meinen|meine|unsere|unseren)",
        r"kostenlos (?:testen|anmelden)",
        r"klick(?:en sie)? hier",
        # French
        r"abonnez-vous|abonne-toi",
        r"achetez(?: maintenant)?",
        r"r[ée]duction",
        r"code promo",
        r"visitez (?:mon|ma|notre|nos)",
        r"cliquez ici",
        r"essai gratuit",
        # Swedish
        r"köp (?:nu|här)",
        r"prenumerera",
        r"besök (?:min|mitt|vår|vårt)",
        r"klicka här",
        r"boka (?:en )?(?:demo|tid)",
        r"gratis provperiod",
    ),
)

SELF_PROMOTION = Pattern(
    "self-promotion",
    0.45,
    _words(
        r"my (?:new |latest |first )?(?:channel|website|web site|blog|page|site|profile"
        r"|videos?|vids?|music|songs?|tracks?|covers?|raps?|remix(?:es)?|mix|playlist|shop"
        r"|store|agency|company|startup|business|course|e-?book|book|app|game|podcast"
        r"|instagram|facebook|twitter|tiktok|youtube|project|stream|poster|art)",
        # "our agency", "our app" and the like are the company speaking (below).
        r"our (?:new |latest |first )?(?:channel|website|web site|blog|page|site|profile"
        r"|videos?|vids?|music|songs?|tracks?|covers?|remix(?:es)?|mix|playlist|podcast"
        r"|instagram|facebook|twitter|tiktok|youtube|project|stream)",
        r"i'?m (?:a|an) (?:new |small |young |upcoming |aspiring |\d+ ?(?:yr|year)s? old )?"
        r"(?:rapper|youtuber|singer|producer|musician|artist|band|dj|gamer|streamer|blogger"
        r"|photographer|designer|entrepreneur|coach|consultant)",
        r"i (?:make|upload|post|create) (?:videos|music|covers|vids|beats|content)",
        r"i (?:did|made|started) (?:a|an|my) (?:cover|video|song|remix|channel|gaming channel)",
        r"(?:i|we) (?:run|own|founded|manage|started) (?:a|an|my|our)",
        r"mi canal|mi p[aá]gina|meu canal|minha p[aá]gina|il mio canale|mein(?:en)? kanal"
        r"|ma cha[iî]ne|min kanal|min blogg",
    ),
)

COMPANY_VOICE = Pattern(
    "company speaking",
    0.4,
    _words(
        r"we (?:offer|provide|help|speciali[sz]e|deliver|build|design|create|develop|sell"
        r"|are a (?:leading|professional|trusted|top|full-service))",
        r"our (?:agency|company|firm|team|services?|products?|platform|solutions?|experts?"
        r"|clients?|customers|tool|software|app|courses?|store|shop)",
        r"hire us|contact us|get in touch",
        r"(?:leading|professional|trusted|affordable|best|top-rated) (?:agency|company|provider"
        r"|services?|solutions?)",
        r"ofrecemos|nuestr[ao]s? (?:empresa|servicios?|equipo|agencia)",
        r"oferecemos|nossa empresa|nossos servi[cç]os",
        r"wir bieten|unsere? (?:agentur|firma|team|dienstleistungen|produkte)",
        r"nous (?:proposons|offrons)|notre (?:agence|[ée]quipe|entreprise|soci[ée]t[ée])",
        r"vi erbjuder|vår (?:byrå|tjänst)|vårt (?:team|företag)",
    ),
)

ENGAGEMENT_BAIT = Pattern(
    "engagement bait",
    0.3,
    _words(
        r"like this (?:comment|post|if)",
        r"(?:thumbs up|like|share) if (?:you|u|ur|your|you're)",
        r"(?:give|leave) (?:it|this|me) a (?:like|thumbs up)",
        r"share your thoughts",
    ),
)

FUNDRAISING = Pattern(
    "fundraising",
    0.45,
    _words(
        r"gofundme|indiegogo|kickstarter|patreon|crowdfunding|fundraiser|vakinha",
        r"donat(?:e|ions?)",
        r"bitcoins?(?: address)?",
    ),
)

PRICE = Pattern(
    "price",
    0.35,
    re.compile(
        r"(?:[$€£¥₹]|r\$|us\$)\s?\d(?:[\d,.]*\d)?(?:\s?(?:k|m)\b)?"
        r"|\b\d(?:[\d,.]*\d)?\s?(?:usd|eur|gbp|euros?|dollars?|bucks|kr|sek|inr|rs\.?|reais)\b",
    ),
)

PATTERNS = (CALL_TO_ACTION, SELF_PROMOTION, COMPANY_VOICE, ENGAGEMENT_BAIT, FUNDRAISING, PRICE)
#: A pitch with fewer words than this around it is all pitch.
BARE_PITCH_WORDS = 8

_PHONE_CANDIDATE = re.compile(r"(?<![\w/=])\+?\(?\d[\d\s().-]{7,}\d(?![\w/])")
_THOUSANDS = re.compile(r"^\d{1,3}(?:[\s,.]\d{3})+$")
_SUPPORT_PHRASE = re.compile(
    r"toll[- ]?free|help ?line|hotline|customer (?:care|support|service)"
    r"|(?:support|helpdesk|help desk|contact) (?:number|line|phone)"
    r"|call (?:us|now|our|the)|tech(?:nical)? support|24/7|24x7",
)

_AFFILIATE = re.compile(
    r"[?&](?:utm_[a-z]+|ref|aff(?:iliate)?(?:_?id)?|tag|partner|referral|coupon|promo)="
    r"|/(?:ref|aff|affiliate|go|recommends)/|clickbank|hop\.clickbank",
    re.IGNORECASE,
)
_REFERRAL_TEXT = _words(r"referral (?:code|link)", r"invite code", r"affiliate link")

# Praise that could sit under any post: an adjective about "the post" or thanks
# for sharing, at the very start.
_PRAISE = re.compile(
    r"^\W*(?:(?:very|really|such an?|so|what an?)\s+)?(?:great|nice|awesome|good|excellent"
    r"|amazing|informative|useful|helpful|wonderful|fantastic|brilliant|cool|interesting"
    r"|lovely|superb|valuable|insightful)\s+(?:post|article|blog|read|content|share|info"
    r"|information|work|stuff|writing|write-up|piece|job|site|video)\b"
    r"|^\W*(?:thanks?|thank you) (?:for|so much for) (?:sharing|this|the (?:post|article|info))"
    r"|^\W*keep (?:it up|up the good work)",
    re.IGNORECASE,
)

#: Words every text shares; relevance is judged on the rest.
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | {"just", "like", "really", "think", "know", "thanks"}
RELEVANCE_MIN_WORDS = 12  # fewer distinct words than this: too short to judge
RELEVANCE_MIN_OVERLAP = 0.15


def _phrases(pattern: re.Pattern[str], text: str, limit: int = 3) -> list[str]:
    seen: list[str] = []
    for match in pattern.finditer(text):
        phrase = " ".join(match.group(0).split()).lower()
        if phrase not in seen:
            seen.append(phrase)
            if len(seen) == limit:
                break
    return seen


def _phone_numbers(text: str) -> list[str]:
    numbers = []
    for match in _PHONE_CANDIDATE.finditer(text):
        candidate = match.group(0).strip()
        digits = sum(ch.isdigit() for ch in candidate)
        if 9 <= digits <= 15 and not _THOUSANDS.match(candidate):
            numbers.append(candidate)
    return numbers


class PromotionSignal:
    name = "promotion"

    def check_many(
        self, comments: Sequence[Comment], context: ScreeningContext
    ) -> list[SignalResult]:
        return [self._check(comment, context) for comment in comments]

    def _check(self, comment: Comment, context: ScreeningContext) -> SignalResult:
        body = comment.body
        lowered = body.lower()
        findings: list[str] = []
        weights: list[float] = []
        for pattern in PATTERNS:
            phrases = _phrases(pattern.regex, lowered)
            for position, phrase in enumerate(phrases):
                findings.append(
                    f"{pattern.label}: {phrase}"
                    if pattern is PRICE
                    else f"{pattern.label}: '{phrase}'"
                )
                weights.append(pattern.weight if position == 0 else pattern.more)
        words = WORD.findall(lowered)
        if findings and len(words) < BARE_PITCH_WORDS:
            findings.append("little else besides the pitch")
            weights.append(0.3)
        phones = _phone_numbers(body)
        if phones:
            support = _phrases(_SUPPORT_PHRASE, lowered)
            if support:
                quoted = ", ".join(f"'{phrase}'" for phrase in support)
                findings.append(f"support-number scam: {quoted} with phone number {phones[0]}")
                weights.append(0.8)
            else:
                findings.append(f"phone number: {phones[0]}")
                weights.append(0.35)
        body_links = find_links(body)
        links = [*body_links, comment.author_url] if comment.author_url else body_links
        affiliate = [link for link in links if _AFFILIATE.search(link)]
        if affiliate:
            findings.append(f"affiliate or tracking link: {affiliate[0]}")
            weights.append(0.5)
        for phrase in _phrases(_REFERRAL_TEXT, lowered, 1):
            findings.append(f"affiliate wording: '{phrase}'")
            weights.append(0.4)
        if body_links and len(body) < 400 and (praise := _PRAISE.match(body)):
            opening = " ".join(praise.group(0).split()).strip(" .,!").lower()
            findings.append(f"generic praise followed by a link: '{opening}'")
            weights.append(0.5)
        article = context.article_for(comment)
        if article is not None:
            vocabulary = set(words) - STOP_WORDS
            if len(vocabulary) >= RELEVANCE_MIN_WORDS:
                shared = vocabulary & article.words
                if len(shared) < RELEVANCE_MIN_OVERLAP * len(vocabulary):
                    findings.append(
                        f"little relation to the article: {len(shared)} of {len(vocabulary)} "
                        "words appear in it"
                    )
                    weights.append(0.3)
        score = noisy_or(weights)
        reason = "promotion: " + ("; ".join(findings) if findings else "no sales language")
        return SignalResult(
            self.name, score, reason, None, tuple(findings), weight=evidence_weight(score, 1.5)
        )

"""The "commercial" signal: the spam that fills real blogs' comment sections.

Most comment spam on blogs is not clever. It sells a phone number ("HP printer
support number +1-888-..."), repeats a keyword phrase for search engines, or
belongs to a handful of trades: pharmacy, casinos and bookmakers (in the
languages they advertise in), essays, loans, crypto "recovery" and doublers,
free films, cracked software, game hacks, replicas, followers, backlinks,
dating. Each habit below is a finding with its own weight; a phone number next
to a support or reservations phrase is about as sure as screening gets, and a
trade whose site is the author's website is what the comment sells.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ..models import Comment, SignalResult
from .base import ScreeningContext, evidence_weight, noisy_or
from .patterns import PhraseBook, linear
from .promotion import SHOP_WORDS, keyword_host
from .text import WORD, find_links, host_of, prose

#: How strongly commercial findings move the combined log-odds.
STRENGTH = 1.6

# -- phone numbers ---------------------------------------------------------------------

# A run that could be a phone number: digits (or the letter O, a trick to dodge
# filters) with the separators people type between groups.
_PHONE_RUN = linear("phone run", r"\+?\(?[0-9][0-9Oo \t().\-/]{6,28}[0-9]")
_TOLL_FREE = re.compile(r"^1?(800|833|844|855|866|877|888)\d{7}$")
_IP_OR_VERSION = re.compile(r"^\d{1,3}(?:\.\d{1,3}){2,3}$")
# A date, alone or followed by a time: 2026-11-29 10:00 reads like a number too.
_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\D|$)|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_GROUPS = re.compile(r"[0-9]+")
# 2 000 000 000 and 1,234,567: a big number written with thousands separators.
_THOUSANDS = re.compile(r"^\d{1,3}(?:[ ,.]\d{3})+$")


def phone_numbers(text: str) -> list[str]:
    """Phone numbers in ``text``, as written: 9 to 15 digits in groups, or with a
    ``+`` or a toll-free prefix; dates, addresses, versions and long ids are not."""
    numbers = []
    for match in _PHONE_RUN.finditer(text):
        written = match.group(0).strip(" \t.-/")
        if sum(ch.isdigit() for ch in written) < 4:
            continue  # mostly letter O: a word, not a number
        digits_only = written.translate(_O_TO_ZERO)
        digits = "".join(ch for ch in digits_only if ch.isdigit())
        groups = _GROUPS.findall(digits_only)
        if not 9 <= len(digits) <= 15:
            continue
        if _IP_OR_VERSION.match(written) or _DATE.match(written) or _THOUSANDS.match(written):
            continue
        grouped = len(groups) >= 3 and max(len(g) for g in groups) <= 5
        if written.startswith("+") or grouped or _TOLL_FREE.match(digits):
            numbers.append(written)
    return numbers


_O_TO_ZERO = str.maketrans("Oo", "00")


def is_toll_free(number: str) -> bool:
    digits = "".join(ch for ch in number.translate(_O_TO_ZERO) if ch.isdigit())
    return _TOLL_FREE.match(digits) is not None


# -- the support-number scam -------------------------------------------------------------

SUPPORT = [
    r"customer (?:service|support|care)",
    r"tech(?:nical)? support",
    r"help ?(?:line|desk)",
    r"support (?:number|phone|line|team|center|centre)",
    r"(?:contact|phone|toll[- ]?free|helpline|service|support) (?:number|no\.?|#)",
    r"toll[- ]?free",
    r"24 ?[/x] ?7",
    r"24 hours? (?:a day|support|service)",
    r"round the clock",
    r"(?:call|dial|ring|contact) (?:us|now|our|the|them|at|on|this|today)",
    r"dial",
    r"reservations?(?: desk| number| line| team)?",
    r"(?:flight|ticket) (?:booking|bookings|change|cancellation|cancel)",
    r"booking (?:number|line|desk)",
    r"(?:login|sign[- ]in|password|account) (?:help|problem|issue|recovery|support)",
    r"(?:recover|reset) (?:your|my)? ?(?:account|password|email)",
]
BRANDS = [
    # printers, antivirus and routers
    r"hp",
    r"epson",
    r"canon",
    r"brother printer",
    r"lexmark",
    r"xerox",
    r"norton",
    r"mcafee",
    r"avast",
    r"avg",
    r"kaspersky",
    r"bitdefender",
    r"webroot",
    r"netgear",
    r"linksys",
    r"tp-?link",
    r"arlo",
    r"belkin",
    # email
    r"gmail",
    r"yahoo(?: mail)?",
    r"outlook",
    r"hotmail",
    r"aol(?: mail)?",
    r"roadrunner",
    r"att (?:mail|email)",
    r"comcast",
    r"verizon",
    # airlines
    r"delta(?: airlines?)?",
    r"united airlines?",
    r"american airlines?",
    r"southwest(?: airlines?)?",
    r"emirates",
    r"lufthansa",
    r"qatar airways",
    r"jetblue",
    r"spirit airlines?",
    r"frontier airlines?",
    r"alaska airlines?",
    r"british airways",
    r"air canada",
    r"klm",
    r"turkish airlines",
    r"airlines?",
    # money and accounting
    r"quickbooks",
    r"quick books",
    r"intuit",
    r"turbotax",
    r"sage(?: 50)?",
    r"cash ?app",
    r"paypal",
    r"venmo",
    r"coinbase",
    r"binance",
    r"metamask",
    r"robinhood",
    r"blockchain(?:\.com)?",
    # the rest of the usual list
    r"geek squad",
    r"roku",
    r"amazon prime",
    r"facebook",
    r"instagram",
    r"microsoft",
    r"apple",
]

# -- the trades of comment spam ------------------------------------------------------------

TRADES: dict[str, list[str]] = {
    "pharmacy": [
        r"viagra",
        r"cialis",
        r"levitra",
        r"tramadol",
        r"xanax",
        r"valium",
        r"oxycodone",
        r"adderall",
        r"kamagra",
        r"phentermine",
        r"generic pills?",
        r"(?:online|cheap|discount) (?:pharmacy|meds|medications?|pills?|drugs?)",
        r"no prescription",
        r"without (?:a )?prescription",
        r"(?:buy|order) (?:\w{1,20} ){0,2}(?:pills?|meds|online without)",
    ],
    "casino": [
        r"casino",
        r"slots?(?: games?| machines?| online)",
        r"online slots?",
        r"(?:sports|online|football|live) betting",
        r"betting (?:sites?|tips|odds|app)",
        r"sportsbook",
        r"jackpot (?:slots?|casino|online|games?)",
        r"poker online",
        r"online poker",
        r"online roulette",
        r"bonus code",
        r"free spins",
        r"judi online",
        r"situs (?:judi|slot|togel)",
        r"togel",
        r"gacor",
        # the same trade in other languages: a bookmaker is a bookmaker in any of them
        r"cassinos?",
        r"casin[òó]",
        r"kasino",
        r"kasyno",
        r"apostas? (?:esportivas?|online|desportivas?)",
        r"apuestas (?:deportivas|online)",
        r"sportwetten",
        r"paris sportifs",
        r"scommesse (?:sportive|online)",
        r"букмекер\w{0,8}",
        r"казино",
        r"ставк[аи] на спорт",
    ],
    "essays": [
        r"essay (?:writing service|writers?|help|services?)",
        r"write my (?:essay|paper|assignment|thesis)",
        r"assignment (?:help|writing|service)",
        r"homework help (?:service|online)",
        r"dissertation (?:help|writing|service)",
        r"thesis writing",
        r"do my (?:homework|assignment)",
        r"paper writing service",
    ],
    "loans": [
        r"payday loans?",
        r"instant loans?",
        r"quick loans?",
        r"cash advance",
        r"loan (?:app|offer|lender)",
        r"bad credit loans?",
        r"credit repair",
        r"fix your credit",
        r"debt relief",
        r"pinjaman",
        r"pinjol",
    ],
    "crypto": [
        r"recover (?:my|your|their|lost|stolen|scammed) "
        r"(?:\w{1,20} )?(?:funds|money|bitcoins?|crypto|btc)",
        r"(?:funds|crypto|bitcoin) recovery",
        r"recovery (?:expert|hacker|agent|specialist)s?",
        r"(?:hire|contact) (?:a |the )?hacker",
        r"(?:ethical|genuine|legit) hackers?",
        r"(?:crypto|bitcoin|forex) (?:investment|trading platform|mining|signals)",
        r"invest(?:ed)? (?:in|with) (?:bitcoin|crypto|forex)",
        r"binary options?",
        r"double your (?:bitcoin|money|investment|btc|crypto)",
        r"(?:bitcoin|btc|crypto|eth|usdt) doubler",
        r"(?:daily|weekly) (?:profit|returns?) of",
        # the testimonial: "I started investing with Mr ... and now I earn ..."
        r"invest(?:ing|ed)? with (?:mr|mrs|ms|miss|dr|sir|madam|expert)\.?",
        r"(?:account|investment|trading) manager (?:mr|mrs|ms|miss|dr|sir|madam)\.?",
    ],
    "free films": [
        r"watch (?:\w{1,20} ){0,3}(?:movies?|films?|series|online) (?:free|for free|online free)",
        r"free (?:movies?|films?|streaming|tv shows?)",
        r"(?:full )?movie (?:online|free|download|hd)",
        r"123 ?movies",
        r"putlocker",
        r"fmovies",
        r"iptv (?:subscription|service|provider|reseller)",
        r"(?:cheap|premium) iptv",
        r"full (?:hd )?movie (?:\w{1,20} ){0,2}(?:download|free|online|\d{3,4}p)",
        r"(?:download|watch) (?:\w{1,20} ){1,3}full (?:hd )?movie",
        r"(?:480|720|1080|2160)p (?:free )?download",
        # A stream of a match or a film, not a library's talk streamed for free.
        r"(?:vs\.? (?:\w{1,20} ){1,3}|(?:football|soccer|nfl|nba|nhl|mlb|ufc|boxing|wrestling|f1"
        r"|cricket|rugby|match|game|movie|film|tv|sports?) )live ?stream(?:ing)? (?:for )?free",
        r"live ?stream(?:ing)? (?:for )?free (?:\w{1,20} ){0,2}(?:football|soccer|nfl|nba|nhl"
        r"|mlb|ufc|boxing|wrestling|f1|cricket|rugby|match(?:es)?|games?|movies?|films?|tv"
        r"|sports?|channels?)",
    ],
    "cracked software": [
        # ssh-keygen makes keys; a keygen sold beside a crack or a download makes licences.
        r"keygen (?:\+ |and |with |& )?(?:crack|serial|patch|activator|(?:free )?download"
        r"|full version)",
        r"(?:serial|patch|activator|full version) (?:\+ |and |with |& )?keygen",
        r"crack(?:ed)? (?:\+ |and |with )?(?:keygen|serial|patch|license key|activation)",
        r"crack(?:ed)? (?:full version|free download|download)",
        r"full version (?:free )?download",
        r"free download (?:full version|cracked|with crack)",
        # Sold or generated, not asked about: "is the license key free for non-profits?"
        r"(?:serial|license|licence|activation|product) keys? (?:generator|crack(?:ed)?"
        r"|(?:free )?download|for sale|free (?:download|lifetime|\d{4}))",
        r"nulled (?:themes?|plugins?|scripts?)",
    ],
    "game hacks": [
        r"free (?:v-?bucks|robux|coins|gems|diamonds|skins)",
        r"(?:v-?bucks|robux) (?:generator|hack|free)",
        r"hack (?:tool|generator|apk)",
        r"mod apk",
        r"(?:unlimited|free) (?:gems|coins|diamonds)",
        r"generator (?:no|without) (?:survey|human verification)",
    ],
    "replicas": [
        r"replica (?:watches?|bags?|handbags?|shoes|rolex)",
        r"(?:fake|replica|cheap) (?:rolex|louis vuitton|gucci|designer)",
        r"designer (?:bags?|handbags?) (?:cheap|sale|outlet)",
    ],
    "followers": [
        r"(?:buy|cheap|real|instant) (?:\w{1,20} )?(?:followers|likes|views|subscribers)",
        r"(?:followers|likes|views) (?:for sale|cheap|instantly)",
        r"smm panel",
    ],
    "search-engine services": [
        r"(?:buy|cheap|quality|high[- ]da|dofollow|pbn|edu|gov|permanent) backlinks?",
        r"backlinks? (?:service|package|for sale|cheap|from)",
        r"guest post(?:ing)? (?:service|sites?|offer|opportunit(?:y|ies))",
        r"(?:paid |niche )?link insertions?",
        r"(?:contribute|write|publish) a (?:paid |sponsored )?guest post (?:to|on|for) your",
        r"sponsored (?:posts?|articles?) (?:on|for|to) your",
        r"(?:rank|ranking) (?:your|on) (?:website|site|google|first page)",
        r"first page of google",
        r"seo (?:services?|agency|company|expert|package)",
        r"(?:high|da|pa) (?:da|pa|authority) (?:links?|sites?)",
        r"link building",
        r"(?:dofollow|do-follow)",
        r"(?:buy|targeted|real|organic) (?:web )?traffic (?:to|for) your",
    ],
    "dating": [
        r"escorts?(?: service)?",
        r"call girls?",
        r"hot (?:girls|singles|women) (?:in|near)",
        r"(?:adult|sex) (?:dating|chat|cams?)",
        r"hookup (?:site|app|tonight)",
        # The women themselves in your area, not "single moms study groups in your area".
        r"(?:hot|single|lonely|sexy|horny|local) (?:\w{1,12} )?(?:girls|women|ladies|singles"
        r"|milfs) (?:(?:in|near) your (?:area|city|town)|near you)",
        r"singles (?:(?:in|near) your (?:area|city|town)|near you)",
        # A sugar baby is also a watermelon: only its dating is a trade.
        r"sugar (?:daddy|daddies|mommy|mommies|dating)",
        r"sugar (?:baby|babies) (?:dating|arrangements?|websites?|sites?|apps?)",
    ],
    "miracle cures": [
        r"weight loss (?:pills?|supplements?|tea|product)",
        r"lose (?:\d{1,3} )?(?:lbs|pounds|kg|weight) (?:fast|in \d{1,3} days)",
        r"keto (?:pills?|gummies|diet pills?)",
        r"diet pills?",
        r"fat burner",
        r"male enhancement",
        r"cbd (?:gummies|oil)",
        r"love spells?",
        r"spell ?caster",
        r"black magic",
        r"get (?:my|your) ex back",
    ],
    "shady documents": [
        r"(?:buy|real|fake) (?:passports?|driver'?s licen[cs]es?|id cards?|diplomas?)",
        r"(?:fake|novelty) (?:documents|ids?|money|banknotes)",
        r"counterfeit (?:money|notes|bills)",
        r"ssn (?:for sale|dumps?)",
        r"(?:buy|fresh|sell|selling) cvvs?",
    ],
    "easy money": [
        r"(?:earn|make) (?:\$ ?\d[\d,.]{0,9}|\d[\d,.]{0,9} ?(?:usd|dollars?|euros?)) "
        r"(?:a|per|every|each) (?:day|week|month|hour)",
        # "When I was earning $1,800 a month as a teaching assistant" is a life, not a scheme.
        r"(?:earning|making) (?:\$ ?\d[\d,.]{0,9}|\d[\d,.]{0,9} ?(?:usd|dollars?|euros?)) "
        r"(?:a|per|every|each) (?:day|week|month|hour) (?:\w{1,20} ){0,2}(?:from home|online"
        r"|easily|passively|with (?:mr|mrs|ms|miss|dr)|(?:by |from |through )?(?:investing"
        r"|trading))",
        r"work(?:ing)? from home (?:and|jobs?|opportunit(?:y|ies))",
        r"(?:make|earn) money (?:online|from home|fast)",
        r"passive income (?:system|stream|from home|online)",
        r"get rich",
        r"side hustle (?:that|to earn|paying)",
    ],
}
BOOK = PhraseBook("commercial", {"support": SUPPORT, "brands": BRANDS, **TRADES})

# -- keyword stuffing ---------------------------------------------------------------------------

_STOP = ENGLISH_STOP_WORDS
#: A phrase of three or more words this often (a two-word one once more), taking up
#: this share of the words, is written for a search engine, not a reader.
STUFFED_REPEATS = 3
STUFFED_SHARE = 0.1


def stuffed_phrase(text: str) -> tuple[str, int] | None:
    """The two-to-four-word phrase repeated most (3 or more times), if it fills the text."""
    words = [w.lower() for w in WORD.findall(text)]
    if len(words) < 6:
        return None
    # A phrase repeated three times repeats its words: most texts stop here.
    if not any(n >= STUFFED_REPEATS for w, n in Counter(words).items() if w not in _STOP):
        return None
    best: tuple[str, int] | None = None
    for size in (4, 3, 2):
        counts = Counter(
            tuple(words[i : i + size])
            for i in range(len(words) - size + 1)
            if words[i] not in _STOP
            and words[i + size - 1] not in _STOP
            # "cool cool cool" is one word repeated (the rules see that), not a phrase
            and len(set(words[i : i + size])) > 1
        )
        for phrase, count in counts.most_common(1):
            repeats = STUFFED_REPEATS + (size == 2)
            fills = count >= repeats and count * size / len(words) >= STUFFED_SHARE
            if fills and (best is None or count * size > best[1] * len(best[0].split())):
                best = (" ".join(phrase), count)
    return best


def names_trade(url: str, trade: str, matches: Sequence[str]) -> bool:
    """Whether the website at ``url`` names ``trade`` or what matched of it: a name
    built for search engines, a word of selling, the trade's own words
    (assignment-help.example for 'assignment help'). A personal blog names none."""
    if keyword_host(url):
        return True
    name = host_of(url).removeprefix("www.").rsplit(".", 1)[0]
    parts = set(WORD.findall(name))
    words = {w for phrase in [trade, *matches] for w in WORD.findall(phrase)} - _STOP
    # Long words may be run together in the name ("cheapessays"); short ones must stand alone.
    return any(w in parts or (len(w) >= 5 and w in name) for w in words | SHOP_WORDS)


# -- the signal ---------------------------------------------------------------------------------

WEIGHTS = {
    "support scam": 0.97,
    "brand service": 0.6,
    "phone": 0.35,
    "toll free": 0.35,
    "trade": 0.75,
    "trade from a website": 0.85,
    "another trade": 0.3,
    "stuffed": 0.85,
    "refrain": 0.7,
}


class CommercialSignal:
    name = "commercial"

    def check_many(
        self, comments: Sequence[Comment], context: ScreeningContext
    ) -> list[SignalResult]:
        return [self._check(comment) for comment in comments]

    def _check(self, comment: Comment) -> SignalResult:
        text = prose(comment.body)  # code is not sales talk
        lowered = f"{comment.author}\n{text}".lower()
        findings: list[str] = []
        weights: list[float] = []

        def add(finding: str, weight: str) -> None:
            findings.append(finding)
            weights.append(WEIGHTS[weight])

        numbers = phone_numbers(text)
        hits = BOOK.find(lowered)
        support = hits.get("support", [])
        if not (numbers and support) and text != comment.body:
            # A support line in backticks is still a support line: code never holds both.
            whole = phone_numbers(comment.body)
            whole_support = BOOK.find(comment.body.lower()).get("support", [])
            if whole and whole_support:
                numbers, support = whole, whole_support
        brands = hits.get("brands", [])
        if numbers and support:
            quoted = ", ".join(f"'{phrase}'" for phrase in support)
            add(f"support-number scam: {quoted} with phone number {numbers[0]}", "support scam")
        elif numbers:
            add(f"phone number: {numbers[0]}", "phone")
        if brands and support and not numbers and find_links(comment.body):
            add(
                f"brand service pitch: '{brands[0]}' with '{support[0]}' and a link",
                "brand service",
            )
        if any(is_toll_free(number) for number in numbers):
            add("toll-free number", "toll free")
        first_trade = True
        for trade in TRADES:
            if matches := hits.get(trade):
                quoted = ", ".join(f"'{m}'" for m in matches[:2])
                if not first_trade:
                    add(f"{trade}: {quoted}", "another trade")
                elif comment.author_url and names_trade(comment.author_url, trade, matches):
                    # The trade's site left as the author's website is what the comment sells.
                    site = host_of(comment.author_url)
                    add(f"{trade}: {quoted}, from a website ({site})", "trade from a website")
                else:
                    add(f"{trade}: {quoted}", "trade")
                first_trade = False
        if stuffed := stuffed_phrase(text):
            phrase, count = stuffed
            # Stuffing is written for a search engine to send readers somewhere: with
            # nowhere to go and nothing else sold, it may be a writer's refrain.
            leads = weights or comment.author_url or find_links(comment.body)
            add(f"keyword stuffing: '{phrase}' {count} times", "stuffed" if leads else "refrain")
        score = noisy_or(weights)
        reason = "commercial: " + ("; ".join(findings) if findings else "no trade of comment spam")
        return SignalResult(
            self.name,
            score,
            reason,
            None,
            tuple(findings),
            weight=evidence_weight(score, STRENGTH),
            grounds=bool(findings),  # every finding here is something the comment sells
        )

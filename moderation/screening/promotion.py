"""The "promotion" signal: sales pitches written by people, in several languages.

Akismet and honeypots stop bots; they let through the friendly human pitch —
"Great post! Our agency helps teams with this, book a demo at ..." — which is
what turns a blog's comments into sales media. Each pattern family below is a
habit of such pitches: an offer (a trial, a discount, a launch), a call to
contact the writer, the writer promoting their own channel or product, a
company talking about itself, affiliate and tracking links, and praise that
could sit under any article or any blog ("you make blogging look easy")
followed by a link, a business or a website named for search engines.

A request to the author ("please help", "can you check my config?"), a
technical "subscribe" (to a webhook, a topic, a feed), a product named in
passing and a price the writer paid ("I got mine for $85") are not promotion;
the "genuine" signal counts what speaks for a comment instead. A short thanks
that carries nothing (no link, no website, no offer) lowers the odds a little:
it is what readers write, and it sells nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Comment, SignalResult
from .base import ScreeningContext, evidence_weight, noisy_or
from .patterns import PhraseBook, found, linear, phrases
from .text import WORD, code_in, find_links, host_of, prose

#: How strongly promotion findings move the combined log-odds.
STRENGTH = 2.4


@dataclass(frozen=True)
class Family:
    label: str  # how the finding is introduced: "offer"
    weight: float  # what the first match is worth
    phrases: list[str]
    more: float = 0.15  # what each further distinct match adds
    #: Whether a match shows what the comment promotes (grounds to decide it is
    #: spam); asking for likes or naming an employer promotes nothing by itself.
    grounds: bool = True


OFFER = Family(
    "offer",
    0.55,
    [
        r"buy (?:now|today|here|online|cheap|it (?:now|here|today)|from us)",
        r"order (?:now|today|here|online|yours)",
        r"place your order",
        r"discount(?:s|ed)? (?:code|coupon|for (?:your|readers|anyone))",
        r"(?:discount|promo(?:tion(?:al)?)?|coupon|voucher) codes?",
        r"use (?:the )?code [a-z0-9]{3,20}",
        r"code [a-z]{2,12}\d{1,3} ",
        r"\d{1,2} ?% off",
        r"half off",
        r"(?:special|limited|exclusive|launch|introductory) (?:offer|deal|price|pricing|discount)",
        r"limited (?:time|spots|seats|places)",
        r"early[- ]?bird(?: price| pricing| discount| tickets?)?",
        r"free (?:trial|consultation|quote|demo|gift|sample|samples|audit|assessment)",
        r"(?:first|1st) (?:month|week|lesson|session) (?:is )?free",
        r"\d{1,3}[- ]day (?:free )?trial",
        r"(?:try|test) it (?:free|for free)",
        r"(?:sign|signing) up (?:now|today|here|for free|at|on)",
        r"(?:sign|signing) up for (?:the|our|a|my) (?:free |private |closed |open )?"
        r"(?:beta|waitlist|early access|trial)",
        r"register (?:now|today|here|at)",
        r"(?:join|get on) (?:the|our) (?:waitlist|waiting list|beta)",
        r"beta (?:invites?|access|testers)",
        r"(?:enrol(?:l)?ment|registration|doors) (?:opens?|is open|closes?)",
        r"pre-?orders?",
        r"(?:i|we) earn (?:a )?(?:small )?commission",
        r"affiliate links?",
        r"referral (?:code|link)",
        r"invite code",
        r"(?:we(?:'re| are)|i'?m) hiring",
        r"(?:open|now hiring for (?:a|an)) (?:roles?|positions?)",
        r"apply (?:at|here|now|via|through)",
        r"join our team",
        r"(?:get|grab|buy) (?:your )?tickets?",
        # Your seat, or a free one, or one at our session: not "grab a seat near the door".
        r"(?:save|reserve|claim|grab|book) (?:your (?:free )?|a free )(?:seat|spot|place)",
        r"(?:save|reserve|claim|grab|book) a (?:seat|spot|place) (?:at|in|for|on) (?:our|my)",
        r"(?:we(?:'re| are)|i(?:'m| am)) (?:hosting|running|holding|organi[sz]ing) (?:a|an|our)"
        r" (?:free |short |live |online |\d{1,3}-minute )?(?:live |online )?(?:session|webinar"
        r"|workshop|masterclass|training|q&a|ama|bootcamp|challenge)",
        # One's own book out on a store (said of it up to a few lines on), not a reader's
        # "it's also on Kindle" of someone else's.
        r"(?:(?:i (?:wrote|published|self-published|have written|'ve written) (?:a|an|my)|my|our)"
        r" (?:new |first |latest )?(?:book|ebook|e-book|course|guide).{0,160}(?:it'?s|it is|is"
        r"|(?:just )?came)|(?:it'?s|it is) (?:now )?(?:out|available)|(?:out|available) now)"
        r" (?:now |also )?(?:out |available )?(?:on|at) (?:amazon|kindle|leanpub"
        r"|gumroad|udemy|skillshare|etsy|teachable|coursera|domestika)",
        r"tickets? (?:are )?(?:on sale|available|left)",
        # German, French, Spanish, Portuguese, Italian, Swedish, Dutch
        r"jetzt (?:kaufen|bestellen|buchen|anmelden|testen)",
        r"rabatt(?:code)?",
        r"gutschein(?:code)?",
        r"kostenlos (?:testen|anmelden|ausprobieren)",
        r"gratis testen",
        r"code promo",
        r"r[ée]duction",
        r"essai gratuit",
        r"achetez(?: maintenant)?",
        r"descuentos?",
        r"c[óo]digo (?:de )?descuento",
        r"prueba gratis",
        r"compra(?:r)? (?:ahora|ya|aqu[ií])",
        r"descontos?",
        r"cupom",
        r"teste gr[áa]tis",
        r"compre (?:agora|j[aá])",
        r"sconto",
        r"prova gratuita",
        r"köp (?:nu|här)",
        r"rabattkod",
        r"gratis provperiod",
        r"kortingscode",
        r"korting",
        r"gratis proberen",
    ],
)

CALL_TO_ACTION = Family(
    "call to action",
    0.5,
    [
        r"(?:check out|take a look at|look at|watch|see) this (?:video|playlist|channel|site"
        r"|website|page|link|app|product|offer|deal|track|song)",
        r"check (?:this|it) out",
        r"check (?:this link|the link)",
        r"check (?:me|us|them|my \w{1,20}|our \w{1,20}) out",
        r"(?:come|please|pls|plz|everyone|guys|hey) check (?:out )?(?:my|our|us|me)",
        r"check out (?:my|our)",
        r"(?:follow|like|sub) ?(?:4|for) ?(?:follow|like|sub)",
        r"(?:subscribe|sub) (?:please|pls|plz|and|thx|thanks|like|guys)",
        r"(?:don'?t forget|remember) to (?:subscribe|sub|like|share|follow)",
        r"hit me up",
        r"hmu",
        r"look (?:me|us|her|him|them) up",
        r"(?:please|pls|plz|plzz|plss) (?:like|share|vote|follow|subscribe|sub|watch|donate"
        r"|support|view|visit|listen|add me|check out my|check my (?:channel|video|page))",
        r"(?:subscribe|sub) (?:to )?(?:my|me|our)",
        r"(?:subscribe|sub) (?:for|if) (?:more|you)",
        r"(?:please|pls|plz|and|now|pls just) (?:subscribe|sub)",
        r"subs? me",
        r"sub ?4 ?sub",
        r"(?:my|a) (?:first |new )?subscriber",
        r"(?:get|reach|hit|gain|getting) (?:\d[\d,.]{0,9}k? )?(?:subscribers|subs|followers"
        r"|likes|views)",
        r"like (?:this|my|our) (?:page|video|comment|photo|picture|post|channel)",
        r"add me",
        r"vote (?:for (?:me|my|us|our)|daily|now)",
        r"(?:download|install) (?:it |this )?(?:now|here|for free|free)",
        r"free (?:itunes|gift ?cards?|v-?bucks|robux|followers|likes|subscribers|iphone|ipad"
        r"|money)",
        r"(?:real|extra|easy|need) money",
        r"follow (?:me|us|my)",
        r"visit (?:my|our|us)",
        r"(?:go|come) to my",
        r"(?:watch|view|like|share) (?:my|our)",
        r"join (?:my|us|now)",
        r"click (?:here|the link|this link|on (?:my|the) (?:link|name|profile))",
        r"(?:earn|make) (?:money|cash|\$)",
        r"get paid",
        r"(?:act|call|apply|hurry|shop) now",
        r"don'?t miss (?:out|this)",
        r"feel free to (?:contact|reach out|visit)",
        r"giveaway",
        r"win (?:a|an|free)",
        # Spanish, Portuguese, Italian, German, French, Swedish
        r"suscr[ií]b[ea]te",
        r"s[ií]gueme",
        r"visita (?:mi|nuestro|nuestra)",
        r"haz clic",
        r"inscreva-se|se inscreva",
        r"visite (?:meu|minha|nosso|nossa)",
        r"clique (?:aqui|no link)",
        r"iscriviti",
        r"acquista(?: ora)?",
        r"abonnier(?:t|en|e)",
        r"besuch(?:t|en sie)? (?:meinen|meine|unsere|unseren)",
        r"klick(?:en sie)? hier",
        r"abonnez-vous|abonne-toi",
        r"visitez (?:mon|ma|notre|nos)",
        r"cliquez ici",
        r"prenumerera",
        r"besök (?:min|mitt|vår|vårt)",
        r"klicka här",
        r"boka (?:en )?(?:demo|tid)",
    ],
)

CONTACT_ME = Family(
    "asks to be contacted",
    0.5,
    [
        r"(?:dm|pm|inbox|message|text|whatsapp|email|e-mail|ping) me",
        r"(?:dm|pm|message|contact|email|ping) us",
        r"drop (?:me|us) (?:a|an) (?:line|message|note|email|dm)",
        r"reach out to (?:me|us)",
        r"get in touch(?: with (?:me|us))?",
        r"contact (?:me|us) (?:at|on|via|for|if)",
        r"book (?:a|your|an) (?:free )?(?:demo|call|consultation|session|intro call|chat)",
        r"schedule (?:a|your) (?:demo|call|consultation)",
        r"(?:\d{1,2}|fifteen|twenty|thirty)[- ]minute (?:call|chat|consultation)",
        # a consultant's open door to every reader
        r"happy to (?:jump|hop|get) on a (?:quick |short |free |brief )?(?:call|zoom|chat)",
        # To me or us, or to no one named: "just reach out to the maintainers" sends elsewhere.
        r"(?:just|feel free to|don'?t hesitate to) reach out(?: to (?:me|us)|[.!?,;:)\n]|$"
        r"| (?:if|anytime|any time|whenever|with|via|here))",
        r"feel free to (?:ask|contact|message|email|ping|dm) (?:me|us)",
        r"happy to (?:share|send) (?:our|my|the) (?:framework|template|playbook|deck"
        r"|checklist)",
        r"(?:link|details|more) (?:is |are )?(?:in|on) (?:my )?(?:bio|profile|description)",
        r"(?:search|look) (?:for )?(?:us|me|it|[\"“'][^\"”']{1,40}[\"”'])? ?(?:on|in) "
        r"(?:the )?(?:app store|play store|google play|spotify|apple podcasts|amazon|etsy"
        r"|tindie|gumroad|youtube|github marketplace|any podcast app|all the usual apps|udemy"
        r"|skillshare|teachable|leanpub|kindle|teachers pay teachers|coursera|domestika)",
        r"(?:search|google|look up) (?:for )?(?:my (?:full )?name|my username|my handle)",
        # Asked of the reader, not told: "my grandmother used to send me a note".
        r"(?:^|\w{1,30}(?:[.!?,:]\s?|\n)|just |please |feel free to |you can )send (?:me|us)"
        r" (?:a |an )?(?:dm|pm|message|direct message|line|note|email|e-mail)",
        r"on (?:any|all the usual) (?:podcast )?apps?",
        r"(?:we(?:'re| are)|i(?:'m| am)) easy to find",
        r"kontaktieren sie (?:mich|uns)",
        r"schreib(?:en sie)? mir",
        r"contactez[- ](?:moi|nous)",
        r"escr[ií]beme",
        r"cont[áa]ctame",
        r"me chame",
    ],
)

OWN_OFFER = Family(
    "promotes their own offer",
    0.45,
    [
        r"(?:my|our) (?:new |newest |latest |first |upcoming |free |paid |online |weekly "
        r"|monthly )?"
        r"(?:course|cohort|bootcamp|masterclass|workshop|webinar|ebook|e-book|book|guide"
        r"|newsletter|podcast|channel|youtube channel|app|startup|agency|company|product"
        r"|saas|platform|plugin|extension|templates?|deck|services|consultancy|studio|shop"
        r"|store|academy|membership|program|programme|bundle|toolkit|playbook|summit"
        r"|conference|meetup|videos?|vids?|music|songs?|tracks?|covers?|raps?|remix(?:es)?"
        r"|mix|playlist|instagram|tiktok|game|stream)",
        r"(?:i|we) (?:built|made|created|launched|developed|host|publish|founded|designed"
        r"|packaged|recorded|released) (?:a|an|the|our|my) (?:little |small |free |new |short )?"
        # a Chrome extension, a CLI tool: only a tool takes a word first ("a weekly video call")
        r"(?:(?:\w{1,20} )?(?:tool|app|plugin|extension|product)|course|newsletter|podcast|service"
        r"|platform|saas"
        r"|startup|company|agency|template|book|ebook|community|cohort|workshop|program"
        r"|programme|generator|editor|web ui|hat|device|kit|video|episode|series|website)",
        r"(?:i|we) (?:made|recorded) (?:a|an) (?:\d{1,2}-minute |short |quick |new )?(?:video"
        r"|tutorial|episode)",
        r"the (?:\w{1,20}(?:-\w{1,20})? )?(?:course|workshop|bootcamp|masterclass|training)"
        r" (?:i|we) (?:teach|run|give|offer|host|sell)",
        r"i do (?:\w{1,20} ){1,3}for (?:\w{1,20} ){0,2}(?:teams|companies|businesses|startups"
        r"|clients|shops|agencies)",
        r"i (?:send|write|run|publish|put out) (?:a|an|my) (?:\w{1,20} ){0,3}(?:newsletter"
        r"|digest|zine)",
        r"(?:weekly|monthly|daily|fortnightly) (?:email|e-mail) (?:called|named)",
        r"i (?:wrote|have written|'ve written|published|self-published) (?:a|an|my)"
        r" (?:\w{1,20} )?(?:book|ebook|e-book)",
        # a teacher who names the marketplace their course is sold on
        r"i teach (?:\S{1,30} ){0,8}(?:on |in |at |via |through )?(?:a |an |my )?(?:skillshare"
        r"|udemy|teachable|domestika|maven|thinkific|kajabi|podia|coursera)",
        r"(?:a|our|my) (?:little |small |free )?(?:tool|app|generator|editor|plugin|extension"
        r"|service|product|platform|template|newsletter|podcast|course) called",
        r"(?:i'?m|i am) (?:the |a |one of the )?(?:co-?)?(?:founder|ceo|cto|creator|maker"
        r"|author|developer|owner)s? (?:of|at|behind)",
        r"i(?:'m| am) one of the (?:two |three )?(?:developers|founders|makers)",
        r"shameless(?:ly)? plug",
        r"self[- ]promo(?:tion)?",
        r"plug(?:ging)? (?:my|our)",
        r"(?:i|we) (?:own|founded) (?:a|an|my|our)",
        r"(?:episode|ep\.?) \d{1,4}",
        r"free for (?:personal use|individuals|one (?:server|user|site|project)|up to"
        r"|the first|teams|small teams|students|open source)",
        r"(?:team|pro|premium|business|enterprise) (?:licen[cs]es?|plans?|tier|version"
        r"|edition|accounts?)",
        r"(?:readers|anyone) (?:here |from this blog )?get",
        r"no spam, unsubscribe",
        r"(?:i'?m|i am) (?:a|an) (?:new |small |young |upcoming |aspiring |\d{1,2} ?(?:yr|year)s?"
        r" old )?(?:music )?(?:rapper|youtuber|singer|producer|musician|artist|band|dj|gamer"
        r"|streamer)",
        r"i (?:make|upload|post|create) (?:videos|music|covers|vids|beats|content)",
        r"i (?:did|made|started) (?:a|an|my) (?:cover|video|song|remix|channel|gaming channel)",
        r"mi canal|mi p[aá]gina|meu canal|minha p[aá]gina|il mio canale|mein(?:en)? kanal"
        r"|ma cha[iî]ne|min kanal",
        r"mein(?:en)? (?:neue[sn]? )?(?:kurs|buch|newsletter|podcast|shop|tool|startup)",
        r"unser(?:e|en)? (?:neue[sn]? )?(?:kurs|buch|newsletter|podcast|kanal|shop|tool"
        r"|agentur|produkt|plattform)",
        r"mi (?:nuevo |nueva )?(?:curso|libro|boletín|podcast|tienda|agencia)",
        r"(?:meu|minha) (?:novo |nova )?(?:curso|livro|podcast|loja|empresa)",
        r"(?:mon|notre) (?:nouveau |nouvel )?(?:cours|livre|podcast|agence|outil|application)",
        r"min (?:nya )?(?:kurs|bok|podd|tjänst)",
        r"mijn (?:nieuwe )?(?:cursus|boek|nieuwsbrief|podcast|kanaal)",
    ],
)

COMPANY = Family(
    "company speaking",
    0.4,
    [
        r"we (?:offer|provide|speciali[sz]e in|deliver|sell)",
        r"(?:we|i) help (?:teams|companies|businesses|clients|founders|brands|startups"
        r"|schools|organisations|organizations|people like you)",
        # how many: "we helped teams move their meetings online" is a story
        r"we(?:'ve| have)? helped (?:several |many |dozens of |hundreds of |over \d{1,5} "
        r"|more than \d{1,5} |\d{1,5}\+? |a few |lots of )(?:teams|companies|businesses"
        r"|clients|founders|brands|startups|organisations|organizations)",
        r"we are a (?:leading|professional|trusted|top|full-service|boutique)",
        r"our (?:agency|company|firm|services?|products?|platform|solutions?|experts?|clients?"
        r"|customers|software|courses?|store|shop)",
        r"hire us|contact us",
        r"(?:leading|professional|trusted|affordable|top-rated|award-winning) (?:agency"
        r"|company|provider|services?|solutions?|consultancy)",
        r"ofrecemos|nuestr[ao]s? (?:empresa|servicios?|agencia)",
        r"oferecemos|nossa empresa|nossos servi[cç]os",
        r"wir bieten|unsere? (?:agentur|firma|dienstleistungen|produkte)",
        r"nous (?:proposons|offrons)|notre (?:agence|entreprise|soci[ée]t[ée])",
        r"vi erbjuder|vår (?:byrå|tjänst)|vårt företag",
    ],
)

# A comment that only points at the writer's own page is self-promotion; alone it is weak.
OWN_SITE = Family(
    "points to the writer's own site",
    0.2,
    [r"(?:my|our) (?:blog|website|web site|site|page|profile|channel)"],
    more=0.0,
)

ENGAGEMENT_BAIT = Family(
    "engagement bait",
    0.3,
    [
        r"like this (?:comment|post|if)",
        r"(?:thumbs up|like|share) if (?:you|u|ur|your|you're|you&#39;re)",
        r"(?:give|leave) (?:it|this|me) a (?:like|thumbs up)",
        r"share your thoughts",
    ],
    grounds=False,
)

FUNDRAISING = Family(
    "fundraising",
    0.45,
    [
        r"gofundme|indiegogo|kickstarter|patreon|crowdfunding|fundraiser|vakinha",
        r"donat(?:e|ions?)",
        r"bitcoins?(?: address)?",
    ],
)

PRICE = linear(
    "price",
    r"(?:[$€£¥₹]|\br\$|\bus\$)\s?\d[\d,.]{0,9}(?:\s?(?:k|m)\b)?(?:\s?(?:/|per |a )\s?"
    r"(?:month|mo|year|yr|seat|user|week))?"
    r"|\b\d[\d,.]{0,9}\s?(?:usd|eur|gbp|euros?|dollars?|bucks|kr|sek|inr|reais)\b",
)
PRICE_WEIGHT = 0.35
# What the writer paid is no offer: "I paid $15/month for it", "got mine for $85 on eBay",
# "it was $120 a session". Looked for in the price's sentence, before it.
_PAID = linear(
    "price paid",
    r"(?:^|[^\pL])(?:paid|spent|bought|picked up|costs? (?:me|us)|was|were"
    r"|(?:i|we|they) (?:also |still |now |just |only )?(?:pay|got)|(?:don'?t|didn'?t|never) pay)"
    r"(?:[^\pL]|$)",
)
# What turns a price from what was paid to what is asked: "was $199, now only $49".
_ASKED = linear(
    "price asked",
    r"(?:^|[^\pL])(?:now|only|today|instead|but|sale|off|save|discount(?:ed)?|for (?:you|readers)"
    r"|(?:you|readers) (?:can )?(?:get|pay))(?:[^\pL]|$)",
)
#: How far before a price its sentence is read for what was paid.
PAID_WINDOW = 80


def offered_prices(text: str, limit: int = 3) -> list[str]:
    """The distinct prices in ``text`` (lower-cased) that are not what the writer paid.

    Each price's sentence is read back to the price before it at most. Without a word
    of its own, a price goes on as the one before went ("bought it for $85 plus a $30
    SSD"); a word of asking turns it ("was $199, now only $49" asks $49).
    """
    prices: list[str] = []
    previous_end, previous_paid = 0, False
    for count, match in enumerate(PRICE.finditer(text)):
        if count == 8 * limit or len(prices) == limit:
            break
        start = max(previous_end, match.start() - PAID_WINDOW)
        before = text[start : match.start()]
        cut = max(before.rfind(". "), before.rfind("!"), before.rfind("?"), before.rfind("\n"))
        sentence = before[cut + 1 :]
        goes_on = previous_paid and cut < 0 and start == previous_end
        paid = bool(_PAID.search(sentence)) or (goes_on and not _ASKED.search(sentence))
        # A price that ends its sentence ("$40.") hands nothing on to the next one.
        previous_end, previous_paid = match.end(), paid and match.group(0)[-1] != "."
        price = " ".join(match.group(0).split()).rstrip(".,")
        if not paid and price not in prices:
            prices.append(price)
    return prices


# Saying who one works for is honest, and alone it is no pitch: it only adds to one.
DISCLOSURE = Family(
    "discloses an interest",
    0.15,
    [
        r"(?:full |quick |obligatory |standard )?disclosure",
        r"(?:i|we) work (?:at|for|on)",
        r"(?:i'?m|i am) (?:affiliated|associated) with",
        r"for transparency",
    ],
    more=0.0,
    grounds=False,
)

# Longer phrases that begin like an offer and are none: the people of a course or a
# company ("we tried this with our bootcamp cohort"), what one does or sends for one's
# own people ("I do weekly retros for my teams", "I send a digest to my team"), and a
# book report or a book club.
_OWN_PEOPLE = (
    r"(?:my|our) (?:\w{1,20} )?(?:teams?|colleagues|co-?workers|students|class|family|kids"
    r"|staff|department|group|friends|manager|boss)"
)
MEMBERS = [
    r"(?:my|our) (?:\w{1,20} )?(?:course|cohort|bootcamp|class|workshop|program|programme"
    r"|academy|community|company|agency|startup|studio|team|shop) (?:cohort|students|learners"
    r"|members|participants|attendees|alumni|kids|group|instructors|mentors|teachers|staff"
    r"|colleagues|engineers|developers|interns|trainees|classmates)",
    rf"i do (?:\w{{1,20}} ){{1,3}}for {_OWN_PEOPLE}",
    r"i (?:send|write|run|publish|put out) (?:a|an|my) (?:\w{1,20} ){0,3}(?:newsletter|digest"
    rf"|zine) (?:to|for) {_OWN_PEOPLE}",
    r"i (?:wrote|have written|'ve written|published|self-published) (?:a|an|my)"
    r" (?:\w{1,20} )?(?:book|ebook|e-book) (?:report|club|review)",
]

# Spun praise of the blog itself, its layout, its writer or its writing: it fits every
# blog there is, and says nothing about the article ("you make blogging look easy").
BLOG_PRAISE = [
    r"(?:marvell?ous|great|nice|awesome|beautiful|superb|wonderful|amazing|fantastic|excellent"
    r"|lovely|cool|fabulous|magnificent) (?:blog|weblog|site|website|web site) (?:layout|design"
    r"|theme|template)",
    r"(?:you make|make) blogging look easy",
    r"how long have you been (?:blogging|running (?:a|this) (?:blog|site))",
    r"(?:the )?(?:overall )?look of your (?:site|website|web site|blog|weblog)",
    r"your (?:site|website|web site|blog|weblog) (?:is|are) (?:very |really "
    r"|incredibly |extremely |so |truly |quite |genuinely )?(?:useful|helpful|beneficial"
    r"|informative|great|amazing|awesome|excellent|wonderful|fantastic|superb|valuable"
    r"|magnificent|pleasant)",
    r"(?:i will|i'll|i am going to|i'm going to|going to) (?:definitely |certainly |surely )?"
    r"(?:bookmark|book-mark|book mark) (?:it|this|your (?:site|blog|website|web site|weblog"
    r"|page))",
    r"bookmark(?:ed|ing)? (?:your|this) (?:site|blog|website|web site|weblog)",
    r"(?:keep|retain|continue|carry)(?: on)? (?:updating|posting|writing)(?: on)? (?:this|your"
    r"|the) (?:weblog|blog|site|website|web site)",
    r"(?:how|where) (?:can|could|do|may) (?:we|i) (?:be in|get in|stay in|keep in) (?:contact"
    r"|touch)",
    r"(?:this|your) weblog",
    r"(?:do|would) you (?:accept|offer|take|allow|need) guest (?:writers|posts|bloggers|authors)",
    r"(?:pleasant|fastidious|enlightening|remarkable|superb|fantastic) (?:submit|put up|writeup"
    r"|write-up|composition|piece of writing|paragraph|posting|article post)",
]

# Thanks, in the languages readers here write most (language is never evidence: each
# one is counted alike).
THANKS = [
    r"thanks?",
    r"thank(?:s| you) (?:so much|a lot|again)",
    r"thx",
    r"cheers",
    r"much appreciated",
    r"appreciate (?:it|this|the|your)",
    r"merci",
    r"danke",
    r"gracias",
    r"obrigad[oa]",
    r"grazie",
    r"tack",
    r"dank ?je(?: ?wel)?",
    r"bedankt",
    r"dzi[eę]kuj[eę]",
    r"спасибо",
    r"дякую",
    r"kiitos",
    r"terima kasih",
    r"te[sş]ekk[üu]rler",
]

FAMILIES = (
    OFFER,
    CALL_TO_ACTION,
    CONTACT_ME,
    OWN_OFFER,
    COMPANY,
    OWN_SITE,
    ENGAGEMENT_BAIT,
    FUNDRAISING,
    DISCLOSURE,
)
BOOK = PhraseBook(
    "promotion",
    {
        **{family.label: family.phrases for family in FAMILIES},
        "members": MEMBERS,
        "blog praise": BLOG_PRAISE,
        "thanks": THANKS,
    },
    presence=["thanks"],
)

_AFFILIATE = linear(
    "affiliate link",
    r"(?i)[?&](?:utm_[a-z]{1,20}|ref|aff|affiliate|affid|aff_id|tag|partner|referral|coupon|promo"
    r"|via|campaign)=|/(?:ref|aff|affiliate|go|recommends|refer)/|clickbank|amzn\.to|shareasale"
    r"|impact\.com|awin1\.com|gumroad\.com/a/",
)

# Praise that could sit under any post, at the very start.
_PRAISE = linear(
    "generic praise",
    r"(?i)^\W{0,5}(?:(?:very|really|such an?|so|what an?|truly|quite|extremely|nice and"
    r"|great)\s){0,2}"
    r"(?:great|nice|awesome|good|excellent|amazing|informative|useful|helpful|wonderful|fantastic"
    r"|brilliant|cool|interesting|lovely|superb|valuable|insightful|magnificent|impressive"
    r"|outstanding|marvellous|marvelous|fabulous|perfect|splendid|well written)\s"
    r"(?:post|article|blog|read|content|share|sharing|info|information|work|stuff|writing"
    r"|write-up|piece|job|site|website|topic|details|points?|blog post|tutorial|guide|explanation)"
    r"|^\W{0,5}(?:thanks?|thank you|thx|many thanks)(?: so much| a lot)? (?:for|so much for)"
    r" (?:sharing|posting|this|the (?:post|article|info|information|great|nice|useful|valuable))"
    r"|^\W{0,5}(?:i |we )?(?:really |truly )?(?:appreciate|enjoyed|loved|like|liked)"
    r" (?:your|this|the)"
    r" (?:post|article|blog|effort|work|content|information|writing)"
    r"|^\W{0,5}keep (?:it up|up the (?:good|great) work|posting|sharing|writing)"
    # "Love it" only as a sentence of its own: "love it when ..." says something.
    r"|^\W{0,5}(?:absolutely |really |truly )?(?:loved|love|enjoyed) (?:reading )?(?:this|it)"
    r"(?:\s?[.!,]|$)"
    r"|^\W{0,5}(?:you have|you've got) (?:a |such a |so much )?(?:great|nice|good|wonderful|amazing"
    r"|knowledge|passion)"
    r"|^\W{0,5}(?:this|it) is (?:a |such a )?(?:smart|great|nice|good|wonderful|fantastic|helpful"
    r"|useful) (?:blog|site|website)"
    r"|^\W{0,5}(?:such a |a )?(?:well[- ]written|well[- ]explained|valuable|superb|amazing)"
    r" (?:article|post|info|insights?|write-up|blog)"
    r"|^\W{0,5}(?:nice|good|great|useful|helpful) (?:info|information)"
    r"|^\W{0,5}(?:this|it) (?:is|was) (?:a |an )?(?:very |really |so |such a |truly )?(?:great|nice"
    r"|good|informative|useful|helpful|wonderful|amazing|valuable|excellent|interesting) "
    r"(?:post|article|blog|read|information|content|piece|share|topic)",
)
# Sign-offs that carry a business: "Visit: ...", "More info: ...", "Also read: ...".
_BUSINESS_CUE = phrases(
    "business cue",
    [
        r"(?:for )?more (?:info|information|details)(?: visit| here| at| on)?",
        r"visit(?: us| our website| our site| here| now| the site)?",
        r"also (?:read|visit|check)",
        r"(?:click|see) here",
        r"(?:our|my) website",
        r"read more(?: at| here| on)?",
        r"source",
        r"website",
    ],
)
#: A comment under this many characters that opens with generic praise is all praise.
PRAISE_MAX_CHARS = 500


# Words of trade: an author "name" built from them is a business or a keyword phrase.
_TRADE_WORDS = frozenset(
    """services service company companies agency agencies solution solutions course courses
    training academy institute hire hiring best cheap affordable online near development
    developers developer marketing seo design designs consulting consultancy consultant
    coaching coach experts expert professional professionals packers movers rental rentals
    repair repairs tutors tutor tutoring hosting shop store buy sale deals deal discount loans
    loan insurance lawyer lawyers attorney attorneys clinic dental spa salon tours tour travel
    cleaning plumbing roofing contractors contractor builders jobs app apps writers writing
    reviews review activities events printing support software agency cctv real estate
    freelance copywriter logo web website outsourcing assistant virtual""".split()
)


def business_author(comment: Comment) -> bool:
    """An author "name" that is a business or a keyword phrase ("Packers and Movers
    Delhi", "Ryan | Freelance Copywriter"), linked to a website."""
    if not comment.author_url:
        return False
    words = [w.lower() for w in WORD.findall(comment.author)]
    trade = sum(w in _TRADE_WORDS for w in words)
    return "|" in comment.author or (trade >= 1 and len(words) >= 2) or trade >= 2


# Words of selling in a website's name: two of its parts are enough with one of these.
SHOP_WORDS = frozenset(
    """coupon coupons deal deals discount discounts promo promos voucher vouchers replica
    replicas wholesale outlet clearance cheap cheapest bestseller reviews reviewz
    official gummies pills supplement supplements casino casinos betting slots loans
    essay essays""".split()
)
# One word: "bestsmartwatchreviewz", "cheapjerseysoutlet" (a superlative, then what it sells).
_SHOP_NAME = linear(
    "shop name",
    r"^(?:best|cheap|cheapest|buy|discount|top\d{0,3})[a-z0-9]{0,30}(?:reviews?|reviewz|coupons?"
    r"|deals?|prices?|discounts?|replicas?|wholesale|outlet|offers?|promos?)",
)


def keyword_host(url: str) -> bool:
    """A website named for search engines: cheap-car-rental-dubai.example,
    watch-replicas.example, bestblenderreviewz.example."""
    name = host_of(url).split(".")[0]
    parts = [part for part in name.split("-") if part]
    if len(parts) >= 3 and any(part in _TRADE_WORDS for part in parts):
        return True
    if len(parts) >= 2:
        return any(part in SHOP_WORDS for part in parts)
    return _SHOP_NAME.search(name) is not None


def _of_members(phrase: str, members: Sequence[str]) -> bool:
    """``phrase`` ("our bootcamp") only begins the name of its people ("our bootcamp cohort")."""
    return any(member.startswith(phrase) for member in members)


def generic_praise(comment: Comment, opening: str | None, hits: dict[str, list[str]]) -> str | None:
    """How a short comment praises in words that fit any article or any blog, if it
    does (``opening``: the praise it opens with).

    Praise is generic only when the comment has little else: beside quoted code it is
    someone's way of saying hello before the point.
    """
    if opening is not None:
        praise = f"generic praise that fits any article ('{opening}')"
    elif len(comment.body) <= PRAISE_MAX_CHARS and (blog := hits.get("blog praise")):
        praise = f"praise that fits any blog ('{blog[0]}')"
    else:
        return None
    return None if code_in(comment.body) else praise


#: A short thanks that carries nothing (no link, no website, no offer) is a reader's.
JUST_THANKS = "just thanks: no link, website or offer"
THANKS_WEIGHT = -1.0
#: Words a thanks may have and still be nothing but thanks.
THANKS_MAX_WORDS = 12


def _just_thanks(text: str, thanks: bool, opening: str | None) -> bool:
    """Whether ``text`` (only read when short) thanks or praises (``opening``), and does
    nothing else."""
    text = text.strip()
    # A handle anywhere but at the start (a reply) is where the thanks sends readers.
    too_long = len(text) > 15 * THANKS_MAX_WORDS or len(text.split()) > THANKS_MAX_WORDS
    if too_long or "@" in text[1:]:
        return False
    return thanks or opening is not None


class PromotionSignal:
    name = "promotion"

    def check_many(
        self, comments: Sequence[Comment], context: ScreeningContext
    ) -> list[SignalResult]:
        return [self._check(comment) for comment in comments]

    def _check(self, comment: Comment) -> SignalResult:
        text = prose(comment.body)  # code quoted from a terminal is not sales talk
        lowered = text.lower()
        findings: list[str] = []
        weights: list[float] = []
        hits = BOOK.find(lowered)
        members = hits.get("members", ())
        # Every finding but engagement bait, a disclosure and "little else" is grounds.
        grounds = False
        for family in FAMILIES:
            matched = hits.get(family.label, ())
            if members:
                matched = [p for p in matched if not _of_members(p, members)]
            for position, phrase in enumerate(matched):
                findings.append(f"{family.label}: '{phrase}'")
                weights.append(family.weight if position == 0 else family.more)
                grounds = grounds or family.grounds
        from_families = len(findings)
        for position, price in enumerate(offered_prices(lowered)):
            findings.append(f"price: {price}")
            weights.append(PRICE_WEIGHT if position == 0 else 0.15)
        body_links = find_links(comment.body)
        links = [*body_links, comment.author_url] if comment.author_url else list(body_links)
        affiliate = [link for link in links if _AFFILIATE.search(link)]
        if affiliate:
            findings.append(f"affiliate or tracking link: {affiliate[0]}")
            weights.append(0.6)
        keyword_site = bool(comment.author_url) and keyword_host(comment.author_url)
        opening = None
        if len(comment.body) <= PRAISE_MAX_CHARS and (match := _PRAISE.search(text.strip())):
            opening = " ".join(match.group(0).split()).strip(" .,!").lower()
        if praise := generic_praise(comment, opening, hits):
            carries = []
            if body_links:
                carries.append(f"a link to {host_of(body_links[0])}")
            if cue := found(_BUSINESS_CUE, lowered, 1):
                carries.append(f"'{cue[0]}'")
            if business_author(comment):
                carries.append(f"a business name as author ('{comment.author}')")
            if keyword_site:
                carries.append(
                    f"a website named for search engines ({host_of(comment.author_url)})"
                )
                keyword_site = False  # said once
            if carries:
                findings.append(f"{praise} with {', '.join(carries)}")
                weights.append(0.8)
            elif comment.author_url:
                findings.append(f"{praise} from a website ({host_of(comment.author_url)})")
                weights.append(0.45)
        if business_author(comment):
            findings.append(f"a business name as author: '{comment.author}'")
            weights.append(0.55)
        if keyword_site:
            findings.append(f"a website named for search engines: {host_of(comment.author_url)}")
            weights.append(0.35)
        # Prices, affiliate links, link drops and business names all promote something.
        grounds = grounds or len(findings) > from_families
        if findings and len(WORD.findall(lowered)) < 8:
            findings.append("little else besides the pitch")
            weights.append(0.3)
        score = noisy_or(weights)
        weight = evidence_weight(score, STRENGTH)
        if not findings and not links and _just_thanks(text, "thanks" in hits, opening):
            findings.append(JUST_THANKS)
            weight = THANKS_WEIGHT
        reason = "promotion: " + ("; ".join(findings) if findings else "no sales language")
        return SignalResult(
            self.name,
            score,
            reason,
            None,
            tuple(findings),
            weight=weight,
            grounds=grounds,
        )

"""The signals written for real blog comments, each pinned both ways: a comment it must
flag, and a close genuine comment it must leave alone."""

from __future__ import annotations

import pytest

from moderation.articles import described_article
from moderation.models import Comment, Decision, SignalKind, SignalResult
from moderation.screening import Screener, default_signals
from moderation.screening.base import ScreeningContext, check, log_odds
from moderation.screening.commercial import CommercialSignal, phone_numbers, stuffed_phrase
from moderation.screening.genuine import GenuineSignal
from moderation.screening.policy import NO_GROUNDS, NO_VOUCHER
from moderation.screening.promotion import PromotionSignal
from moderation.screening.relevance import RelevanceSignal
from moderation.screening.rules import RulesSignal

CRON = described_article(
    "cron",
    "Scheduling jobs with cron and systemd timers",
    "A crontab line has five time fields and a command. Cron runs jobs with a minimal "
    "environment, so PATH is short; log the output of each job. A systemd timer unit with "
    "OnCalendar and Persistent=true catches up on runs missed while the machine was off.",
)


def comment(body: str, **fields: object) -> Comment:
    values = {"article": "cron", "author": "Reader", "body": body, **fields}
    return Comment(**values)  # type: ignore[arg-type]


def findings(signal: object, body: str, settings, **fields: object) -> tuple[str, ...]:
    context = ScreeningContext(settings=settings, articles={"cron": CRON})
    return check(signal, comment(body, **fields), context).findings  # type: ignore[arg-type]


# -- phone numbers and the support-number scam ----------------------------------------------


@pytest.mark.parametrize(
    "number",
    ["+1-888-555-0123", "1 (800) 555-0199", "888.555.0142", "1-8OO-555-O124", "+44 20 7946 0958"],
)
def test_phone_numbers_in_the_usual_formats(number):
    assert phone_numbers(f"Call {number} today") == [number]


@pytest.mark.parametrize(
    "text",
    [
        "my Pi is at 192.168.1.50 on port 8080",
        "it broke on 2026-11-29 10:00:00",
        "Sage knowledgebase article 200427112706338",
        "upgrading from 3.11.7 to 3.12.1",
        "the total was 1,234,567.89 in the CSV",
    ],
)
def test_addresses_dates_versions_ids_and_amounts_are_not_phone_numbers(text):
    assert phone_numbers(text) == []


def test_support_number_scam_is_spam(settings):
    body = (
        "HP printer offline? Call HP printer support number +1-888-555-0123, our technicians "
        "are available 24/7 for instant help."
    )
    verdict = Screener(settings, None, articles={}).screen_many([comment(body)])[0]
    assert verdict.decision is Decision.SPAM
    assert any(r.startswith("support-number scam:") for r in verdict.reasons)


def test_a_reader_with_a_printer_problem_is_not_a_scam(settings):
    body = (
        "My HP LaserJet P1102 shows 'paused' after the upgrade. I called HP support and they "
        "told me to reinstall the driver, but `lpstat -p` still says disabled. Any idea?"
    )
    found = findings(CommercialSignal(), body, settings)
    assert not any("scam" in f or "phone" in f for f in found)
    verdict = Screener(settings, None, articles={"cron": CRON}).screen_many([comment(body)])[0]
    assert verdict.decision is Decision.APPROVE


# -- keyword stuffing and the trades of comment spam -----------------------------------


def test_a_keyword_phrase_repeated_for_search_engines_is_stuffing():
    text = (
        "QuickBooks support number helps you fast. Dial the QuickBooks support number for "
        "errors. The QuickBooks support number is open all day."
    )
    assert stuffed_phrase(text) == ("quickbooks support number", 3)


def test_stuffing_that_leads_somewhere_decides_spam(settings):
    body = (
        "Cron training in Pune | best cron training in Pune with placement | cron training "
        "in Pune for freshers. Join the best cron training in Pune today."
    )
    found = findings(CommercialSignal(), body, settings)
    assert any(f.startswith("keyword stuffing:") for f in found)
    screener = Screener(settings, None, articles={"cron": CRON})
    site = "https://crontraining.example"
    verdict = screener.screen_many([comment(body, author_url=site)])[0]
    assert verdict.decision is Decision.SPAM, verdict.reasons
    # With nowhere to send readers it is held: never published, never a reader rejected.
    alone = screener.screen_many([comment(body)])[0]
    assert alone.decision is Decision.HOLD, alone.reasons


def test_a_writers_refrain_is_not_rejected_as_stuffing(settings):
    body = (
        "Study group tips: a study group needs a fixed time, a study group needs a host, "
        "and a study group needs a small goal each week."
    )
    verdict = Screener(settings, None).screen_many([comment(body)])[0]
    assert verdict.decision is not Decision.SPAM, verdict.reasons


def test_a_trade_with_its_site_as_the_authors_website_is_spam(settings):
    body = "If you need assignment help like I did, they finished mine in a day. Recommend!"
    site = "https://assignment-helpers.example"
    found = findings(CommercialSignal(), body, settings, author_url=site)
    assert "essays: 'assignment help', from a website (assignment-helpers.example)" in found
    alone = findings(CommercialSignal(), body, settings)
    assert alone == ("essays: 'assignment help'",)


def test_a_technical_term_used_three_times_is_not_stuffing():
    text = (
        "I run docker compose up in one terminal and docker compose logs in another. When it "
        "hangs, docker compose down with --volumes fixed it for me, after an hour of digging "
        "through the networking section of your article and the official documentation."
    )
    assert stuffed_phrase(text) is None


@pytest.mark.parametrize(
    ("body", "trade"),
    [
        ("Cheap meds online, no prescription needed", "pharmacy"),
        ("Best online casino with free spins every day", "casino"),
        ("Hire our essay writers, we write my essay for you", "essays"),
        ("Need payday loans? Instant loans approved in minutes", "loans"),
        ("A recovery expert helped me recover my lost bitcoin", "crypto"),
        ("Watch movies online free in HD", "free films"),
        ("Free v-bucks generator no human verification", "game hacks"),
        ("Buy quality backlinks from our backlinks service", "search-engine services"),
        (
            "I'd love to contribute a guest post to your blog, or paid link insertions",
            "search-engine services",
        ),
        ("Office 2021 crack + keygen, full version free download", "cracked software"),
        ("Download the new thriller full movie 720p free, no signup", "free films"),
        ("Lonely single women in your area want to meet you tonight", "dating"),
        ("Find a sugar daddy this weekend, verified rich men", "dating"),
        ("O melhor cassino online, saque na hora", "casino"),
        ("Рейтинг букмекерских контор и бонусы", "casino"),
        ("Bitcoin doubler: send 0.1 BTC, get 0.2 BTC back", "crypto"),
        ("I started investing with Mrs. Carter and she is honest", "crypto"),
        ("Now I earn $4,200 every week from home", "easy money"),
    ],
)
def test_the_trades_of_comment_spam(settings, body, trade):
    assert any(f.startswith(f"{trade}:") for f in findings(CommercialSignal(), body, settings))


@pytest.mark.parametrize(
    "body",
    [
        "Keep your backlinks working when you move: add redirects for every old URL.",
        "I wrote a guest post for a friend's blog about timers and linked this one.",
        "I learned essay writing from a patient mentor, not from a course.",
        "I'm betting this breaks again after the next kernel update.",
        "My uncle lost money to a crypto scam; ignore anyone who offers to get it back.",
        "Password cracking with hashcat is why the key derivation matters.",
        "I had to download the full version of the installer, the web one failed.",
        "The full movie of the talk is on the conference site, the slides too.",
        "Are there women in your area who would run the next meetup?",
        "Sugar in my coffee is the only vice I kept during the exam weeks.",
        "I invested with my brother in a small bakery; the spreadsheet saved us.",
        "I earned my first paycheck from this skill after a year of practice.",
    ],
)
def test_the_same_words_in_a_genuine_comment_are_no_trade(settings, body):
    assert findings(CommercialSignal(), body, settings) == ()


# -- human-written pitches and link drops ----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Shameless plug: our app TimerKit writes the unit files for you, free for one server.",
        "I run a weekly newsletter on exactly this, link in my profile if you're curious.",
        "Great point about PATH. We help teams with cron migrations, book a free 20-minute call.",
        "Use code CRON20 for 20% off my course on Linux automation.",
        'Search for "GracefulHat" on Tindie if you want one.',
        "I wrote a book on timers last year, it's on Amazon if you want more.",
        "I teach an evening automation class on Udemy; search my name to find it.",
        "We've helped dozens of companies with this. Send me a DM if you're stuck.",
        "We're hosting a free live workshop on cron next Tuesday. Save your seat at our site.",
        "I built a Chrome extension that writes timer units; sign up for the beta on the site.",
        "I send a short weekly email called Cron Corner with new tricks, free.",
        "My list of monitoring tools has some affiliate links, which keep the site running.",
    ],
)
def test_pitches_are_promotion(settings, body):
    assert findings(PromotionSignal(), body, settings)


@pytest.mark.parametrize(
    "body",
    [
        "Please help: my crontab line never runs, can someone check it?",
        "You can subscribe to the timer's events with `systemctl list-timers --all`.",
        "I subscribed to your RSS feed years ago and this is why.",
        "I wrote a blog post on timers once, but yours explains Persistent=true better.",
        "I teach a class on operating systems and cron is where students first meet PATH.",
        "I took a course on Udemy about this and it never mentioned the short PATH.",
        "The team that helped us with this was our own ops team, not a vendor.",
        "We tried this with our bootcamp cohort: every crontab broke on the short PATH.",
        "I built a wrapper script around the crontab line so it logs its own output.",
        "I send a weekly email to my team listing every cron job that failed.",
        "I signed up for the beta of a cron monitor last year and left it.",
    ],
)
def test_requests_and_technical_words_are_not_promotion(settings, body):
    assert findings(PromotionSignal(), body, settings) == ()


def test_naming_ones_employer_without_an_offer_is_noted_but_approved(settings):
    honest = "Disclosure: I work on systemd's docs. Persistent=true is exactly right here."
    pitch = "Disclosure: I work on TimerKit. Free for one server, team licences on our site."
    screener = Screener(settings, None, articles={"cron": CRON})
    honest_verdict, pitch_verdict = screener.screen_many([comment(honest), comment(pitch)])
    assert honest_verdict.decision is Decision.APPROVE
    assert pitch_verdict.decision is not Decision.APPROVE


def test_generic_praise_with_a_link_is_a_link_drop(settings):
    body = "Really informative post, keep sharing! https://movers-delhi.example"
    found = findings(PromotionSignal(), body, settings)
    assert any(f.startswith("generic praise that fits any article") for f in found)
    verdict = Screener(settings, None, articles={"cron": CRON}).screen_many([comment(body)])[0]
    assert verdict.decision is not Decision.APPROVE


@pytest.mark.parametrize(
    "url",
    [
        "https://cheap-watches-online.example",  # three words, one of trade
        "https://smartwatch-coupons.example",  # two words, one of selling
        "https://bestblenderreviewz.example",  # one word: a superlative, then what it sells
    ],
)
def test_websites_named_for_search_engines(settings, url):
    found = findings(PromotionSignal(), "Persistent=true fixed my timer.", settings, author_url=url)
    assert any(f.startswith("a website named for search engines") for f in found)


@pytest.mark.parametrize(
    "url",
    [
        "https://blog.kimtanaka.example",
        "https://code-review.example",
        "https://topology.example",
    ],
)
def test_a_personal_or_project_website_is_not_named_for_search_engines(settings, url):
    assert (
        findings(PromotionSignal(), "Persistent=true fixed my timer.", settings, author_url=url)
        == ()
    )


@pytest.mark.parametrize(
    "body",
    [
        "Marvelous weblog layout! You make blogging look easy. How can we be in contact?",
        "This is a truly enlightening composition. Your site is incredibly beneficial and I "
        "will bookmark it. Please keep updating this weblog.",
    ],
)
def test_praise_of_the_blog_itself_from_a_keyword_website_is_spam(settings, body):
    url = "https://smartwatch-coupons.example"
    found = findings(PromotionSignal(), body, settings, author_url=url)
    assert any(f.startswith("praise that fits any blog") for f in found), found
    screener = Screener(settings, None, articles={"cron": CRON})
    verdict = screener.screen_many([comment(body, author_url=url)])[0]
    assert verdict.decision is Decision.SPAM, verdict.reasons


def test_praise_of_the_blog_beside_its_subject_without_a_website_is_approved(settings):
    body = (
        "Your site is incredibly useful: the crontab PATH section fixed my nightly job, "
        "and I will bookmark it for the systemd timer part."
    )
    assert findings(PromotionSignal(), body, settings) == ()
    verdict = Screener(settings, None, articles={"cron": CRON}).screen_many([comment(body)])[0]
    assert verdict.decision is Decision.APPROVE, verdict.reasons


def test_praise_before_code_and_an_error_is_no_generic_praise(settings):
    url = "https://notes.kimtanaka.example"
    bare = (
        "Nice post. I kept a diary of my first month with cron timers, mostly a list of every "
        f"error I hit and what it meant: {url}/timers"
    )
    with_code = f"{bare}\n\nIt pairs well with this, especially the `OnCalendar` part."
    found = findings(PromotionSignal(), with_code, settings, author_url=url)
    assert not any("praise" in f for f in found)
    assert any("praise" in f for f in findings(PromotionSignal(), bare, settings, author_url=url))
    screener = Screener(settings, None, articles={"cron": CRON})
    verdict = screener.screen_many([comment(with_code, author_url=url)])[0]
    assert verdict.decision is not Decision.SPAM, verdict.reasons


@pytest.mark.parametrize(
    "body",
    [
        "I paid $15/month for a cron monitoring service for a year; a log file does the same.",
        "I bought a used mini PC for $85 on eBay plus a $30 SSD, and cron runs fine on it.",
        "The hosted scheduler was $120 a month at my last job, which is why we moved to timers.",
    ],
)
def test_what_the_writer_paid_is_no_offer(settings, body):
    assert not any(f.startswith("price") for f in findings(PromotionSignal(), body, settings))


@pytest.mark.parametrize(
    ("body", "price"),
    [
        ("The monitoring plan is $15/month, and I get you the first month for $5.", "$15/month"),
        ("Pay only $29 for lifetime access to every timer template.", "$29"),
        ("You get the whole course for $49 this week.", "$49"),
        # The old price was; the new one is asked.
        ("The cron masterclass was $199, now only $49 for this blog's readers.", "$49"),
        ("I paid $40 for mine, and you can get it for $10 with code CRON.", "$10"),
    ],
)
def test_a_price_asked_is_an_offer(settings, body, price):
    assert f"price: {price}" in findings(PromotionSignal(), body, settings)


def test_the_people_of_a_course_are_no_offer_but_the_course_is(settings):
    people = "We tried this with our bootcamp cohort and the short PATH bit everyone."
    offer = "Our bootcamp starts in May and covers cron in week two."
    assert findings(PromotionSignal(), people, settings) == ()
    assert "promotes their own offer: 'our bootcamp'" in findings(
        PromotionSignal(), offer, settings
    )


def test_generic_praise_without_a_link_or_business_is_just_thanks(settings):
    body = "Really informative post, thanks! The PATH part fixed my nightly job."
    assert not any("praise" in f for f in findings(PromotionSignal(), body, settings))
    verdict = Screener(settings, None, articles={"cron": CRON}).screen_many([comment(body)])[0]
    assert verdict.decision is Decision.APPROVE


def test_a_link_to_documentation_is_no_evidence_but_an_unknown_link_is(settings):
    docs = "See https://docs.python.org/3/library/sched.html for the scheduler."
    other = "See https://cheap-hosting.example/offer for the scheduler."
    assert not any(f.endswith("link") for f in findings(RulesSignal(), docs, settings))
    assert "1 link" in findings(RulesSignal(), other, settings)


@pytest.mark.parametrize(
    "link",
    [
        "https://www.who.int/news/item/burn-out",
        "https://cs.harvard.edu/courses/cron",
        "https://www.cl.cam.ac.uk/teaching/timers.html",
    ],
)
def test_universities_and_governments_are_references(settings, link):
    found = findings(RulesSignal(), f"The reference for this: {link}", settings)
    assert any(f.startswith("links to a reference") for f in found)
    assert not result(RulesSignal(), f"The reference for this: {link}", settings).grounds


@pytest.mark.parametrize(
    "link",
    [
        "https://edu-essays.example/order",
        "https://gov-grants-now.com/apply",
        "https://pdf-converter.example/free",
        "https://cheap.example/catalogue.pdf.html",
        "https://files.example.net/free-gift-card-codes.pdf",  # spam is kept in PDFs too
    ],
)
def test_names_that_only_look_academic_are_links(settings, link):
    assert "1 link" in findings(RulesSignal(), f"The reference for this: {link}", settings)


# -- relevance -----------------------------------------------------------------------------------


def test_a_comment_about_the_article_is_on_topic(settings):
    body = "The crontab environment bit me: PATH was short, so my job failed until I logged it."
    result = check(
        RelevanceSignal(), comment(body), ScreeningContext(settings, articles={"cron": CRON})
    )
    assert result.weight < 0 and result.findings[0].startswith("discusses the article")


def test_a_comment_about_something_else_is_off_topic(settings):
    body = (
        "Moving house in Delhi is stressful; professional packers carry furniture, pack "
        "kitchens and deliver everything safely across every neighbourhood quickly."
    )
    result = check(
        RelevanceSignal(), comment(body), ScreeningContext(settings, articles={"cron": CRON})
    )
    assert result.weight > 0 and result.findings[0].startswith("little relation")


def test_a_comment_in_another_language_is_not_judged(settings):
    body = (
        "Danke für den Artikel. Bei mir lief der Job erst, nachdem ich die Umgebung im "
        "Skript selbst gesetzt habe; das hat mich einen ganzen Abend gekostet."
    )
    result = check(
        RelevanceSignal(), comment(body), ScreeningContext(settings, articles={"cron": CRON})
    )
    assert result.score is None and result.weight == 0


def test_relevance_uses_the_article_a_classify_line_describes(settings):
    body = "The crontab environment bit me: PATH was short, so my job failed until I logged it."
    described = comment(body, article="", article_title=CRON.title, article_text=CRON.text)
    result = check(RelevanceSignal(), described, ScreeningContext(settings))
    assert result.findings and result.findings[0].startswith("discusses the article")


# -- what speaks for a comment ---------------------------------------------------------------------


def test_code_errors_and_questions_speak_for_a_comment(settings):
    body = (
        "On Ubuntu 24.04 I get `ModuleNotFoundError: No module named 'venv'` when I run "
        "python3 -m venv .venv. Why does that happen?"
    )
    result = check(GenuineSignal(), comment(body), ScreeningContext(settings))
    assert result.weight < 0
    assert any(f.startswith("quotes code") for f in result.findings)
    assert any(f.startswith("asks a question") for f in result.findings)


def test_a_plain_pitch_has_nothing_speaking_for_it(settings):
    body = "Our agency offers growth marketing for startups. Contact us today."
    result = check(GenuineSignal(), comment(body), ScreeningContext(settings))
    assert result.weight == 0 and result.findings == ()


def test_language_alone_is_never_evidence_of_spam(settings):
    screener = Screener(settings, None, articles={"cron": CRON})
    bodies = [
        "Merci pour l'article, la partie sur le PATH m'a fait gagner une soirée.",
        "Gracias, por fin entiendo por qué mi tarea de cron no encontraba el programa.",
        "Danke! Persistent=true war genau das, was mir nach dem Neustart gefehlt hat.",
    ]
    for verdict in screener.screen_many([comment(b) for b in bodies]):
        assert verdict.decision is Decision.APPROVE, verdict.reasons


@pytest.mark.parametrize(
    "body",
    [
        "Спасибо большое за подробное объяснение, я долго искал такое решение для своего "
        "проекта, теперь всё работает быстрее чем раньше",
        "Dzięki za artykuł, długo szukałem takiego rozwiązania dla mojego projektu, teraz "
        "wszystko działa znacznie szybciej niż wcześniej",
        "Ευχαριστώ πολύ για την αναλυτική εξήγηση, έψαχνα καιρό μια τέτοια λύση για το έργο "
        "μου και τώρα όλα δουλεύουν γρηγορότερα",
        "記事をありがとうございます。 環境変数 の 設定 を 忘れて いました。 おかげで 毎晩 の "
        "ジョブ が 動く ように なりました。 本当に 助かりました。",
    ],
    ids=["russian", "polish", "greek", "japanese"],
)
def test_a_comment_in_a_language_the_article_is_not_in_is_never_off_topic(settings, body):
    result = check(
        RelevanceSignal(), comment(body), ScreeningContext(settings, articles={"cron": CRON})
    )
    assert result.weight == 0 and result.score is None, result.reason


def test_keywords_without_little_words_are_still_judged_off_topic(settings):
    body = (
        "Best packers movers Delhi cheap packers movers Gurgaon household shifting services "
        "affordable rates trusted movers Noida office relocation"
    )
    result = check(
        RelevanceSignal(), comment(body), ScreeningContext(settings, articles={"cron": CRON})
    )
    assert result.weight > 0 and result.findings[0].startswith("little relation")


def test_a_support_line_in_backticks_is_still_a_support_scam(settings):
    pitch = "HP printer support number: call toll free +1 888 555 0147, 24/7 customer service"
    for body in (
        f"How do I fix this error? `{pitch}`",
        f"How do I fix this error? Output:\n\n    {pitch}",
        f"How do I fix this error?\n```\n{pitch}\n```",
    ):
        found = findings(CommercialSignal(), body, settings)
        assert found and found[0].startswith("support-number scam"), body


def test_numbers_in_quoted_logs_are_not_a_support_scam(settings):
    body = (
        "My job logs this and then stops, any idea?\n\n"
        "    2026-03-01 02:00:01 support: cannot reach 10.0.0.12 port 8443\n"
        "    2026-03-01 02:00:02 retry in 30 s"
    )
    assert not any(
        f.startswith("support-number scam") for f in findings(CommercialSignal(), body, settings)
    )


def test_code_speaks_for_a_comment_only_with_words_of_its_own(settings):
    context = ScreeningContext(settings)
    blank = check(GenuineSignal(), comment("Great offer\n```\n   \n```\nvisit us"), context)
    assert not any(f.startswith("quotes code") for f in blank.findings)
    only_code = check(
        GenuineSignal(), comment("`buy cheap followers at fastfans dot com`"), context
    )
    assert not any(f.startswith("quotes code") for f in only_code.findings)
    explained = check(
        GenuineSignal(), comment("This line fixed it for me: `PATH=/usr/bin:/bin`"), context
    )
    assert any(f.startswith("quotes code") for f in explained.findings)


# -- grounds for spam, and what vouches for a comment --------------------------------------------


def result(signal: object, body: str, settings, **fields: object):
    context = ScreeningContext(settings=settings, articles={"cron": CRON})
    return check(signal, comment(body, **fields), context)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("signal", "body"),
    [
        (RulesSignal(), "See https://cheap-hosting.example/offer for the scheduler."),
        (CommercialSignal(), "Cron broken? Call our helpline +1-888-555-0123 now."),
        (PromotionSignal(), "Check out my channel, I post cron tutorials every week."),
        (PromotionSignal(), "The pro plan is $49 per month and worth it."),
    ],
    ids=["unknown-link", "phone-number", "own-channel", "price"],
)
def test_what_a_comment_promotes_is_grounds(settings, signal, body):
    assert result(signal, body, settings).grounds


@pytest.mark.parametrize(
    ("signal", "body"),
    [
        (RulesSignal(), "See https://docs.python.org/3/library/sched.html for the scheduler."),
        (RulesSignal(), "MY CRON JOB RUNS TWICE EVERY NIGHT AND I CANNOT SEE WHY"),
        (CommercialSignal(), "I called HP support about the printer, no luck with the driver."),
        (PromotionSignal(), "Thumbs up if your cron job also ran twice on the DST night."),
        (PromotionSignal(), "Disclosure: I work on systemd's docs. Persistent=true is right."),
    ],
    ids=["documentation-link", "shouting", "support-in-passing", "engagement-bait", "disclosure"],
)
def test_style_a_reference_or_an_employer_is_no_grounds(settings, signal, body):
    assert not result(signal, body, settings).grounds


def test_a_question_code_or_the_articles_subject_vouches_for_a_comment(settings):
    question = "Why does my timer skip runs after a reboot? Persistent=true is set."
    on_topic = "The crontab environment bit me: PATH was short, so my job failed until I logged it."
    assert result(GenuineSignal(), question, settings).vouches
    assert result(RelevanceSignal(), on_topic, settings).vouches


def test_praise_and_an_unrelated_story_vouch_for_nothing(settings):
    praise = "Really informative post, keep sharing with us every week!"
    elsewhere = (
        "Moving house in Delhi is stressful; professional packers carry furniture, pack "
        "kitchens and deliver everything safely across every neighbourhood quickly."
    )
    assert not result(GenuineSignal(), praise, settings).vouches
    assert not result(RelevanceSignal(), elsewhere, settings).vouches


class FixedModel:
    """A model sure of one probability for every comment: what a model trained on
    another site's comments may do with a comment unlike any it saw."""

    name = "model"

    def __init__(self, probability: float) -> None:
        self.probability = probability

    def check_many(self, comments, context):
        p = self.probability
        found = SignalResult(self.name, p, f"model: {p}", kind=SignalKind.PRIOR, weight=log_odds(p))
        return [found] * len(comments)


def screen_with_model(settings, probability: float, body: str):
    signals = [*default_signals(settings, None)[:-1], FixedModel(probability)]
    screener = Screener(settings, None, articles={"cron": CRON}, signals=signals)
    return screener.screen_many([comment(body)])[0]


def test_a_bare_link_with_a_slogan_is_held_however_innocent_the_model_finds_it(settings):
    verdict = screen_with_model(settings, 0.01, "shopfront-deals.com where quality meets you.")
    assert verdict.score < 0.35
    assert verdict.decision is Decision.HOLD
    assert NO_VOUCHER in verdict.reasons


def test_a_link_in_a_comment_about_the_article_is_approved(settings):
    body = (
        "Why does the timer skip runs after a reboot? My unit file with OnCalendar and "
        "Persistent=true is at https://notes-kim.example/timer if that helps."
    )
    verdict = screen_with_model(settings, 0.01, body)
    assert verdict.decision is Decision.APPROVE, verdict.reasons


def test_the_model_alone_never_decides_spam(settings):
    body = "THUMBS UP IF YOU READ THIS AT 3 AM WAITING FOR YOUR CRON JOB"
    verdict = screen_with_model(settings, 0.999, body)
    assert verdict.score >= 0.85
    assert verdict.decision is Decision.HOLD
    assert NO_GROUNDS in verdict.reasons


def test_the_model_with_a_link_to_a_shop_decides_spam(settings):
    body = "THUMBS UP IF YOU READ THIS, THEN VISIT https://cron-deals.example FOR MORE"
    verdict = screen_with_model(settings, 0.999, body)
    assert verdict.decision is Decision.SPAM
    assert NO_GROUNDS not in verdict.reasons


def test_a_short_thanks_that_carries_nothing_is_approved(settings):
    # The seed model finds this spam-like: the seed's spam thanks a lot, with links.
    body = "Really interesting, thanks for writing this."
    verdict = Screener(settings, None, articles={"cron": CRON}).screen_many([comment(body)])[0]
    assert verdict.decision is Decision.APPROVE, verdict.reasons
    assert "just thanks: no link, website or offer" in verdict.reasons


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ("Really interesting, thanks for writing this.", {"author_url": "https://shop.example"}),
        ("Thanks for the likes, follow me @timerdeals for more", {}),
        ("Thanks for writing this! More tips at cron-deals.com", {}),
        ("Thanks! Check out my channel for more cron.", {}),
        ("I post a new cron video every Friday, it would mean a lot if you watched. Thanks!", {}),
    ],
    ids=["author-website", "handle", "link", "pitch", "more-than-thanks"],
)
def test_a_thanks_that_leads_somewhere_is_not_just_thanks(settings, body, fields):
    assert "just thanks: no link, website or offer" not in findings(
        PromotionSignal(), body, settings, **fields
    )


def test_a_command_line_is_technical_detail_but_a_name_in_prose_is_not(settings):
    def details(body: str) -> list[str]:
        result = check(GenuineSignal(), comment(body), ScreeningContext(settings))
        return [f for f in result.findings if f.startswith("technical detail")]

    assert details("I fixed it with python3 -m pip install --user and then python app.py")
    assert details("Running pip install pelican twice did it")
    assert details("Ask on the Python mailing list, they answer quickly.") == []
    assert details("Pip is fine, and Git is fine too, for a beginner.") == []


@pytest.mark.parametrize(
    ("body", "finding"),
    [
        (
            "Solid setup. I do infrastructure reviews for small SaaS teams, so if yours runs "
            "cron in production, happy to jump on a quick call.",
            "asks to be contacted: 'happy to jump on a quick call'",
        ),
        (
            "The PATH trap is the first thing the cron workshop I run for sysadmins covers.",
            "promotes their own offer: 'the cron workshop i run'",
        ),
        (
            "Timers are where most teams get stuck. If that's you, just reach out.",
            # the end of the clause is part of it: reached out to no one else
            "asks to be contacted: 'just reach out.'",
        ),
    ],
)
def test_a_consultants_open_door_to_every_reader_is_promotion(settings, body, finding):
    assert finding in findings(PromotionSignal(), body, settings)


@pytest.mark.parametrize(
    "body",
    [
        "I do code reviews for my team every morning, and this PATH checklist goes in them.",
        "I jumped on a call with our admin about this, and the PATH fix was the answer.",
        "The cron workshop I attended last year skipped PATH entirely; this fills the gap.",
        "Reach out to the maintainers on the issue tracker: they fixed the timer bug fast.",
    ],
)
def test_work_calls_and_courses_one_took_are_no_promotion(settings, body):
    assert findings(PromotionSignal(), body, settings) == ()


# -- genuine comments that today's patterns took for spam, each beside the pitch it is for ---------


@pytest.mark.parametrize(
    ("genuine", "spam", "trade"),
    [
        (
            "Is the license key free for non-profits? We run a small community group.",
            "Office 2021 license key free download, 100% working activation.",
            "cracked software",
        ),
        (
            "Our library does a live stream for free every Thursday, and this helped us set it up.",
            "Lakers vs Celtics live stream free HD, no signup, click below.",
            "free films",
        ),
        (
            "Our library does a live stream for free every Thursday, and this helped us set it up.",
            "Watch the final: live stream for free football in HD tonight.",
            "free films",
        ),
        (
            "When I was earning $1,800 a month as a teaching assistant, I learned cron at night.",
            "I'm now earning $4,200 a week from home thanks to Mrs. Carter.",
            "easy money",
        ),
        (
            "I generate keys with ssh-keygen -t ed25519 and add them to the deploy user.",
            "Photoshop 2025 keygen free download, works on Windows 11.",
            "cracked software",
        ),
        (
            "There are single moms study groups in your area if you ask at the library.",
            "Lonely single women near you want to chat tonight.",
            "dating",
        ),
        (
            "We grew Sugar Baby watermelons in the school garden, timed with a cron job.",
            "The best sugar baby dating site for generous men.",
            "dating",
        ),
    ],
)
def test_a_trades_words_in_a_genuine_comment_are_no_trade(settings, genuine, spam, trade):
    url = {"author_url": "https://janedoe.example"}
    assert not any(
        f.startswith(f"{trade}:") for f in findings(CommercialSignal(), genuine, settings, **url)
    )
    assert any(f.startswith(f"{trade}:") for f in findings(CommercialSignal(), spam, settings))


def test_a_trade_weighs_more_only_from_a_website_that_names_it(settings):
    body = "Now I earn $4,200 every week from home, it changed my life."
    blog = findings(CommercialSignal(), body, settings, author_url="https://janedoe.example")
    assert blog == ("easy money: 'earn $4,200 every week'",)
    shop = "https://cheap-essays-online.example"
    essays = "Need assignment help? They did mine in a day."
    found = findings(CommercialSignal(), essays, settings, author_url=shop)
    assert found == (f"essays: 'assignment help', from a website ({shop[8:]})",)


@pytest.mark.parametrize(
    ("genuine", "pitch"),
    [
        (
            "We made a weekly video call part of our routine and the PATH bugs got fixed faster.",
            "I built a Chrome extension that writes timer units for you.",
        ),
        (
            "My grandmother used to send me a note every week; my crontab does it now.",
            "Stuck on timers? Send me a note and I'll set it up for you.",
        ),
        (
            "Grab a seat near the door if you come late to the meetup, the talk starts at six.",
            "The workshop is next week, so book your seat while there are some left.",
        ),
        (
            "If the timer still skips runs, just reach out to the maintainers on the tracker.",
            "Cron in production is hard; feel free to reach out to me any time.",
        ),
        (
            "I do weekly retros for my teams, and the short PATH comes up in every one.",
            "I do cron audits for growing teams, so ask if yours needs one.",
        ),
        (
            "I send a short weekly digest to my team with links like this one.",
            "I send a short weekly digest on cron tricks, free, to anyone who asks.",
        ),
        (
            "I wrote a book report on automation in school, and cron was in it.",
            "I wrote a book on timers last year for anyone who wants more.",
        ),
        (
            "During lockdown we helped teams move their meetings online, cron did the reminders.",
            "We've helped dozens of companies move their cron jobs to timers.",
        ),
        (
            "Cal Newport's Deep Work is great on this, and it's also on Kindle.",
            "My new book is now out on Kindle, with a chapter on timers.",
        ),
    ],
)
def test_an_anecdote_is_no_pitch_but_the_pitch_is(settings, genuine, pitch):
    assert findings(PromotionSignal(), genuine, settings) == ()
    assert findings(PromotionSignal(), pitch, settings)


def test_praise_of_the_writers_writing_is_no_blog_praise(settings):
    url = {"author_url": "https://janedoe.example"}
    reader = findings(PromotionSignal(), "Your writing is really helpful, thanks.", settings, **url)
    assert not any("praise" in f for f in reader)
    blog = findings(PromotionSignal(), "Your blog is really helpful, thanks.", settings, **url)
    assert any(f.startswith("praise that fits any blog") for f in blog)


@pytest.mark.parametrize(
    ("link", "reference"),
    [
        ("https://www.cs.cmu.edu/~kim/notes/timers.html", True),
        ("https://state.edu/research/scheduling", True),
        ("https://state.edu", True),
        ("https://blogs.state.edu/wp-content/uploads/cheap-meds.html", False),
        ("https://state.edu/forum/viewtopic.php?t=buy-followers", False),
        ("https://www.usa.gov/anything/at-all", True),
        ("https://www.unimelb.edu.au/anything", True),
    ],
)
def test_a_edu_link_is_a_reference_only_in_an_academic_folder(settings, link, reference):
    found = findings(RulesSignal(), f"The reference for this: {link}", settings)
    assert any(f.startswith("links to a reference") for f in found) is reference
    assert ("1 link" in found) is not reference


def test_ones_own_book_said_earlier_makes_it_on_amazon_an_offer(settings):
    own = 'I wrote a book on this, "Timers at Night". It\'s on Amazon if you want more.'
    theirs = "Julia Evans wrote a zine on this. It's on her site and also on Amazon."
    assert any(
        f.startswith("offer: 'i wrote a book") for f in findings(PromotionSignal(), own, settings)
    )
    assert not any(f.startswith("offer:") for f in findings(PromotionSignal(), theirs, settings))

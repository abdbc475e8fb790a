"""Each signal on its own: what it finds, what it says, and what it leaves alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from moderation.models import Decision, Label
from moderation.screening.base import ScreeningContext, check
from moderation.screening.commercial import CommercialSignal
from moderation.screening.intake import IntakeSignal
from moderation.screening.promotion import JUST_THANKS, PromotionSignal
from moderation.screening.relevance import RelevanceSignal
from moderation.screening.rules import TRUSTED, RulesSignal


def context(settings, store=None, articles=None, **moderation):
    if moderation:
        settings = settings.with_overrides(COMMENTS_MODERATION=moderation)
    return ScreeningContext(settings=settings, store=store, articles=articles or {})


# -- intake -----------------------------------------------------------------------


def test_intake_without_flags_is_silent(settings, make_comment):
    result = check(IntakeSignal(), make_comment(), context(settings))
    assert result.score == 0.0 and result.floor is None and not result.findings


def test_honeypot_forces_spam(settings, make_comment):
    result = check(IntakeSignal(), make_comment(intake_flags=("honeypot",)), context(settings))
    assert result.floor is Decision.SPAM
    assert result.score == 1.0
    assert result.findings == ("honeypot field filled in",)


def test_time_trap_and_token_hold_with_their_own_words(settings, make_comment):
    flags = ("time trap: submitted 1.2 s after the form was served", "token: missing")
    result = check(IntakeSignal(), make_comment(intake_flags=flags), context(settings))
    assert result.floor is Decision.HOLD
    assert result.findings == flags
    assert 0 < result.score < 1


# -- rules ------------------------------------------------------------------------


def rules(settings, comment, store=None, **moderation):
    return check(RulesSignal(), comment, context(settings, store, **moderation))


def test_plain_comment_matches_no_rule(settings, make_comment):
    result = rules(settings, make_comment("Mentoring newcomers worked for us too."))
    assert result.score == 0.0 and result.floor is None
    assert result.reason == "rules: nothing matched"


def test_links_at_the_limit_are_held_and_counted(settings, make_comment):
    body = "See https://a.example/x and https://b.example/y and www.c.example for more."
    result = rules(settings, make_comment(body))
    assert result.floor is Decision.HOLD
    assert "3 links (limit 2)" in result.findings


def test_one_link_is_noted_but_not_held(settings, make_comment):
    body = "I wrote up our own experience at https://notes.example/peer-learning last spring."
    result = rules(settings, make_comment(body))
    assert result.floor is None
    assert "1 link" in result.findings


def test_max_links_comes_from_the_settings(settings, make_comment):
    body = "I wrote up our own experience at https://notes.example/peer-learning last spring."
    result = rules(settings, make_comment(body), max_links=1)
    assert result.floor is Decision.HOLD
    assert "1 links (limit 1)" in result.findings


def test_moderation_keyword_holds(settings, make_comment):
    result = rules(settings, make_comment("Is crypto a community?"), moderation_keys=["crypto"])
    assert result.floor is Decision.HOLD
    assert "moderation keyword word: 'crypto'" in result.findings


def test_moderation_keywords_match_whole_words_only(settings, make_comment):
    result = rules(settings, make_comment("A classic class of mistakes."), moderation_keys=["ass"])
    assert result.floor is None


@pytest.mark.parametrize(
    ("key", "fields", "expected"),
    [
        ("casino", {"body": "Best Casino bonuses here"}, "disallowed word: 'casino'"),
        (
            "spam.example",
            {"body": "Read https://www.shop.spam.example/deal now"},
            "disallowed domain: spam.example",
        ),
        (
            "bad@spam.example",
            {"body": "Nice", "email": "Bad@Spam.example"},
            "disallowed email: bad@spam.example",
        ),
        ("203.0.113.7", {"body": "Nice", "ip": "203.0.113.7"}, "disallowed IP: 203.0.113.7"),
        ("198.51.100.", {"body": "Nice", "ip": "198.51.100.23"}, "disallowed IP: 198.51.100."),
    ],
)
def test_disallowed_keys_force_spam(settings, make_comment, key, fields, expected):
    result = rules(settings, make_comment(**fields), disallowed_keys=[key])
    assert result.floor is Decision.SPAM
    assert expected in result.findings


def test_disallowed_ip_does_not_match_a_different_address(settings, make_comment):
    comment = make_comment("Nice", ip="203.0.113.70")
    assert rules(settings, comment, disallowed_keys=["203.0.113.7"]).floor is None


def test_url_shortener_is_named(settings, make_comment):
    result = rules(settings, make_comment("Everything you need: https://bit.ly/3xYz"))
    assert "URL shortener: bit.ly" in result.findings


def test_author_url_repeated_in_the_body(settings, make_comment):
    comment = make_comment(
        "We wrote about this at https://www.growthhackers.example/blog too.",
        author_url="https://growthhackers.example",
    )
    result = rules(settings, comment)
    assert "author's URL repeated in the body: growthhackers.example" in result.findings


def test_shouting_and_repetition(settings, make_comment):
    result = rules(settings, make_comment("THIS IS THE BEST OFFER EVER!!!!!!!! BUY BUY BUY BUY"))
    assert "shouting: mostly capital letters" in result.findings
    assert "repetition: '!' 8 times in a row" in result.findings
    assert "repetition: the word 'buy' again and again" in result.findings


def test_repeated_lines(settings, make_comment):
    body = "Join us today\nJoin us today\nJoin us today"
    assert "repetition: 2 repeated line(s)" in rules(settings, make_comment(body)).findings


def test_code_fences_and_rules_are_not_repeated_lines(settings, make_comment):
    body = (
        "First I ran:\n```\ncrontab -l\n```\n---\nThen I ran:\n```\nsystemctl list-timers\n"
        "```\n---\nBoth show the job."
    )
    assert not any("repetition" in f for f in rules(settings, make_comment(body)).findings)


def test_ordinary_capitals_are_not_shouting(settings, make_comment):
    body = "The NASA and UNESCO examples in the article were useful, thanks."
    assert rules(settings, make_comment(body)).findings == ()


def test_duplicate_of_an_earlier_stored_comment(settings, store, make_comment):
    first = store.comments.add(make_comment("Same words, same author.", author="Sam"))
    again = store.comments.add(make_comment("Same  words, same author.", author="Sam"))
    result = rules(settings, again, store)
    assert f"duplicate of comment {first.id}" in result.findings
    assert result.floor is Decision.HOLD
    # The earlier one is not a duplicate of the later one.
    assert not any("duplicate" in f for f in rules(settings, first, store).findings)


def test_flood_from_one_ip(settings, store, make_comment):
    earlier = make_comment("First thought.", ip="192.0.2.9")
    store.comments.add(earlier)
    soon = make_comment("Second thought.", ip="192.0.2.9", received_at=earlier.received_at)
    soon = soon.with_changes(received_at=earlier.received_at + timedelta(seconds=5))
    stored = store.comments.add(soon)
    result = rules(settings, stored, store)
    assert "flood: 1 other comment(s) from this IP within 15 s" in result.findings
    later = stored.with_changes(id=None, received_at=earlier.received_at + timedelta(minutes=5))
    assert not any("flood" in f for f in rules(settings, later, store).findings)


def test_trust_after_approved_comments(settings, store, make_comment):
    approved = store.comments.add(make_comment("Good point.", email="kim@example.org"))
    store.decisions.moderate(approved.id, "approve")
    newcomer = make_comment("Another thought.", email="someone@example.org")
    regular = make_comment("Another thought.", email="KIM@example.org")
    assert not any(f.startswith(TRUSTED) for f in rules(settings, newcomer, store).findings)
    assert f"{TRUSTED}: 1 earlier approved comment(s)" in rules(settings, regular, store).findings
    # Trust speaks for the comment: it may carry a link and still be approved.
    assert rules(settings, regular, store).vouches
    assert not rules(settings, newcomer, store).vouches


def test_a_copied_name_and_website_do_not_borrow_trust(settings, store, make_comment):
    # Name and website are on every published page; only the unpublished email counts.
    regular = store.comments.add(
        make_comment("Good point.", email="kim@example.org", author_url="https://kim.example")
    )
    store.decisions.moderate(regular.id, "approve")
    impostor = make_comment("Buy now!", author_url="https://kim.example")
    impostor = impostor.with_changes(author=regular.author)
    assert not any(f.startswith(TRUSTED) for f in rules(settings, impostor, store).findings)


def test_training_examples_do_not_make_an_author_trusted(settings, store, make_comment):
    store.training.add_many(
        [(make_comment("Fine.", email="kim@example.org"), Label.HAM)], source="train:t.jsonl"
    )
    regular = make_comment("Another thought.", email="kim@example.org")
    assert not any(f.startswith(TRUSTED) for f in rules(settings, regular, store).findings)


# -- promotion --------------------------------------------------------------------


def promotion(settings, comment, articles=None):
    return check(PromotionSignal(), comment, context(settings, articles=articles))


def commercial(settings, comment):
    return check(CommercialSignal(), comment, context(settings))


def relevance(settings, comment, articles=None):
    return check(RelevanceSignal(), comment, context(settings, articles=articles))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Loved it. Book a demo with us this week!", "asks to be contacted: 'book a demo'"),
        ("Start your free trial today.", "offer: 'free trial'"),
        ("Use promo code LEARN20 at checkout", "offer: 'promo code'"),
        ("Hey, DM me for the details", "asks to be contacted: 'dm me'"),
        ("Check out my channel for more", "call to action: 'check out my'"),
        ("Don't forget to subscribe", "call to action: 'don't forget to subscribe'"),
        ("Jetzt kaufen und sparen", "offer: 'jetzt kaufen'"),
        ("Suscríbete a mi canal", "call to action: 'suscríbete'"),
        ("Boka en demo med oss", "call to action: 'boka en demo'"),
    ],
)
def test_calls_to_action(settings, make_comment, body, expected):
    result = promotion(settings, make_comment(body))
    assert expected in result.findings
    assert result.score > 0.4


def test_prices_and_currencies(settings, make_comment):
    result = promotion(settings, make_comment("The full course is only $49 or 45 EUR."))
    assert "price: $49" in result.findings
    assert "price: 45 eur" in result.findings


def test_phone_number_and_support_scam(settings, make_comment):
    plain = commercial(settings, make_comment("Ring me on +46 70 123 45 67 sometime."))
    assert "phone number: +46 70 123 45 67" in plain.findings
    scam = commercial(
        settings,
        make_comment("Locked out? Call our toll-free helpline 1-800-555-0199 right now."),
    )
    assert (
        "support-number scam: 'call our', 'toll-free', 'helpline' with phone number 1-800-555-0199"
        in scam.findings
    )
    assert scam.score > plain.score


def test_big_numbers_are_not_phone_numbers(settings, make_comment):
    result = commercial(settings, make_comment("Over 2 000 000 000 views and 1,234,567 likes."))
    assert not any("phone" in f for f in result.findings)


def test_company_speaking_about_itself(settings, make_comment):
    body = "Interesting read. Our agency helps teams like yours, and we offer workshops."
    result = promotion(settings, make_comment(body))
    assert "company speaking: 'our agency'" in result.findings
    assert "company speaking: 'we offer'" in result.findings


def test_affiliate_and_tracking_links(settings, make_comment):
    body = "This is what I use: https://tools.example/app?utm_source=blog&ref=mara"
    result = promotion(settings, make_comment(body))
    assert any(f.startswith("affiliate or tracking link:") for f in result.findings)


def test_generic_praise_followed_by_a_link(settings, make_comment):
    result = promotion(settings, make_comment("Great post! Very useful. https://seo.example"))
    assert (
        "generic praise that fits any article ('great post') with a link to seo.example"
        in result.findings
    )


def test_specific_praise_without_link_is_not_promotion(settings, make_comment):
    result = promotion(settings, make_comment("Great post! The part about mentors rang true."))
    assert result.findings == (JUST_THANKS,)  # a reader's thanks, which lowers the odds
    assert result.score == 0.0
    assert result.weight < 0
    assert not result.grounds


def test_unrelated_long_comment_is_flagged_only_when_the_article_is_known(
    settings, make_comment, article
):
    body = (
        "Cheap flights, hotel upgrades, airport lounges, loyalty points, beach resorts, "
        "cruise packages, rental cars, passport photos, travel insurance and visa "
        "paperwork handled quickly by experienced consultants."
    )
    known = {article.slug: article}
    flagged = relevance(settings, make_comment(body), known)
    assert any(f.startswith("little relation to the article") for f in flagged.findings)
    unknown = relevance(settings, make_comment(body, article="no-such-article"), known)
    assert not any("relation" in f for f in unknown.findings)


def test_related_comment_is_not_flagged_for_relevance(settings, make_comment, article):
    body = (
        "Our community of practice went quiet exactly like this: once a few members "
        "started using every question as a chance for marketing, newcomers stopped "
        "sharing mistakes and the mentors stopped answering in the forum."
    )
    result = relevance(settings, make_comment(body), {article.slug: article})
    assert not any("relation" in f for f in result.findings)


def test_short_comments_are_not_judged_for_relevance(settings, make_comment, article):
    result = relevance(settings, make_comment("Totally agree!"), {article.slug: article})
    assert result.findings == ()

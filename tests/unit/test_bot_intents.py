"""Unit tests for the channel-neutral inbound text classifier."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection

import pytest

from bot.intents import RESERVED_WORDS, Intent, IntentKind, classify

OPEN = ("DROP",)
STOP_WORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT")
DECORATIONS = ("{}", " {} ", "{}!!!", "{}.", "**{}**", "{} 🛑", "\t{}\n", "🙏{}🙏")


def kind_of(body: str, keywords: Collection[str] = OPEN) -> IntentKind:
    """Classify body against keywords and return only the kind."""
    return classify(body, keywords).kind


@pytest.mark.parametrize("decoration", DECORATIONS)
@pytest.mark.parametrize("casing", [str.upper, str.lower, str.title])
@pytest.mark.parametrize("word", STOP_WORDS)
def test_every_stop_word_in_any_casing_and_punctuation_is_stop(
    word: str, casing: Callable[[str], str], decoration: str
) -> None:
    """Each carrier stop word alone means STOP, however it is dressed up."""
    body = decoration.format(casing(word))
    assert classify(body, OPEN) == Intent(IntentKind.STOP)


@pytest.mark.parametrize(
    "body",
    [
        "opt out",
        "OPT OUT",
        "Opt-Out",
        "opt_out",
        "opt out!",
        "OPT   OUT 🙅",
        "\uff33\uff34\uff2f\uff30",
    ],
)
def test_opt_out_spellings_and_fullwidth_are_stop(body: str) -> None:
    """OPT OUT as two words, hyphenated or underscored, and full-width STOP are STOP."""
    assert kind_of(body) is IntentKind.STOP


@pytest.mark.parametrize(
    "body",
    [
        "stop please",
        "STOP!!!",
        "stop texting me",
        "Stop texting me!!",
        "unsubscribe me",
        "please stop",
        "pls stop",
        "plz stop 🙏",
        "ok stop",
        "just stop",
        "stop it",
        "opt me out",
        "remove me",
        "Remove me from this list",
        "take me off your list",
        "no more texts",
        "No more messages please",
        "leave me alone",
        "don't text me",
        "don\u2019t text me",
        "dont text me",
        "do not text me anymore",
        "do not contact me",
        "I want to unsubscribe",
        "how do i opt out of this",
        "quit messaging me",
        "can you please stop sending these",
        "i want to stop getting these",
        "wrong number",
        "not interested",
        "cancel my subscription",
        "end",
        "omg stop",
        "i quit",
        "the end",
        "make it end",
        "unsub",
        "STOP ALL OF THIS",
        "STOP DROP",
    ],
)
def test_plain_language_revocations_are_stop(body: str) -> None:
    """Obvious revocation phrasings are STOP even when not a bare stop word."""
    assert kind_of(body) is IntentKind.STOP


@pytest.mark.parametrize(
    "body",
    [
        "drop stop",
        "DROP STOP",
        "drop, stop!",
        "DROP end",
        "drop cancel",
        "DROP stop sending these",
        "DROP stop this is spam",
        "drop cancel that right now",
        "DROP tiktok stop",
        "DROP tiktok unsubscribe",
        "DROP ig please stop texting",
        "DROP opt-out",
        "DROP tiktok opt out",
    ],
)
def test_keyword_messages_carrying_a_stop_word_are_stop(body: str) -> None:
    """A keyword with a stop word as source, or in a short message, is STOP to be safe."""
    assert classify(body, OPEN) == Intent(IntentKind.STOP)


@pytest.mark.parametrize(
    "body",
    [
        "can't stop listening",
        "can\u2019t stop listening",
        "cant stop listening",
        "can t stop listening",
        "don't stop",
        "please don't stop",
        "do not stop",
        "never stop dropping heat",
        "I can't stop texting my friends about this",
        "i dont want to stop",
        "this album is nonstop fire",
        "the weekend is here",
        "stopwatch",
        "ending soon?",
    ],
)
def test_prose_with_a_stop_word_is_not_stop(body: str) -> None:
    """Negated or embedded stop words in fan chatter are not revocations."""
    assert kind_of(body) is IntentKind.UNKNOWN


@pytest.mark.parametrize(
    ("body", "source"),
    [
        ("DROP ig can't stop listening", "ig"),
        ("drop tiktok never stop", "tiktok"),
        ("drop the weekend", "the"),
    ],
)
def test_keyword_prose_with_negated_stop_word_stays_optin(body: str, source: str) -> None:
    """A keyword followed by a negated stop word later in the message still opts in."""
    assert classify(body, OPEN) == Intent(IntentKind.OPTIN, keyword="DROP", source=source)


@pytest.mark.parametrize(
    "body", ["START", "start", "Start!", "START.", " unstop ", "UNSTOP", "yes", "YES 🎉", "Yes!!"]
)
def test_start_words_alone_are_start(body: str) -> None:
    """START, UNSTOP and YES alone, with punctuation or emoji, are START; only YES also
    confirms a pending web opt-in."""
    confirms = "YES" in body.upper()
    assert classify(body, OPEN) == Intent(IntentKind.START, confirms=confirms)


@pytest.mark.parametrize("body", ["yes please", "start drop", "yes I love it", "start now"])
def test_start_words_with_other_words_are_not_start(body: str) -> None:
    """Re-consent must be explicit: a start word with other words is not START."""
    assert kind_of(body) is IntentKind.UNKNOWN


@pytest.mark.parametrize(
    "body",
    [
        "HELP",
        "help",
        "Help?",
        "help!!",
        "help me",
        "help me please",
        "please help",
        "INFO",
        "info",
        "Info?",
        "❓ info",
        "info pls",
    ],
)
def test_help_words_are_help(body: str) -> None:
    """HELP and INFO, alone or with politeness and punctuation, are HELP."""
    assert classify(body, OPEN) == Intent(IntentKind.HELP)


@pytest.mark.parametrize(
    "body", ["help me find the drop", "more info on the tour", "info about drop"]
)
def test_help_words_in_longer_questions_are_not_help(body: str) -> None:
    """A help word inside a longer question is not the HELP command."""
    assert kind_of(body) is IntentKind.UNKNOWN


@pytest.mark.parametrize(
    "body",
    [
        "DROP",
        "drop",
        "Drop",
        "drop!",
        " Drop ",
        "DROP 🔥",
        "Drop.",
        "**drop**",
        "#drop",
        "🔥DROP🔥",
        "🔥 drop 🔥🔥",
        "\tdrop\n",
        '"drop"',
        "\uff24\uff32\uff2f\uff30",
        "\U0001d403\U0001d411\U0001d40e\U0001d40f",
    ],
)
def test_keyword_variants_opt_in_without_source(body: str) -> None:
    """The keyword alone, however decorated or Unicode-styled, opts in with no source."""
    assert classify(body, OPEN) == Intent(IntentKind.OPTIN, keyword="DROP", source=None)


@pytest.mark.parametrize(
    ("body", "source"),
    [
        ("DROP tiktok", "tiktok"),
        ("drop IG!", "ig"),
        ("Drop YT extra words here", "yt"),
        ("drop, tiktok", "tiktok"),
        ("drop #TikTok", "tiktok"),
        ("drop tik-tok", "tik-tok"),
        ("drop ig_story", "ig_story"),
        ("DROP 2024", "2024"),
        ("🔥DROP🔥 insta 🔥", "insta"),
        ("drop \uff29\uff27", "ig"),
        ("drop café", None),
        ("drop инста", None),
        ("drop " + "a" * 40, "a" * 32),
        ("drop " + "b" * 32, "b" * 32),
        ("drop " + "c" * 31 + "-d", "c" * 31),
    ],
)
def test_source_is_second_word_lowercased_and_truncated(body: str, source: str | None) -> None:
    """The second word becomes a lower-case ASCII source tag of at most 32 characters."""
    assert classify(body, OPEN) == Intent(IntentKind.OPTIN, keyword="DROP", source=source)


@pytest.mark.parametrize(
    ("body", "keywords", "expected"),
    [
        ("DROP", ["drop"], "drop"),
        ("drop", ["Drop"], "Drop"),
        ("TOUR tiktok", {"DROP", "tour"}, "tour"),
        ("merch", frozenset({"Merch", "DROP"}), "Merch"),
        ("drop", {"drop": 1}.keys(), "drop"),
        ("vinyl24", ("VINYL24",), "VINYL24"),
        ("drop", [" DROP "], " DROP "),
        ("drop", ["Drop", "DROP"], "Drop"),
    ],
)
def test_keyword_is_returned_in_the_form_given(
    body: str, keywords: Collection[str], expected: str
) -> None:
    """Keywords match case-insensitively and come back exactly as configured."""
    intent = classify(body, keywords)
    assert intent.kind is IntentKind.OPTIN
    assert intent.keyword == expected


@pytest.mark.parametrize(
    ("body", "keywords"),
    [
        ("VINYL", ["DROP"]),
        ("drop", []),
        ("dropped", ["DROP"]),
        ("dro p", ["DROP"]),
        ("I want DROP", ["DROP"]),
        ("when is the drop", ["DROP"]),
    ],
)
def test_closed_partial_or_late_keywords_are_unknown(body: str, keywords: list[str]) -> None:
    """Only an open keyword as the first whole word opts in."""
    assert classify(body, keywords) == Intent(IntentKind.UNKNOWN)


@pytest.mark.parametrize(
    "body", ["", "   ", "\n\t", "🔥🔥🔥", "???", "...", "hello", "lol", "when is the drop", "👋 hi"]
)
def test_empty_emoji_and_chatter_are_unknown(body: str) -> None:
    """Empty, symbol-only and unrelated messages are UNKNOWN."""
    assert classify(body, OPEN) == Intent(IntentKind.UNKNOWN)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("STOP", IntentKind.STOP),
        ("end", IntentKind.STOP),
        ("yes", IntentKind.START),
        ("start", IntentKind.START),
        ("help", IntentKind.HELP),
        ("info", IntentKind.HELP),
    ],
)
def test_commands_win_over_a_misconfigured_keyword(body: str, expected: IntentKind) -> None:
    """A reserved word configured as a keyword still yields its command."""
    assert kind_of(body, [body.upper(), "DROP"]) is expected


def test_reserved_words_are_exactly_the_documented_set() -> None:
    """RESERVED_WORDS lists carrier commands plus the confusing extras, upper-case."""
    expected = {
        *STOP_WORDS,
        "START",
        "UNSTOP",
        "YES",
        "HELP",
        "INFO",
        "UNSUB",
        "OPT",
        "OPTIN",
        "NO",
        "SUBSCRIBE",
    }
    assert expected == RESERVED_WORDS
    assert isinstance(RESERVED_WORDS, frozenset)


@pytest.mark.parametrize("word", sorted(RESERVED_WORDS - {"OPT", "OPTIN", "NO", "SUBSCRIBE"}))
def test_reserved_command_words_never_opt_in_even_if_configured(word: str) -> None:
    """Every reserved command word, offered as a keyword, is classified as its command."""
    assert kind_of(word, [word]) is not IntentKind.OPTIN
    assert kind_of(word.lower(), [word]) is not IntentKind.OPTIN


@pytest.mark.parametrize("word", ["OPT", "OPTIN", "NO", "SUBSCRIBE"])
def test_reserved_extras_are_unknown_when_not_configured(word: str) -> None:
    """The reserved extras are not commands themselves, only forbidden as keywords."""
    assert kind_of(word) is IntentKind.UNKNOWN


def test_intent_is_frozen_and_kind_values_are_stable() -> None:
    """Intent is immutable and IntentKind serialises to the documented strings."""
    intent = classify("drop tiktok", OPEN)
    with pytest.raises(dataclasses.FrozenInstanceError):
        intent.source = "sms"  # type: ignore[misc]
    assert [kind.value for kind in IntentKind] == ["optin", "stop", "start", "help", "unknown"]
    assert str(IntentKind.STOP) == "stop"

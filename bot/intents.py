"""Classify an inbound text as a compliance command or a campaign opt-in (pure, no I/O)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import dropwhile

from core.validation import RESERVED_KEYWORDS


class IntentKind(StrEnum):
    """What an inbound message asks for."""

    OPTIN = "optin"
    STOP = "stop"
    START = "start"
    HELP = "help"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Intent:
    """A classified message; keyword and source are set only for opt-ins. `confirms`: the
    START is a bare YES, which also answers a pending web opt-in's "Reply YES"."""

    kind: IntentKind
    keyword: str | None = None
    source: str | None = None
    confirms: bool = False


# CTIA / Twilio default opt-out words, plus REVOKE and OPTOUT (FCC 2024 rule,
# honoured by Twilio since 2025). Each one alone, in any case, means STOP.
_STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
# Stop words that never appear in ordinary fan chatter, so they count anywhere.
_UNAMBIGUOUS_STOP = frozenset({"STOPALL", "UNSUBSCRIBE", "UNSUB", "REVOKE", "OPTOUT"})
# Twilio's default opt-back-in words; YES also confirms a web opt-in (double opt-in).
_YES = "YES"
_START_WORDS = frozenset({"START", "UNSTOP", _YES})
# CTIA / Twilio default help words.
_HELP_WORDS = frozenset({"HELP", "INFO"})

# Every command word above is also refused as a campaign keyword (core.validation).
RESERVED_WORDS: frozenset[str] = RESERVED_KEYWORDS

# Words that may precede a command without changing its meaning.
_POLITE = frozenset(
    {"PLEASE", "PLS", "PLZ", "KINDLY", "JUST", "OK", "OKAY", "HEY", "HI", "HELLO", "YO"}
)
# A stop word or phrase right after one of these is not a revocation
# ("can't stop listening", "do not stop"); "T" comes from a split "can t".
_NEGATIONS = frozenset(
    {"CANT", "CANNOT", "DONT", "DOESNT", "DIDNT", "WONT", "WOULDNT", "COULDNT"}
    | {"SHOULDNT", "NEVER", "NOT", "AINT", "ISNT", "T"}
)
_CONTACT_VERBS = ("TEXT", "TXT", "MESSAGE", "MSG", "CONTACT", "CALL")
_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(phrase.split())
    for phrase in (
        *(f"{polite} STOP" for polite in ("PLEASE", "PLS", "PLZ")),
        *(
            f"{verb} {ing}"
            for verb in ("STOP", "QUIT")
            for ing in ("TEXTING", "MESSAGING", "SENDING", "SPAMMING")
        ),
        "STOP CONTACTING",
        *(f"{want} {word}" for want in ("WANT TO", "WANNA") for word in ("STOP", "QUIT")),
        *(f"{neg} {verb} ME" for neg in ("DONT", "DO NOT") for verb in _CONTACT_VERBS),
        *(f"NO MORE {noun}" for noun in ("TEXTS", "TEXT", "TXTS", "MESSAGES", "MSGS", "SMS")),
        "OPT ME OUT",
        "REMOVE ME",
        "TAKE ME OFF",
        "LEAVE ME ALONE",
        "WRONG NUMBER",
        "NOT INTERESTED",
    )
)

# The phrases by their first word: a word that starts none is checked against none.
_PHRASES_BY_FIRST: dict[str, tuple[tuple[str, ...], ...]] = {
    first: tuple(phrase for phrase in _PHRASES if phrase[0] == first)
    for first in {phrase[0] for phrase in _PHRASES}
}

_INNER_APOSTROPHE = re.compile(r"(?<=\w)['\u2018\u2019\u02bc](?=\w)")
_WORD = re.compile(r"[^\W_]+(?:[-_][^\W_]+)*")
_SOURCE = re.compile(r"[a-z0-9_-]+")
_SOURCE_MAX = 32


def _words(text: str) -> list[str]:
    """Split text into upper-case words, dropping emoji, punctuation and inner apostrophes."""
    text = _INNER_APOSTROPHE.sub("", unicodedata.normalize("NFKC", text))
    return [word.upper() for word in _WORD.findall(text)]


def _compact(word: str) -> str:
    """Drop inner dashes and underscores so "opt-out" compares as OPTOUT."""
    return word.replace("-", "").replace("_", "")


def _contains(words: Sequence[str], phrase: Sequence[str], at: int) -> bool:
    """Tell whether phrase occurs in words starting at index at."""
    return tuple(words[at : at + len(phrase)]) == tuple(phrase)


# Precedence is STOP > START > HELP > OPTIN > UNKNOWN: texting someone who revoked
# consent is the costly mistake (TCPA; FCC 2024 "any reasonable means" rule).
# After NFKC normalisation and tokenisation a message is STOP when:
# 1. its first word, after leading politeness fillers, is a stop word or the pair
#    OPT OUT ("stop please", "pls stop", "STOP!!!", "quit");
# 2. it contains an unambiguous stop word anywhere (UNSUBSCRIBE, UNSUB, STOPALL,
#    OPTOUT, REVOKE) or the pair OPT OUT ("how do I opt out");
# 3. it contains an explicit revocation phrase ("remove me", "leave me alone",
#    "don't text me", "stop texting", ...) not directly preceded by a negation;
# 4. it has at most three words and one is a stop word not directly preceded by a
#    negation ("drop stop", "the end", "omg stop" are STOP; "can't stop
#    listening" and "don't stop" are not);
# 5. its first word is an open keyword and its second word (the would-be source)
#    is a stop word, whatever the length ("DROP stop sending these") - see classify.
# A stop word elsewhere in longer prose is not a revocation unless it forms a phrase.
def _is_revocation(words: Sequence[str]) -> bool:
    """Tell whether compacted words revoke consent (rules 1-4 in the comment above)."""
    rest = list(dropwhile(lambda word: word in _POLITE, words))
    if rest and (rest[0] in _STOP_WORDS or _contains(rest, ("OPT", "OUT"), 0)):
        return True
    for at, word in enumerate(words):
        if word in _UNAMBIGUOUS_STOP or _contains(words, ("OPT", "OUT"), at):
            return True
        if at > 0 and words[at - 1] in _NEGATIONS:
            continue
        if len(words) <= 3 and word in _STOP_WORDS:
            return True
        if any(_contains(words, phrase, at) for phrase in _PHRASES_BY_FIRST.get(word, ())):
            return True
    return False


def _source(word: str) -> str | None:
    """Lower-case an opt-in's second word into a source tag, or None if it is not ASCII."""
    source = word.lower()
    if not _SOURCE.fullmatch(source):
        return None
    return source[:_SOURCE_MAX].rstrip("-_") or None


def classify(body: str, open_keywords: Collection[str]) -> Intent:
    """Classify an inbound text against the keywords of the campaigns open right now."""
    words = _words(body)
    if not words:
        return Intent(IntentKind.UNKNOWN)
    compact = [_compact(word) for word in words]
    by_folded: dict[str, str] = {}
    for given in open_keywords:
        by_folded.setdefault(unicodedata.normalize("NFKC", given).strip().upper(), given)
    keyword = by_folded.get(words[0])
    if _is_revocation(compact) or (
        keyword is not None and len(compact) > 1 and compact[1] in _STOP_WORDS
    ):
        return Intent(IntentKind.STOP)
    if len(compact) == 1 and compact[0] in _START_WORDS:
        return Intent(IntentKind.START, confirms=compact[0] == _YES)
    core = [word for word in compact if word not in _POLITE and word != "ME"]
    if len(core) == 1 and core[0] in _HELP_WORDS:
        return Intent(IntentKind.HELP)
    if keyword is not None:
        source = _source(words[1]) if len(words) > 1 else None
        return Intent(IntentKind.OPTIN, keyword=keyword, source=source)
    return Intent(IntentKind.UNKNOWN)

"""Conversations: a follow-up ("what else did he say?", "and about the navy?", "who else
commented?") read with the turns before it.

A leaf module of pure functions: the Discord side keeps a thread's turns in the answer log,
the terminal keeps them in memory, and both read a new line with `read_followup`, which
turns it into a question the search answers like any other, plus what to leave out:

| the line                                | is read as                                          |
|-----------------------------------------|-----------------------------------------------------|
| a pronoun: "why did she resign?"        | the question with the last answer's person named    |
| "and about X?", "what about X?"         | the last person (if any) on X; X a person: them on  |
|                                         | the last topic                                      |
| "else", "more", "other", "again"        | the same person or question, passages shown left out|
|   about a person ("what else did he …") | only that person's passages                         |
| "who else", "anyone else", "others"     | the last topic, quoting someone other than the      |
|                                         | people answered so far                              |
| anything else                           | a new question: no context                          |

The last answer's person is the one its search centred on, else the speaker of its answer
line: who the user was just shown. A line that names a corpus speaker itself keeps that
name (no pronoun is resolved). Only the last `MAX_TURNS` turns are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.render import cut
from retrieval.question import SPEECH_VERBS, who_said_content

MAX_TURNS = 5  # kept per conversation: what a follow-up may leave out, bounded
NOTE_QUOTE_MAX = 80  # characters of an earlier question shown in a context note


class Kind(StrEnum):
    FRESH = "fresh"  # no context used
    PRONOUN = "pronoun"  # "why did she resign?"
    TOPIC = "topic"  # "and about the navy?"
    MORE = "more"  # "anything else?", "what else did he say?"
    OTHERS = "others"  # "who else commented?"


@dataclass(frozen=True, slots=True)
class Turn:
    """One question of a conversation and what its answer showed."""

    question: str  # as the user wrote it
    asked: str  # what was searched
    speaker: str | None = None  # who the answer was about: the person a follow-up's "he" is
    topic: str = ""  # what it was about, for "who else …?" and "and about …"
    shown: tuple[int, ...] = ()  # passages shown, left out by "else" and "more"
    speaker_only: bool = False  # only `speaker`'s passages were searched
    other_than: tuple[str, ...] = ()  # people left out ("who else"), to go on leaving out

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "asked": self.asked,
            "speaker": self.speaker,
            "topic": self.topic,
            "shown": list(self.shown),
            "speaker_only": self.speaker_only,
            "other_than": list(self.other_than),
        }

    @classmethod
    def from_json(cls, data: dict) -> Turn:
        return cls(
            question=str(data.get("question", "")),
            asked=str(data.get("asked", "")),
            speaker=data.get("speaker") or None,
            topic=str(data.get("topic", "")),
            shown=tuple(int(i) for i in data.get("shown", ())),
            speaker_only=bool(data.get("speaker_only", False)),
            other_than=tuple(str(n) for n in data.get("other_than", ())),
        )


@dataclass(slots=True)
class Conversation:
    """The last `MAX_TURNS` turns, oldest first."""

    turns: list[Turn] = field(default_factory=list)

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    @property
    def shown(self) -> frozenset[int]:
        return frozenset(i for turn in self.turns for i in turn.shown)

    def add(self, turn: Turn) -> None:
        self.turns = [*self.turns, turn][-MAX_TURNS:]

    def clear(self) -> None:
        self.turns = []


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What a line asks once its context is read: the question to search, and how."""

    kind: Kind
    question: str  # to search: the line itself, or with the context filled in
    topic: str  # what the question is about, for the turns after it
    person: str | None = None  # who the context made it about
    speaker_only: bool = False  # search only `person`'s passages, never widening
    exclude: frozenset[int] = frozenset()  # passages shown already: not again
    other_than: tuple[str, ...] = ()  # only passages quoting someone else
    last: Turn | None = None  # the turn it continues
    dangling: bool = False  # a follow-up with nothing before it to follow ("what else?")

    @property
    def continues(self) -> bool:
        return self.kind is not Kind.FRESH

    def note(self) -> str | None:
        """The context used, in words ("About Rahm Emanuel, continuing from “…”"), so the
        user sees how the line was read; None for a new question."""
        last = self.last
        if not self.continues or last is None:
            return None
        since = f"continuing from “{cut(last.asked, NOTE_QUOTE_MAX)}”"
        if self.kind is Kind.OTHERS:
            people = " and ".join(self.other_than)
            return f"Speakers other than {people} on “{cut(self.topic, NOTE_QUOTE_MAX)}”, {since}"
        if self.kind is Kind.TOPIC:
            about = f"About {self.person}, on" if self.person else "Now on"
            return f"{about} “{cut(self.topic, NOTE_QUOTE_MAX)}”, {since}"
        head = f"About {self.person}, {since}" if self.person else "C" + since[1:]
        if self.kind is Kind.MORE:
            head += ": passages not shown yet"
        return head

    def nothing(self) -> str | None:
        """What to say when a follow-up finds nothing (None: the usual no-answer)."""
        if self.dangling:
            return (
                "Nothing answers that, and I can't tell whom or what it refers to: ask with "
                "a name or a topic, e.g. “What did the mayor say about the bridge?”"
            )
        if self.kind is Kind.MORE and self.speaker_only:
            return f"Nothing more from {self.person}: every passage quoting them here was shown."
        if self.kind is Kind.MORE:
            return "No more passages for that question."
        if self.kind is Kind.OTHERS:
            return f"Nobody besides {' and '.join(self.other_than)} is quoted on that here."
        return None

    def turn(self, line: str, speaker: str | None, shown: Sequence[int]) -> Turn:
        """The turn this follow-up makes, once answered; `speaker`: who the answer was
        about (the service decides)."""
        return Turn(
            question=line,
            asked=self.question,
            speaker=speaker,
            topic=self.topic,
            shown=tuple(shown),
            speaker_only=self.speaker_only,
            other_than=self.other_than,
        )


# -- reading a line ----------------------------------------------------------------------------
_POSSESSIVE = {"his", "their", "hers", "theirs"}
_PRONOUN = re.compile(r"\b(he|she|they|him|them|her|his|their|hers|theirs)\b", re.IGNORECASE)
# "her" before these is an object ("ask her about"), before any other word a possessive
_AFTER_OBJECT = re.compile(
    r"\s*(?:$|[^\w\s]|(?:about|on|of|to|for|with|in|at|from|that|if|whether|why|how|what|"
    r"when|again|and|or|but|so|too|today|yesterday|recently|then)\b)",
    re.IGNORECASE,
)
# who "other …" may be: "what did other officials say?"
_OTHER_NOUNS = (
    "people person persons speaker speakers official officials voices side sides view views "
    "opinion opinions comment comments reaction reactions expert experts".split()
)
_OTHERS = re.compile(
    r"\b(?:(?:who|whom|anyone|anybody|someone|somebody|whoever)\s+else|others|"
    rf"other\s+(?:{'|'.join(_OTHER_NOUNS)}))\b",
    re.IGNORECASE,
)
# "else", or "more"/"other"/"another" in a follow-up's frame ("tell me more", "more from
# him", "any other quotes"); bare, these words are a follow-up only in a line with no topic
# of its own ("any more?"): "is the bridge more expensive?" is a new question.
_MORE = re.compile(
    r"\belse\b|\b(?:tell|show|give)\s+(?:me|us)\s+more\b"
    r"|\bmore\s+(?:about|on|from|of|by|quotes?|passages?|please)\b"
    r"|\b(?:other|another|further|additional|more)\s+(?:things?|quotes?|remarks?|passages?|"
    r"points?|statements?|comments?)\b",
    re.IGNORECASE,
)
_MORE_WORD = re.compile(r"\b(?:more|other|another|further|additional)\b", re.IGNORECASE)
# "and about X", "what about X", "how about X", "and X?" (X not itself a question)
_NEW_TOPIC = re.compile(
    r"^\W*(?:(?:and|also|but|ok(?:ay)?|so)\W+)?(?:what|how)\s+about\s+(?P<x>.+)$"
    r"|^\W*(?:and|also)\W+(?:(?:about|on|regarding|concerning|re)\s+)?(?P<y>.+)$",
    re.IGNORECASE,
)
_QUESTION_WORDS = frozenset(
    "what what's whats who who's whom whose which when where where's why how how's did does "
    "do is are was were can could would will should has have had any anything anyone anybody "
    "tell show give list find".split()
)
_OPENERS = _QUESTION_WORDS | frozenset("and also more".split())
# Words that carry no topic of their own in a follow-up ("what else did he say?")
_NO_TOPIC = (
    _QUESTION_WORDS
    | SPEECH_VERBS
    | frozenset(
        "else more other others another further additional again me us please the a an it "
        "that this those these there here about on of to in for with from so then ok okay "
        "just also and but or something things thing stuff anything everything else's words "
        "quotes quote talk talked speak spoke anyone anybody someone somebody".split()
    )
    | frozenset(_OTHER_NOUNS)
)
_TOPIC_TAIL = re.compile(r"\b(?:about|regarding|concerning|over|on)\s+(?P<t>[^?!.]+)", re.I)
_WORDS = re.compile(r"[^\W\d_][\w'’-]*")


def looks_like_question(text: str) -> bool:
    """Whether a message without a mention, in a thread the bot started, is put to it: a
    question mark at the end, or a question word or a follow-up word first ("what …",
    "and about …", "more"). "thanks, that's what I needed!" is not."""
    text = text.strip()
    if text.endswith("?"):
        return True
    first = _WORDS.search(text)
    return first is not None and first.group().lower() in _OPENERS


def read_followup(line: str, conversation: Conversation, named: Sequence[str] = ()) -> FollowUp:
    """What `line` asks, read with the conversation before it. `named`: the corpus speakers
    the line names exactly (retrieval.question.read_question), canonical names."""
    last = conversation.last
    fresh = FollowUp(Kind.FRESH, line, topic_of(line, named[0] if named else None))
    if last is None:
        return replace(fresh, dangling=_dangling(line, named))
    topic_match = _NEW_TOPIC.match(line)
    if topic_match and not _starts_a_question(topic_match.group("x") or topic_match.group("y")):
        return _new_topic(topic_match.group("x") or topic_match.group("y"), last, named)
    pronoun = None if named else _PRONOUN.search(line)
    person = named[0] if named else (last.speaker if pronoun else None)
    if _OTHERS.search(line) and (last.speaker or named):
        return _others(line, last, named)
    if _MORE.search(line) or (_MORE_WORD.search(line) and not _topic_words(line, named)):
        return _more(line, last, conversation, person, named)
    if pronoun and person:
        question = _name_pronoun(line, pronoun, person)
        return FollowUp(Kind.PRONOUN, question, topic_of(question, person), person, last=last)
    return replace(fresh, dangling=_dangling(line, named))


def _dangling(line: str, named: Sequence[str]) -> bool:
    """Whether a line only makes sense after an answer: "he" with nobody named, or "else" /
    "who else" with no words of its own."""
    if _PRONOUN.search(line) and not named:
        return True
    cue = _MORE.search(line) or _OTHERS.search(line) or _MORE_WORD.search(line)
    return bool(cue) and not named and not _topic_words(line)


def _starts_a_question(text: str) -> bool:
    """ "and what did he say?" is a question of its own, not a new topic "what did he say"."""
    first = _WORDS.search(text)
    return first is not None and (
        first.group().lower() in _QUESTION_WORDS or bool(_PRONOUN.fullmatch(first.group()))
    )


def _new_topic(x: str, last: Turn, named: Sequence[str]) -> FollowUp:
    """ "and about X?": the last person on X; or X is a person, asked about the last topic."""
    x = x.strip(" ?!.,;:")
    if named and _same_words(x, named[0]):  # "what about Lindqvist?": them, same topic
        person, topic = named[0], last.topic or last.asked
        return FollowUp(Kind.TOPIC, said_about(person, topic), topic, person, last=last)
    if last.speaker:
        return FollowUp(Kind.TOPIC, said_about(last.speaker, x), x, last.speaker, last=last)
    frame = _tail(last.asked)  # "What did the minister say about ticket prices?"
    question = last.asked[: frame.start("t")] + x + "?" if frame else x
    return FollowUp(Kind.TOPIC, question, x, last=last)


def _others(line: str, last: Turn, named: Sequence[str]) -> FollowUp:
    """ "who else …?", "who else besides X?": the last topic (or the line's own), quoting
    someone not answered yet on it (the people left out last time stay left out)."""
    said = [last.speaker] if last.speaker else []
    people = tuple(dict.fromkeys([*last.other_than, *said, *named]))
    if _topic_words(line, named):  # "who else commented on the fares?"
        topic = topic_of(line, None)
        return FollowUp(
            Kind.OTHERS, said_about("people", topic), topic, other_than=people, last=last
        )
    question = _without(last.asked, people)
    return FollowUp(Kind.OTHERS, question, last.topic, other_than=people, last=last)


def _more(
    line: str, last: Turn, conversation: Conversation, person: str | None, named: Sequence[str]
) -> FollowUp:
    """ "what else did he say?", "anything else?", "tell me more about the fares":
    the passages shown so far are left out."""
    shown, own = conversation.shown, _topic_words(line, named)
    if person is None and last.speaker_only and not own:
        person = last.speaker  # "more" after "what else did he say?": still him
    if person is not None:  # their passages; on the words of the line, else the last topic
        topic = topic_of(line, person) if own else last.topic
        question = said_about(person, topic)
        return FollowUp(Kind.MORE, question, topic, person, True, shown, last=last)
    if own:  # words of its own: a new question, without repeats
        return FollowUp(Kind.MORE, line, topic_of(line, None), exclude=shown, last=last)
    return FollowUp(
        Kind.MORE, last.asked, last.topic, exclude=shown, other_than=last.other_than, last=last
    )


def _name_pronoun(line: str, pronoun: re.Match, person: str) -> str:
    """The line with its first pronoun replaced by the person's name ("his" by "X's")."""
    word = pronoun.group().lower()
    possessive = word in _POSSESSIVE or (
        word == "her" and not _AFTER_OBJECT.match(line, pronoun.end())
    )
    name = f"{person}'s" if possessive else person
    return line[: pronoun.start()] + name + line[pronoun.end() :]


def said_about(person: str, topic: str) -> str:
    """The question a follow-up about a person's words becomes."""
    return f"What did {person} say about {topic}?" if topic else f"What did {person} say?"


def _without(question: str, people: Sequence[str], by: str = "people") -> str:
    """ "What did Dana Okafor say about the bridge?" -> "What did people say about the
    bridge?": the same question about anyone (full names, then surnames written alone)."""
    for name in people:
        for written in dict.fromkeys([name, name.split()[-1]]):
            question = re.sub(rf"\b{re.escape(written)}\b", by, question, flags=re.I)
    return question


def _topic_words(text: str, named: Sequence[str] = ()) -> list[str]:
    """The words of a line that say what it is about: not its question, follow-up or
    speech words, pronouns or the people it names."""
    return [
        w
        for w in _WORDS.findall(_without(text, named, " ").lower())
        if w not in _NO_TOPIC and not _PRONOUN.fullmatch(w)
    ]


def _same_words(a: str, b: str) -> bool:
    return _WORDS.findall(a.lower()) == _WORDS.findall(b.lower()) or b.lower().endswith(
        " " + a.lower()
    )


def _tail(question: str) -> re.Match | None:
    """The question's last "about/regarding/on …" and what follows it."""
    tails = list(_TOPIC_TAIL.finditer(question))
    return tails[-1] if tails else None


def topic_of(question: str, person: str | None) -> str:
    """What a question is about: a "Who said …?" question's content, else what follows its
    last "about/regarding/on …", else the question without the person's name."""
    content = who_said_content(question)
    if content:
        return content
    tail = _tail(question)
    if tail:
        return tail.group("t").strip(" ,;:")
    if person:
        question = re.sub(re.escape(person), " ", question, flags=re.IGNORECASE)
    return " ".join(question.split()).strip(" ?!.")

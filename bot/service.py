"""What the bot and the terminal both answer with: one object over one index.

Every method here is blocking (model and index work): the Discord side calls them in its
worker threads (bot/concurrency.py `WorkerPool`), never on the event loop.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bot.conversation import Conversation, FollowUp, Turn, read_followup
from retrieval.answer import Answer, answer, speech_line
from retrieval.backend import BackendSettings
from retrieval.index import Index
from retrieval.keyword import tokenize
from retrieval.models import Hit, SpeakerInfo
from retrieval.question import read_question
from retrieval.scope import EVERYTHING, Scope
from retrieval.search import Searcher
from retrieval.speaker_match import resolve_speaker

log = logging.getLogger(__name__)

MAX_RESULTS = 25  # passages one question can ask for; Discord's "More" pages up to it

# Zero-width and bidirectional controls: invisible, and they can make two equal questions
# look different or reorder what is shown.
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x200E, 0x200F]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
)


class BadQuestion(ValueError):
    """A question that cannot be answered as given; the message says why."""


class UnknownSpeaker(BadQuestion):
    """No speaker in the corpus goes by the name given: the one message for it, everywhere."""

    def __init__(self, name: str) -> None:
        shown = " ".join(name.split())
        shown = shown if len(shown) <= 80 else shown[:79] + "…"
        super().__init__(f"no speaker called '{shown}' in the corpus")


def clean_question(text: str, max_chars: int) -> str:
    text = unicodedata.normalize("NFC", text or "").translate(_INVISIBLE)
    text = " ".join(text.split())
    if not text:
        raise BadQuestion("the question is empty")
    if len(text) > max_chars:
        raise BadQuestion(f"the question is {len(text)} characters long; the limit is {max_chars}")
    return text


@dataclass(slots=True)
class Reply:
    """A line of a conversation answered: the answer, how the line was read, and the turn
    to remember."""

    answer: Answer
    followup: FollowUp
    turn: Turn

    @property
    def note(self) -> str | None:
        """The context used, for the user to see (None: a new question)."""
        return self.followup.note()


@dataclass(slots=True)
class Stats:
    documents: int
    paragraphs: int
    vectors: int
    speakers: int
    attributions: int

    def to_json(self) -> dict:
        return {
            "documents": self.documents,
            "paragraphs": self.paragraphs,
            "vectors": self.vectors,
            "speakers": self.speakers,
            "attributions": self.attributions,
        }


class AttribotService:
    def __init__(
        self,
        index_dir: str | Path,
        model: str | None = None,
        max_question_chars: int = 500,
        backend: str | None = None,
        search: BackendSettings | None = None,
    ):
        self.index = Index(index_dir, model=model, backend=backend, search=search)
        self.searcher = Searcher(self.index)
        self.max_question_chars = max_question_chars

    def warm_up(self) -> None:
        """Load the model, vectors and keyword index before the first question, not during it
        (`Searcher.warm_up`, which also takes them out of the garbage collector's sight)."""
        self.searcher.warm_up()

    def ask(
        self,
        question: str,
        top_k: int = 5,
        speaker: SpeakerInfo | str | None = None,
        scope: Scope = EVERYTHING,
    ) -> Answer:
        """The answer line and the best passages: what `attribot ask`, `/ask`, a mention and
        the terminal all show, and what bench/qa_eval.py scores. `speaker` (a name is
        resolved here, once) keeps to where that person is quoted; `scope` to the
        collections the asker may see."""
        question = clean_question(question, self.max_question_chars)
        info = self.speaker(speaker, scope) if isinstance(speaker, str) else speaker
        self.index.refresh()
        return answer(self.searcher, question, max(1, min(top_k, MAX_RESULTS)), info, scope)

    def converse(
        self,
        line: str,
        conversation: Conversation,
        top_k: int = 5,
        scope: Scope = EVERYTHING,
    ) -> Reply:
        """A line of a conversation (a Discord thread the bot started, the terminal chat):
        a follow-up is read with the turns before it (bot.conversation) and searched within
        `scope` like any question; a new question is answered exactly as `ask` would. The
        caller keeps `Reply.turn`."""
        line = clean_question(line, self.max_question_chars)
        top_k = max(1, min(top_k, MAX_RESULTS))
        registry = self.searcher.registry(scope)
        named = [p.name for p in read_question(line, registry).people]
        follow = read_followup(line, conversation, named)
        info = None
        if follow.speaker_only and follow.person:
            info = self.find_speaker(follow.person, scope)
            if info is None:  # not quoted where this is asked (any more): a new question
                follow = read_followup(line, Conversation(), named)
        self.index.refresh()
        result = answer(
            self.searcher,
            follow.question,
            top_k,
            info,
            scope,
            widen=info is None,
            exclude=follow.exclude,
            other_than=follow.other_than,
        )
        if info is not None and len(result.hits) < top_k:
            self._rest_of(result, info, follow.exclude, top_k, scope)
        # Who "he" means next: the person the search centred on, else the one the line was
        # read about or named, else whom the answer line quotes; a person a question could
        # name.
        quoted = result.line.speaker if result.line else None
        person = result.speaker or follow.person or (named[0] if named else None) or quoted
        person = person if person and registry.ids_of(person) else None
        turn = follow.turn(line, person, [h.paragraph_id for h in result.hits])
        return Reply(result, follow, turn)

    def _rest_of(
        self, result: Answer, info: SpeakerInfo, exclude: frozenset[int], top_k: int, scope: Scope
    ) -> None:
        """ "What else did he say?": after the passages of theirs nearest the topic, the rest
        of theirs not shown yet, in corpus order (what /quotes without a topic lists)."""
        taken = exclude | {h.paragraph_id for h in result.hits}
        ids = [
            i for i in self.index.store.speaker_paragraphs(info.speaker_id, scope) if i not in taken
        ]
        result.hits += self.index.store.hits([(i, 0.0) for i in ids[: top_k - len(result.hits)]])
        if result.line is None and result.hits:
            # the keyword index's words, for either backend (as in retrieval.answer.answer)
            result.line = speech_line(result.hits, info.name, result.question, tokenize)
        result.speaker = info.name

    def speakers(
        self, name_filter: str | None = None, scope: Scope = EVERYTHING
    ) -> list[SpeakerInfo]:
        """Speakers quoted in `scope`, with the roles and quote counts found there."""
        return self.index.store.speakers(name_filter or None, scope)

    def quotes(
        self,
        speaker: SpeakerInfo | str,
        topic: str | None = None,
        top_k: int = 5,
        scope: Scope = EVERYTHING,
    ) -> list[Hit]:
        """What one speaker said (in `scope`): best match to `topic` first, else in corpus
        order."""
        info = self.speaker(speaker, scope) if isinstance(speaker, str) else speaker
        self.index.refresh()
        if topic and topic.strip():
            topic = clean_question(topic, self.max_question_chars)
            return self.searcher.search(topic, top_k, info, widen=False, scope=scope)
        ids = self.index.store.speaker_paragraphs(info.speaker_id, scope)[:top_k]
        return self.index.store.hits([(pid, 0.0) for pid in ids])

    def find_speaker(self, name: str, scope: Scope = EVERYTHING) -> SpeakerInfo | None:
        """The one speaker a typed name means: full name, unambiguous surname, small typos."""
        return resolve_speaker(name, self.speakers(scope=scope))

    def speaker(self, name: str, scope: Scope = EVERYTHING) -> SpeakerInfo:
        """`find_speaker`, or UnknownSpeaker: an unknown name never widens a search to all."""
        info = self.find_speaker(name, scope)
        if info is None:
            raise UnknownSpeaker(name)
        return info

    def source(self, paragraph_id: int, context: int = 1, scope: Scope = EVERYTHING) -> list[Hit]:
        """A passage with `context` paragraphs either side; [] when `scope` has no such id."""
        return self.index.store.neighbours(paragraph_id, context, context, scope)

    def stats(self, scope: Scope = EVERYTHING) -> Stats:
        """How big the corpus is: all of it, or what `scope` sees (its vectors: those of its
        paragraphs that the search backend holds)."""
        counts = self.index.store.counts(scope)
        mine = None if scope.everything else self.index.store.scope_paragraph_ids(scope)
        held = self.index.vector_count(mine)
        return Stats(
            documents=counts["documents"],
            paragraphs=counts["paragraphs"],
            vectors=held,
            speakers=counts["speakers"],
            attributions=counts["attributions"],
        )

    def record_feedback(
        self, user_id: int, question: str, paragraph_ids: list[int], vote: int, answer_key: str
    ) -> str:
        """One vote per user per answer: "recorded", "changed" or "unchanged"."""
        return self.index.store.record_feedback(
            str(user_id), question, paragraph_ids, vote, answer_key
        )

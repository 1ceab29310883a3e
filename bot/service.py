"""What the bot and the terminal both answer with: one object over one index.

Every method here is blocking (model and index work): the Discord side calls them in its
worker threads (bot/concurrency.py `WorkerPool`), never on the event loop.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from retrieval.answer import Answer, answer
from retrieval.backend import BackendSettings
from retrieval.index import Index
from retrieval.models import Hit, SpeakerInfo
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

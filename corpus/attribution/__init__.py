"""Speaker attribution: who said what, with character spans into the given text.

from corpus.attribution import Attributor, extract, speaker_key
"""

from __future__ import annotations

from corpus.models import Attribution

from .engine import Attributor
from .speakers import speaker_key

__all__ = ["Attributor", "extract", "speaker_key"]

_default: Attributor | None = None


def extract(text: str) -> list[Attribution]:
    """Attributions in `text`, using a lazily created module-level Attributor."""
    global _default
    if _default is None:
        _default = Attributor()
    return _default.extract(text)

"""Speaker attribution: who said what, with character spans into the given text.

from corpus.attribution import Attributor, extract, speaker_key

The engine (and spaCy under it, seconds to import) loads on first use of `Attributor` or
`extract`, so that the word lists and `speaker_key`, which the question path reads, import
in milliseconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corpus.models import Attribution

from .speakers import speaker_key

if TYPE_CHECKING:
    from .engine import Attributor

__all__ = ["Attributor", "extract", "speaker_key"]

_default: Attributor | None = None


def __getattr__(name: str):
    if name == "Attributor":
        from .engine import Attributor

        return Attributor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def extract(text: str) -> list[Attribution]:
    """Attributions in `text`, using a lazily created module-level Attributor."""
    global _default
    if _default is None:
        from .engine import Attributor

        _default = Attributor()
    return _default.extract(text)

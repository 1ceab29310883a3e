"""Collections, and the scope of a search: which collections it may see.

Every document belongs to one collection (a name). A `Scope` is the one small value passed
from the caller (a Discord server, a CLI flag) down to the store and the searcher: the FAISS
backend turns it into the allowed paragraph ids (cached per index generation), and a vector
engine with a partition key or a filter can take the names as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

DEFAULT_COLLECTION = "default"  # where documents go without --collection, and old indexes' rows
NAME_MAX = 64
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")


class BadCollection(ValueError):
    """A collection name that cannot be used; the message says why."""


def check_collection(name: str) -> str:
    """`name` if it is a usable collection name, else BadCollection: 1-64 letters, digits and
    `. _ : -`, starting with a letter or digit ("default", "wire-2024", "guild:1234")."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > NAME_MAX:
        shown = repr(name) if isinstance(name, str) and len(name) <= NAME_MAX else "that name"
        raise BadCollection(
            f"{shown} is not a collection name: use 1-{NAME_MAX} letters, digits and . _ : -, "
            "starting with a letter or digit"
        )
    return name


@dataclass(frozen=True, slots=True)
class Scope:
    """The collections a search, a speaker list or a count may see; None means all of them."""

    collections: frozenset[str] | None = None

    @classmethod
    def of(cls, names: Iterable[str]) -> Scope:
        """A scope of exactly these (checked) collection names."""
        return cls(frozenset(check_collection(n) for n in names))

    @property
    def everything(self) -> bool:
        return self.collections is None

    @property
    def names(self) -> list[str]:
        """The collections in a stable order (for SQL arguments, JSON and logs)."""
        return sorted(self.collections or ())

    def sees(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections


EVERYTHING = Scope()


def members(ids: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Boolean mask: which of `ids` are in `allowed` (ascending). A binary search per id,
    so a few hundred candidates cost microseconds against a million allowed ids."""
    ids = np.asarray(ids, dtype=np.int64)
    if len(allowed) == 0 or len(ids) == 0:
        return np.zeros(len(ids), dtype=bool)
    at = np.searchsorted(allowed, ids)
    at[at >= len(allowed)] = 0
    return allowed[at] == ids


def within(ids: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    """`ids` kept to `allowed` (ascending; None allows everything), their order kept."""
    ids = np.asarray(ids, dtype=np.int64)
    return ids if allowed is None else ids[members(ids, allowed)]

"""The scope value and its helpers: collection names, id membership, the per-scope cache."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.scope import BadCollection, Scope, check_collection, members, within
from retrieval.search import PerScope


@pytest.mark.parametrize("name", ["default", "guild:123456789012345678", "wire-2024", "a.b_c"])
def test_usable_collection_names_pass(name):
    assert check_collection(name) == name


@pytest.mark.parametrize("name", ["", " x", "x ", "a b", "-x", ":x", "a/b", "é", "x" * 65])
def test_unusable_collection_names_are_one_clear_error(name):
    with pytest.raises(BadCollection, match="not a collection name: use 1-64 letters"):
        check_collection(name)


def test_a_scope_is_a_set_of_names_hashable_and_stable():
    a, b = Scope.of(["guild:1", "default"]), Scope.of(["default", "guild:1", "default"])
    assert a == b and hash(a) == hash(b) and a.names == ["default", "guild:1"]
    assert a.sees("default") and not a.sees("guild:2")
    assert Scope().sees("anything") and Scope().everything
    with pytest.raises(BadCollection):
        Scope.of(["ok", "not ok"])


def test_members_and_within_keep_only_allowed_ids_in_their_order():
    allowed = np.array([2, 5, 9, 40], dtype=np.int64)
    ids = np.array([40, 1, 5, 41, 2, 9, 0], dtype=np.int64)
    assert members(ids, allowed).tolist() == [True, False, True, False, True, True, False]
    assert within(ids, allowed).tolist() == [40, 5, 2, 9]
    assert within(ids, None).tolist() == ids.tolist()
    assert within(ids, np.zeros(0, np.int64)).tolist() == []


def test_the_per_scope_cache_builds_once_per_generation_and_forgets_the_oldest():
    built: list[Scope] = []

    def build(scope: Scope) -> list[str]:
        built.append(scope)
        return scope.names

    cache = PerScope(build, size=2)
    one, two, three = (Scope.of([f"guild:{n}"]) for n in (1, 2, 3))
    assert cache.get(5, one) == ["guild:1"] and cache.get(5, one) == ["guild:1"]
    cache.get(5, two)
    cache.get(5, one)  # used last: two is now the oldest
    cache.get(5, three)  # evicts two
    cache.get(5, one)
    cache.get(5, two)
    assert built == [one, two, three, two]
    cache.get(6, one)  # a new generation: everything is built again
    assert built[-1] == one and len(built) == 5

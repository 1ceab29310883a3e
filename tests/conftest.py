"""Shared fixtures: one real index (real model, FAISS, SQLite) over the bundled sample corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CORPUS = ROOT / "corpus" / "sample_corpus"
SHARED = ROOT.parent / "shared" / "data"
SHARED_SAMPLE = SHARED / "sample"


def shared_path(*parts: str) -> Path:
    """A path in ../shared/data, or skip the test where it does not exist (users' machines)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (shared development data)")
    return path


@pytest.fixture(scope="session")
def sample_corpus() -> Path:
    return SAMPLE_CORPUS


@pytest.fixture(scope="session")
def built_index(tmp_path_factory) -> Path:
    """An index folder with the bundled sample corpus ingested. Treat it as read-only:
    tests that change an index copy it first (see `index_copy`)."""
    from retrieval.index import Index
    from retrieval.ingest import ingest_paths

    folder = tmp_path_factory.mktemp("index") / "sample"
    index = Index(folder)
    summary = ingest_paths(index, [SAMPLE_CORPUS])
    assert not summary.skipped, summary.skipped
    index.close()
    return folder


@pytest.fixture()
def index_copy(built_index, tmp_path) -> Path:
    """A private, writable copy of the sample index."""
    target = tmp_path / "index"
    shutil.copytree(built_index, target)
    return target


@pytest.fixture(scope="session")
def service(built_index):
    from bot.service import AttribotService

    svc = AttribotService(built_index)
    svc.warm_up()
    yield svc
    svc.index.close()

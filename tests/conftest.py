"""Shared fixtures and helpers: one real index (real model, FAISS, SQLite) over the bundled
sample corpus, a bot over it with only Discord's network faked, and the `needs_model` marker.

Tests that load the embedding model or spaCy are marked `needs_model`: whole modules listed
in MODEL_MODULES and tests using the index fixtures below automatically, the others by hand.
`make test-fast` runs the rest (`-m "not needs_model"`) in seconds; there the listed modules
are not even imported, and an import of torch, sentence-transformers or spaCy fails the test,
so a missing mark cannot go unnoticed.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CORPUS = ROOT / "corpus" / "sample_corpus"
SHARED = ROOT.parent / "shared" / "data"
SHARED_SAMPLE = SHARED / "sample"


# Fixtures that build or open the sample index (so load the model and spaCy): a test using any
# of them, directly or through another fixture, is marked needs_model.
MODEL_FIXTURES = frozenset(
    {"built_index", "index_copy", "service", "built_milvus_index", "sample_index_copy"}
)
# Test modules (name prefixes) whose every test embeds or parses: attribution runs spaCy, the
# others build an index or time the model.
MODEL_MODULES = (
    "test_attribution",
    "test_embedder_backends",
    "test_ingest",
    "test_load",
    "test_qa_eval",
    "test_retrieval_eval",
    "test_retrieval_perf_paths",
    "test_retrieval_search",
    "test_write_lock",
)
HEAVY_MODULES = ("torch", "sentence_transformers", "transformers", "spacy", "onnxruntime")
QUESTION = "What did the minister say about ticket prices?"

# The search backends the shared tests run on (retrieval/backend.py): `make test` installs the
# dev extra, which has Milvus Lite; elsewhere the Milvus half skips, saying why.
HAVE_MILVUS = all(importlib.util.find_spec(m) for m in ("pymilvus", "milvus_lite"))
BACKENDS = [
    "faiss",
    pytest.param(
        "milvus",
        marks=pytest.mark.skipif(
            not HAVE_MILVUS,
            reason="pymilvus and milvus-lite are not installed (pip install 'attribot[milvus]')",
        ),
    ),
]


class _NoHeavyImports(importlib.abc.MetaPathFinder):
    """Refuses the model libraries, naming the marker a test that needs them lacks."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in HEAVY_MODULES:
            raise ImportError(
                f"{fullname} imported by a test not marked needs_model "
                "(add @pytest.mark.needs_model, or pytestmark for the module)"
            )
        return None


def _fast(config: pytest.Config) -> bool:
    return "not needs_model" in (config.option.markexpr or "")


def _model_module(path: Path) -> bool:
    return path.name.startswith(MODEL_MODULES)


def pytest_configure(config: pytest.Config) -> None:
    if _fast(config):
        sys.meta_path.insert(0, _NoHeavyImports())


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if _fast(config) and collection_path.suffix == ".py" and _model_module(collection_path):
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _model_module(item.path) or MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.needs_model)


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


def search_settings(backend: str):
    """The settings that make a new index use `backend` ("faiss" or "milvus": Milvus Lite in
    the index folder)."""
    from retrieval.backend import BackendSettings

    return BackendSettings(kind=backend)


def backend_env(backend: str) -> dict[str, str]:
    """The environment that makes `attribot` build a new index with `backend`."""
    return {"ATTRIBOT_VECTOR_BACKEND": backend}


@pytest.fixture(scope="session")
def built_milvus_index(tmp_path_factory) -> Path:
    """`built_index`, searched with Milvus Lite (read-only too: see `sample_index_copy`)."""
    if not HAVE_MILVUS:
        pytest.skip("pymilvus and milvus-lite are not installed")
    from retrieval.index import Index
    from retrieval.ingest import ingest_paths

    folder = tmp_path_factory.mktemp("index-milvus") / "sample"
    index = Index(folder, search=search_settings("milvus"))
    summary = ingest_paths(index, [SAMPLE_CORPUS])
    assert not summary.skipped, summary.skipped
    index.close()
    return folder


@pytest.fixture(params=BACKENDS)
def sample_index_copy(request, tmp_path) -> Path:
    """A private, writable copy of the sample index, once per search backend."""
    source = request.getfixturevalue(
        "built_index" if request.param == "faiss" else "built_milvus_index"
    )
    target = tmp_path / "index"
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="session")
def service(built_index):
    from bot.service import AttribotService

    svc = AttribotService(built_index)
    svc.warm_up()
    yield svc
    svc.index.close()


@pytest.fixture()
def writable_service(index_copy):
    """A service over a private copy of the sample index, for tests that change it."""
    from bot.service import AttribotService

    svc = AttribotService(index_copy)
    yield svc
    svc.index.close()


# -- the bot over an index, with only Discord's network faked (tests/discord_helpers.py) ------
def bot_settings(index: Path, **overrides):
    """Settings for a test bot: no cooldown, two workers, mention answers in threads."""
    from bot.settings import Settings

    values = {"index": index, "cooldown_seconds": 0, "workers": 2, "mention_reply": "thread"}
    values.update(overrides)
    return Settings(_env_file=None, **values)


async def start_bot(service, tmp_path: Path, **overrides):
    """A started bot over `service`, its answer log in `tmp_path`; close it with
    `await h.bot.close()`."""
    from bot.app import create_bot
    from tests.discord_helpers import Harness

    bot = create_bot(
        bot_settings(service.index.folder, **overrides),
        service,
        answers_path=tmp_path / "answers.sqlite3",
    )
    return await Harness(bot).start()


def final(calls):
    """The last message-carrying call, checked against Discord's limits and pings."""
    from tests.discord_helpers import assert_pings_nobody, assert_within_discord_limits

    assert_pings_nobody(calls)
    sent = [c for c in calls if c.carries_message()]
    for call in sent:
        assert_within_discord_limits(call)
    return sent[-1]

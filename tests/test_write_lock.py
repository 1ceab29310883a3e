"""A repair and an ingest never write one index folder at once; a killed writer frees it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from retrieval.check import check_index, repair_index
from retrieval.errors import IndexProblem
from retrieval.index import Index
from retrieval.ingest import ingest_paths
from retrieval.vectors import VECTORS_FILE
from retrieval.writelock import LOCK_FILE, writing

ROOT = Path(__file__).resolve().parents[1]


def needs_repair(folder: Path) -> None:
    (folder / VECTORS_FILE).unlink()
    assert check_index(folder).repairable


def test_repair_refuses_while_an_ingest_writes(index_copy):
    needs_repair(index_copy)
    with writing(index_copy, exclusive=False):  # what a running ingest holds
        with pytest.raises(IndexProblem, match="an ingest is writing"):
            repair_index(index_copy)
        result = CliRunner().invoke(cli, ["check", "--repair", "--index", str(index_copy)])
        assert result.exit_code != 0 and "Traceback" not in result.output
        assert "an ingest is writing" in result.output
        assert (index_copy / VECTORS_FILE).exists() is False  # nothing was touched
    assert repair_index(index_copy).ok


def test_ingest_refuses_while_a_repair_runs_and_ingests_share(index_copy, sample_corpus):
    index = Index(index_copy)
    try:
        with writing(index_copy, exclusive=True):  # what a running repair holds
            with pytest.raises(IndexProblem, match="check --repair` is running"):
                ingest_paths(index, [sample_corpus])
            result = CliRunner().invoke(
                cli, ["ingest", str(sample_corpus), "--index", str(index_copy)]
            )
            assert result.exit_code != 0 and "check --repair` is running" in result.output
        with writing(index_copy, exclusive=False):  # another ingest: both may run
            summary = ingest_paths(index, [sample_corpus])
        assert summary.documents_unchanged == 7 and summary.paragraphs_embedded == 0
    finally:
        index.close()


def test_a_killed_ingest_leaves_the_folder_unlocked(index_copy):
    needs_repair(index_copy)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; sys.path.insert(0, sys.argv[1]);"
            "from retrieval.writelock import writing\n"
            "with writing(sys.argv[2], exclusive=False):\n"
            "    print('locked', flush=True); time.sleep(60)",
            str(ROOT),
            str(index_copy),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexProblem):
            repair_index(index_copy)
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.05)
    assert repair_index(index_copy).ok
    assert (index_copy / LOCK_FILE).exists()  # the file stays; only the lock went

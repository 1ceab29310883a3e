"""Who may write an index folder at the same time.

Any number of ingests may (they reconcile through SQLite: see Index.save_vectors), but a
repair rebuilds the vector file from the database and must run alone, or an ingest's save
at its end would publish a snapshot of another generation. An advisory lock file in the
folder says which: ingests hold it shared, a repair exclusively. The kernel releases it
when a process dies, so a killed ingest never leaves the folder locked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from retrieval.errors import IndexBusy

log = logging.getLogger(__name__)

LOCK_FILE = "attribot.lock"


@contextmanager
def writing(folder: str | Path, exclusive: bool) -> Iterator[None]:
    """Hold the folder's write lock (shared for ingest, exclusive for repair) or raise
    IndexBusy at once, saying who holds it."""
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform: behave as before
        yield
        return
    path = Path(folder) / LOCK_FILE
    try:
        handle = open(path, "a+b")  # noqa: SIM115  (closed in finally; closing unlocks)
    except OSError as exc:
        # a read-only folder: nothing can write it anyway, and the write will say why
        log.debug("no write lock on %s: %s", folder, exc)
        yield
        return
    try:
        try:
            fcntl.flock(handle, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            if exclusive:
                raise IndexBusy(
                    f"an ingest is writing to {folder}: run `attribot check --repair` again "
                    "when it has finished"
                ) from None
            raise IndexBusy(
                f"`attribot check --repair` is running on {folder}: ingest again when it has "
                "finished"
            ) from None
        yield
    finally:
        handle.close()

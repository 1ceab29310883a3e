"""Server managers only: /ingest an uploaded file (into the server's own collection, which
no other server reads), /reindex the vector file.

Both are hidden from members by `default_permissions(manage_guild=True)`, and both check
the permission again on the server side: a server can re-grant a command to anyone in its
integration settings, so what Discord shows is not a guarantee.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import manager_only, require_manager
from bot.embeds import plain
from bot.render import plural
from bot.replies import NONE, UserFacingError, defer, deliver
from bot.scopes import guild_collection
from corpus.loaders import JSONL_EXTENSIONS, SUPPORTED_EXTENSIONS, load_paths
from retrieval.errors import IndexBusy
from retrieval.index import Index
from retrieval.ingest import IngestSummary, ingest_documents

if TYPE_CHECKING:
    from bot.app import AttribotBot

log = logging.getLogger(__name__)

UPLOAD_EXTENSIONS = frozenset({".txt", ".md", ".html", ".htm", ".jsonl", ".srt", ".vtt"})
FILENAME_MAX = 100
PROGRESS_EVERY_SECONDS = 1.5  # Discord rate-limits message edits; one every 1.5 s is plenty
UPLOAD_DOC_PREFIX = "discord-upload/"


def safe_filename(name: str, default_stem: str = "upload") -> str:
    """A plain file name from an uploaded one: no folders, no "..", no hidden files, no
    control or shell characters. "../../etc/passwd" becomes "passwd", "a/b.txt" "b.txt"."""
    name = unicodedata.normalize("NFKC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # the last path part, whatever the OS
    name = re.sub(r"[^A-Za-z0-9._ -]+", "_", name)
    name = re.sub(r"[_ ]{2,}", "_", name).strip(" ._-")  # no leading dot: no ".." or ".env"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ext[:10]
    stem = stem[: FILENAME_MAX - len(ext) - 1].strip(" ._-") or default_stem
    return f"{stem}.{ext}" if ext else stem


def save_path(folder: Path, filename: str) -> Path:
    """Where an upload goes: always directly inside `folder`, whatever the name says."""
    folder = folder.resolve()
    target = (folder / safe_filename(filename)).resolve()
    if target.parent != folder:  # cannot happen after safe_filename; refuse rather than trust
        raise UserFacingError("That file name is not allowed.")
    return target


def upload_id(guild_id: int, name: str) -> str:
    """The stable document id of a server's upload ("discord-upload/<server id>/NAME"): the
    same file uploaded again in that server updates its document, and the temp folder's path
    never shows in answers."""
    return f"{UPLOAD_DOC_PREFIX}{guild_id}/{name}"


def ingest_upload(
    index: Index, path: Path, display_name: str, max_bytes: int, on_progress, guild_id: int
) -> IngestSummary:
    """Ingest one file uploaded in a server into that server's own collection, under
    `upload_id`: another server's file of the same name is another document, in another
    collection, and neither can replace or see the other."""
    report = load_paths([path], max_bytes)
    stable = upload_id(guild_id, display_name)
    for doc in report.documents:
        if path.suffix.lower() not in JSONL_EXTENSIONS:  # JSONL lines bring their own ids
            doc.doc_id = stable
        doc.path = stable
    try:
        summary = ingest_documents(
            index, report.documents, on_progress=on_progress, collection=guild_collection(guild_id)
        )
    except IndexBusy:
        # the lock's own message names a server path: not for Discord
        raise UserFacingError(
            "The index is being repaired right now (`attribot check --repair`): upload "
            f"“{display_name}” again when that has finished."
        ) from None
    summary.skipped[:0] = [
        (where.replace(str(path), display_name), why) for where, why in report.skipped
    ]
    return summary


def summary_text(name: str, summary: IngestSummary, seconds: float) -> str:
    lines = [
        f"**{discord.utils.escape_markdown(name)}** ingested in {seconds:.1f}s:",
        f"• documents: {summary.documents_added} added, {summary.documents_updated} updated, "
        f"{summary.documents_unchanged} unchanged",
        f"• paragraphs: {summary.paragraphs_added} added, {summary.paragraphs_removed} removed",
    ]
    for where, why in summary.skipped[:5]:
        lines.append(f"• skipped {discord.utils.escape_markdown(where)}: {why}")
    if len(summary.skipped) > 5:
        lines.append(f"• … and {len(summary.skipped) - 5} more skipped")
    return plain("\n".join(lines))


class AdminCog(commands.Cog, name="Admin"):
    def __init__(self, bot: AttribotBot):
        self.bot = bot

    @app_commands.command(
        name="ingest", description="Add an article file to this server's corpus (server managers)"
    )
    @app_commands.describe(file="A .txt, .md, .html, .jsonl, .srt or .vtt file")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @manager_only()
    async def ingest(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        require_manager(interaction)  # again, in the callback: never trust the client side
        name = safe_filename(file.filename)
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_EXTENSIONS or suffix not in SUPPORTED_EXTENSIONS:
            raise UserFacingError(
                f"I can't read “{name}”: upload one of "
                + ", ".join(sorted(UPLOAD_EXTENSIONS))
                + "."
            )
        limit = self.bot.settings.max_file_bytes
        # The declared size is checked before anything is downloaded.
        if file.size > limit:
            raise UserFacingError(
                f"“{name}” is {file.size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.1f} MB."
            )
        await defer(interaction, ephemeral=True)
        started = time.perf_counter()
        folder = Path(tempfile.mkdtemp(prefix="attribot-upload-"))  # mode 0700: private
        try:
            target = save_path(folder, name)
            await interaction.edit_original_response(
                content=f"Downloading {name}…", allowed_mentions=NONE
            )
            data = await file.read()
            if len(data) > limit:  # the declared size was wrong: do not trust it either
                raise UserFacingError(
                    f"“{name}” is larger than the {limit / 1_048_576:.1f} MB limit."
                )
            await self.bot.run_io(target.write_bytes, data)
            service = await self.bot.get_service()
            progress = ProgressReporter(interaction, name, asyncio.get_running_loop())
            guild_id = interaction.guild_id
            if guild_id is None:  # guild_only, and require_manager checked: never here
                raise app_commands.NoPrivateMessage()
            summary = await self.bot.run_exclusive(
                ingest_upload, service.index, target, name, limit, progress.report, guild_id
            )
            await progress.drain()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.bot.forget_speakers()
        log.info(
            "ingest user=%s guild=%s file=%s summary=%s",
            interaction.user.id,
            interaction.guild_id,
            name,
            summary.to_json(),
        )
        await interaction.edit_original_response(
            content=summary_text(name, summary, time.perf_counter() - started),
            allowed_mentions=NONE,
        )

    @app_commands.command(
        name="reindex", description="Rebuild the vector index from the database (server managers)"
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @manager_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        require_manager(interaction)
        await defer(interaction, ephemeral=True)
        started = time.perf_counter()
        service = await self.bot.get_service()
        vectors = await self.bot.run_exclusive(service.index.rebuild_vectors)
        self.bot.forget_speakers()
        seconds = time.perf_counter() - started
        log.info(
            "reindex user=%s vectors=%d seconds=%.1f", interaction.user.id, vectors.ntotal, seconds
        )
        # the index is shared: say how many passages this server sees, not how many there are
        scope = self.bot.scope_for(interaction.guild_id)
        seen = (await self.bot.run_blocking(service.stats, scope)).vectors
        await interaction.edit_original_response(
            content=f"Vector index rebuilt from the database in {seconds:.1f}s: this server "
            f"searches {plural(seen, 'passage')}.",
            allowed_mentions=NONE,
        )


class ProgressReporter:
    """Edits the deferred reply as ingest advances. `report` is called from the worker
    thread; edits are scheduled on the event loop, at most one per PROGRESS_EVERY_SECONDS."""

    def __init__(
        self, interaction: discord.Interaction, name: str, loop: asyncio.AbstractEventLoop
    ):
        self.interaction = interaction
        self.name = name
        self.loop = loop
        self._last = 0.0
        self._pending: list = []

    def report(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < PROGRESS_EVERY_SECONDS:
            return
        self._last = now
        text = f"Ingesting {self.name}: {done}/{plural(total, 'document')}…"
        future = asyncio.run_coroutine_threadsafe(self._edit(text), self.loop)
        self._pending.append(future)

    async def _edit(self, text: str) -> None:
        # Progress is a courtesy: an edit that cannot be delivered (rate limit, a shutdown's
        # closed session) is logged and never fails the ingest.
        edit = self.interaction.edit_original_response(content=text, allowed_mentions=NONE)
        await deliver(edit, "a progress edit")

    async def drain(self) -> None:
        """Wait for scheduled edits, so the final summary is the last edit."""
        for future in self._pending:
            await asyncio.wrap_future(future)

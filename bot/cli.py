"""The `attribot` command line: ingest, ask, attribute, stats, run, and tools around them.

The `--json` shapes are a contract that users' scripts rely on: fields may be added, never
renamed or removed.

Each command imports what it needs inside itself, so `attribot --help` or `attribot commands`
never loads FAISS, the index or the model libraries. None of those imports hides a cycle:
tests/test_import_graph.py reads them as if they were at the top.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import click
from pydantic import ValidationError

from bot.logs import setup_logging
from bot.settings import Settings

log = logging.getLogger("attribot")

SAMPLE_CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "sample_corpus"


class Failure(click.ClickException):
    """A one-line error for the terminal (exit code 1)."""

    def show(self, file=None) -> None:
        click.echo(f"error: {self.message}", err=True)


def friendly_errors(func: Callable) -> Callable:
    """Turn every expected problem into a one-line message; never print a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from bot.service import BadQuestion
        from corpus.errors import CorpusError
        from retrieval.errors import IndexProblem, ModelError
        from retrieval.scope import BadCollection

        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (CorpusError, IndexProblem, ModelError, BadQuestion, BadCollection) as exc:
            raise Failure(str(exc)) from None
        except KeyboardInterrupt:
            raise Failure("interrupted") from None
        except BrokenPipeError:
            sys.exit(0)  # `attribot ask ... | head` is fine
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            raise Failure(f"{where}{exc.strerror or exc}") from None
        except Exception as exc:
            log.debug("unexpected error", exc_info=True)
            raise Failure(
                f"unexpected {type(exc).__name__}: {exc} "
                "(run with ATTRIBOT_LOG_LEVEL=DEBUG for details)"
            ) from None

    return wrapper


def load_settings(**overrides) -> Settings:
    """The settings from the environment or `.env`, with a command's options on top.

    Read once per command: the group reads them (for logging) and keeps them in click's
    context, and each command takes a copy from there.
    """
    ctx = click.get_current_context(silent=True)
    settings = ctx.find_object(Settings) if ctx is not None else None
    if settings is None:
        settings = _read_settings()
        if ctx is not None:
            ctx.obj = settings
    changes = {key: value for key, value in overrides.items() if value is not None}
    return settings.model_copy(update=changes)


def _read_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'setting'}: {e['msg']}" for e in exc.errors()
        )
        raise Failure(f"bad setting in the environment or .env: {problems}") from None


def _service(settings: Settings, must_exist: bool = True):
    from bot.service import AttribotService
    from retrieval.errors import IndexProblem
    from retrieval.store import DB_FILE

    if must_exist and not (Path(settings.index) / DB_FILE).exists():
        raise IndexProblem(
            f"no index at {settings.index}: run `attribot ingest PATH --index {settings.index}`"
        )
    service = AttribotService(
        settings.index,
        model=settings.model,
        max_question_chars=settings.max_question_chars,
        backend=settings.embed_backend,
        search=settings.search,
    )
    ctx = click.get_current_context(silent=True)
    if ctx is not None:  # a Milvus Lite index is released for other processes at once
        ctx.call_on_close(service.index.close)
    return service


index_option = click.option(
    "--index",
    "index",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Index folder (default: $ATTRIBOT_INDEX or data/index).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def collections_option(help: str):
    """--collection NAME, repeatable: the collections a reading command keeps to."""
    return click.option("--collection", "collections", multiple=True, metavar="NAME", help=help)


def _scope(service, names: tuple[str, ...]):
    """The scope of a reading command: every collection without --collection, else the
    named ones, each of which must exist (a typo is an error, not an empty answer)."""
    from retrieval.scope import EVERYTHING, Scope

    if not names:
        return EVERYTHING
    scope = Scope.of(names)
    known = [name for name, _, _ in service.index.store.collections()]
    unknown = [name for name in scope.names if name not in known]
    if unknown:
        raise Failure(
            f"no collection called '{unknown[0]}' in {service.index.folder} "
            f"(it has: {', '.join(known) or 'none'}; see `attribot collections`)"
        )
    return scope


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="attribot")
def cli() -> None:
    """Attribot: answers questions about news with passages and who said what in them."""
    settings = load_settings()
    setup_logging(settings.log_level, secrets=settings.secrets)


# -- ingest -----------------------------------------------------------------------------------
@cli.command()
@click.argument("paths", nargs=-1, required=True)
@index_option
@json_option
@click.option("--max-file-mb", type=float, default=None, help="Skip files larger than this.")
@click.option(
    "--collection",
    default=None,
    metavar="NAME",
    help="Put the documents in this collection (default: 'default'). Discord servers read "
    "the collections in ATTRIBOT_SHARED_COLLECTIONS besides their own.",
)
@friendly_errors
def ingest(
    paths: tuple[str, ...],
    index: Path | None,
    as_json: bool,
    max_file_mb: float | None,
    collection: str | None,
):
    """Add files or folders (recursive) to the index: .txt .md .html .jsonl .srt .vtt."""
    from retrieval.ingest import ingest_paths
    from retrieval.scope import DEFAULT_COLLECTION, check_collection

    if collection is not None:
        check_collection(collection)  # before the model or the index is opened
    settings = load_settings(index=index, max_file_mb=max_file_mb)
    service = _service(settings, must_exist=False)
    summary = ingest_paths(
        service.index,
        paths,
        max_bytes=settings.max_file_bytes,
        progress=not as_json,
        collection=collection or DEFAULT_COLLECTION,
    )
    if as_json:
        record = summary.to_json()
        if collection is not None:
            record["collection"] = collection
        click.echo(json.dumps(record))
    else:
        from bot.render import plural

        click.echo(
            f"{plural(summary.documents_added, 'document')} added, "
            f"{summary.documents_updated} updated, {summary.documents_unchanged} unchanged; "
            f"{plural(summary.paragraphs_added, 'paragraph')} added, "
            f"{summary.paragraphs_removed} removed, {summary.paragraphs_embedded} embedded."
        )
        if summary.ignored:
            click.echo(f"{plural(len(summary.ignored), 'file')} of no supported type ignored.")
        for where, why in summary.skipped:
            click.echo(f"skipped {where}: {why}", err=True)
    if summary.failed:
        sys.exit(1)


# -- ask --------------------------------------------------------------------------------------
def read_batch(path: Path) -> list[tuple[object, str]]:
    """Questions from a file: one a line, or JSONL objects with `id` and `text`."""
    from corpus.loaders import read_text

    questions: list[tuple[object, str]] = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise Failure(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise Failure(f"{path}:{number}: a JSON line needs a string 'text'")
            questions.append((record.get("id", number), record["text"]))
        else:
            questions.append((number, line.strip()))
    return questions


@cli.command()
@click.argument("question", required=False)
@index_option
@click.option("--top-k", "top_k", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option(
    "--batch",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="File of questions: one a line, or JSONL with id and text.",
)
@click.option("--speaker", default=None, help="Only what this speaker said.")
@collections_option("Only passages of this collection (repeat for several; default: all).")
@json_option
@friendly_errors
def ask(question, index, top_k, batch, speaker, collections, as_json):
    """Answer a question (or a --batch of them) with the best passages and their speakers."""
    from bot.render import render_answer
    from bot.service import BadQuestion

    if (question is None) == (batch is None):
        raise click.UsageError("give either a QUESTION or --batch FILE")
    questions = read_batch(batch) if batch else [(1, question)]
    settings = load_settings(index=index)
    service = _service(settings)
    scope = _scope(service, collections)
    failed = False
    for qid, text in questions:
        try:
            answer = service.ask(text, top_k=top_k, speaker=speaker, scope=scope)
        except BadQuestion as exc:
            if not batch:
                raise
            click.echo(f"error: question {qid}: {exc}", err=True)
            failed = True
            answer = None
        if as_json:
            record = {
                "id": qid,
                "question": text,
                "hits": [_hit_json(h, collections) for h in answer.hits] if answer else [],
                "answer": answer.line.to_json() if answer and answer.line else None,
            }
            if collections:
                record["collections"] = scope.names
            if answer is None:
                record["error"] = "bad question"
            elif answer.widened:
                record["widened"] = True
            click.echo(json.dumps(record, ensure_ascii=False))
        elif answer is not None:
            if batch:
                click.echo(f"## {text}")
            click.echo(render_answer(answer))
            if batch:
                click.echo()
    if failed:
        sys.exit(1)


def _hit_json(hit, collections: tuple[str, ...]) -> dict:
    """A hit's JSON; with --collection, it also says which collection it is from."""
    record = hit.to_json()
    if collections:
        record["collection"] = hit.collection
    return record


# -- attribute ---------------------------------------------------------------------------------
@cli.command()
@click.argument("paths", nargs=-1, required=True)
@json_option
@click.option(
    "--collection",
    default=None,
    metavar="NAME",
    help="Tag each JSON line with this collection (nothing is indexed or read from one).",
)
@friendly_errors
def attribute(paths: tuple[str, ...], as_json: bool, collection: str | None):
    """Who said what in files, without indexing them.

    Spans are character offsets into the file's text exactly as read; for HTML and subtitle
    files, into the extracted text, which the JSON then also carries as `text`. With
    --collection, each JSON line also carries `collection`, the one `ingest --collection`
    would put the document in: attribution itself never reads or writes an index.
    """
    from corpus.loaders import load_paths
    from corpus.pipeline import attribute_documents
    from retrieval.scope import check_collection

    if collection is not None:
        check_collection(collection)
    report = load_paths(list(paths))
    results = attribute_documents(report.documents)
    for (doc, attrs), original in zip(results, report.documents, strict=True):
        if as_json:
            record = {"path": doc.path, "attributions": [a.to_json() for a in attrs]}
            if doc.doc_id != str(Path(doc.path).resolve()):
                record["doc_id"] = doc.doc_id
            if doc.text != original.text or doc.path.lower().endswith((".html", ".htm")):
                record["text"] = doc.text
            if collection is not None:
                record["collection"] = collection
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            click.echo(
                f"# {doc.path}"
                + (f" ({doc.doc_id})" if doc.doc_id != str(Path(doc.path).resolve()) else "")
            )
            if not attrs:
                click.echo("  no attributions found")
            for a in attrs:
                who = a.speaker or "unknown"
                role = f", {a.role}" if a.role else ""
                click.echo(f"  [{a.kind}] {who}{role} ({a.cue or '-'}): “{a.quote}”")
    for where, why in report.skipped:
        click.echo(f"skipped {where}: {why}", err=True)
    if report.skipped:
        sys.exit(1)


# -- stats ------------------------------------------------------------------------------------
@cli.command()
@index_option
@collections_option("Count only this collection (repeat for several; default: all).")
@json_option
@friendly_errors
def stats(index: Path | None, collections: tuple[str, ...], as_json: bool):
    """Documents, paragraphs, vectors and speakers in the index (or in some collections)."""
    settings = load_settings(index=index)
    service = _service(settings)
    scope = _scope(service, collections)
    record: dict = service.stats(scope).to_json()
    if collections:
        record["collections"] = scope.names
    if as_json:
        click.echo(json.dumps(record))
    else:
        for key, value in record.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            click.echo(f"{key:>12}: {shown}")


@cli.command()
@index_option
@json_option
@friendly_errors
def collections(index: Path | None, as_json: bool):
    """The collections in the index, with their documents and paragraphs."""
    settings = load_settings(index=index)
    rows = _service(settings).index.store.collections()
    if as_json:
        listed = [{"collection": c, "documents": d, "paragraphs": p} for c, d, p in rows]
        click.echo(json.dumps(listed, ensure_ascii=False))
        return
    if not rows:
        click.echo("No documents yet.")
    for name, documents, paragraphs in rows:
        click.echo(f"{name}: {documents} documents, {paragraphs} paragraphs")


# -- check ------------------------------------------------------------------------------------
@cli.command()
@index_option
@click.option("--repair", is_flag=True, help="Rebuild what is derived from the database.")
@json_option
@friendly_errors
def check(index: Path | None, repair: bool, as_json: bool):
    """Verify the index (database, vectors, embeddings); --repair fixes what it can.

    Exit code 0 when the index is healthy (after repairing, with --repair), 1 otherwise.
    """
    from retrieval.check import check_index, repair_index

    settings = load_settings(index=index)
    report = (
        repair_index(settings.index, settings.search)
        if repair
        else check_index(settings.index, settings.search)
    )
    if as_json:
        click.echo(json.dumps(report.to_json()))
    else:
        for line in report.repaired:
            click.echo(f"repaired: {line}")
        c = report.counts
        if report.ok:
            from bot.render import plural

            click.echo(
                f"{settings.index}: healthy ({plural(c.get('documents') or 0, 'document')}, "
                f"{plural(c.get('paragraphs') or 0, 'paragraph')}, "
                f"{plural(c.get('vectors') or 0, 'vector')}, generation {c.get('generation', 0)})"
            )
        for p in report.problems:
            click.echo(f"problem: {p.message}", err=True)
        if not report.ok:
            click.echo(f"fix: {report.advice()}", err=True)
    if not report.ok:
        sys.exit(1)


# -- run --------------------------------------------------------------------------------------
@cli.command()
@index_option
@click.option(
    "--bootstrap-sample",
    is_flag=True,
    help="Ingest the bundled sample corpus first when the index is empty.",
)
@friendly_errors
def run(index: Path | None, bootstrap_sample: bool):
    """Run the Discord bot, or without DISCORD_TOKEN a terminal chat over the same index."""
    from bot.terminal import chat

    settings = load_settings(index=index)
    service = _service(settings, must_exist=False)
    if bootstrap_sample and service.stats().documents == 0:
        from retrieval.ingest import ingest_paths

        click.echo(
            f"Empty index: ingesting the bundled sample corpus from {SAMPLE_CORPUS}", err=True
        )
        ingest_paths(service.index, [SAMPLE_CORPUS], progress=True)
    if settings.token:
        from bot.app import run_bot

        run_bot(settings, service)
    else:
        click.echo("No DISCORD_TOKEN set: answering in the terminal instead.", err=True)
        chat(service, sys.stdin, sys.stdout, interactive=sys.stdin.isatty())


# -- Discord tools ----------------------------------------------------------------------------
@cli.command()
@click.option(
    "--guild",
    "guild_id",
    type=int,
    default=None,
    help="Sync to one test server (instant) instead of globally (up to an hour).",
)
@friendly_errors
def sync(guild_id: int | None):
    """Register the slash commands with Discord (explicitly, not on every start)."""
    import asyncio

    from bot.app import sync_commands_with_token

    settings = load_settings()
    if not settings.token:
        raise Failure("DISCORD_TOKEN is not set (in the environment or .env)")
    names = asyncio.run(sync_commands_with_token(settings, guild_id or settings.discord_guild_id))
    where = (
        f"guild {guild_id or settings.discord_guild_id}"
        if (guild_id or settings.discord_guild_id)
        else "globally"
    )
    click.echo(f"synced {len(names)} commands {where}: {', '.join(names)}")


@cli.command()
@json_option
@friendly_errors
def commands(as_json: bool):
    """The slash commands exactly as `attribot sync` would register them."""
    from bot.app import command_payloads, create_bot

    payloads = command_payloads(create_bot(load_settings()))
    if as_json:
        click.echo(json.dumps(payloads, indent=2, ensure_ascii=False))
    else:
        for p in payloads:
            click.echo(f"/{p['name']}: {p.get('description', '')}")


def main() -> None:
    cli(prog_name="attribot")


if __name__ == "__main__":
    main()

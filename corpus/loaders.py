"""Read files from disk into Documents: .txt, .md, .html, .jsonl and subtitle transcripts."""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from corpus.errors import CorpusError
from corpus.models import Document
from corpus.text import split_sentences
from corpus.transcripts import LABEL

log = logging.getLogger(__name__)

TEXT_EXTENSIONS = {".txt", ".text", ".md", ".markdown"}
HTML_EXTENSIONS = {".html", ".htm"}
JSONL_EXTENSIONS = {".jsonl", ".ndjson"}
TRANSCRIPT_EXTENSIONS = {".srt", ".vtt"}
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS | HTML_EXTENSIONS | JSONL_EXTENSIONS | TRANSCRIPT_EXTENSIONS
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
TITLE_CASE_SAMPLE = 100_000  # characters of a text read to restore its file name's case
_SLUG_SEPARATORS = re.compile(r"[-_\s]+")
_TEXT_WORD = re.compile(r"\w+")


@dataclass
class LoadReport:
    """What happened to each input: documents read, and problems that skipped something."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, why): failures
    ignored: list[str] = field(default_factory=list)  # files in folders of no supported type


def iter_files(paths: list[str | os.PathLike]) -> Iterator[tuple[Path, bool]]:
    """Yield (file, named explicitly) below the given paths, recursively, in a stable order.

    A path that does not exist raises CorpusError: a typo should never look like an empty corpus.
    """
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise CorpusError(f"{raw}: no such file or folder")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if not any(part.startswith(".") for part in child.relative_to(path).parts):
                    yield child, False
        else:
            yield path, True


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a file as UTF-8 exactly as stored (no newline translation), or say why not."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise CorpusError(
                f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit"
            )
        data = path.read_bytes()
    except PermissionError:
        raise CorpusError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise CorpusError(f"{path}: is a folder") from None
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{path}: looks like a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not valid UTF-8 text (byte {exc.start})") from None


def looks_like_transcript(text: str) -> bool:
    """True when most non-empty lines are `SPEAKER: words` lines (transcripts.LABEL; "Q:" and
    "A:" count: an interview is a transcript)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    labelled = sum(1 for line in lines if LABEL.match(line))
    return labelled / len(lines) >= 0.6


def html_main_text(html: str) -> tuple[str | None, str]:
    """Main text of a web page (navigation, ads and footers dropped) and its title."""
    import lxml.html
    import trafilatura

    title = None
    meta = trafilatura.extract_metadata(html)
    # trafilatura falls back to any text it can find, so a page of only navigation would come
    # back as "Home | News": drop the page furniture first.
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None, ""
    for element in tree.xpath("//nav|//header|//footer|//aside|//script|//style|//form|//noscript"):
        element.drop_tree()
    text = trafilatura.extract(tree, include_comments=False, include_tables=False) or ""
    if meta is not None and meta.title:
        title = meta.title
    return title, text


def _markdown_title(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip() or None
        if line.strip():
            return None
    return None


def _title_from_path(path: Path, text: str = "") -> str:
    """A title from a file name: "japan-us-defence-cooperation.txt" becomes "Japan US defence
    cooperation". A slug has lost its words' case, so an all-lowercase word takes the case
    the document's own text gives it mid-sentence, most often ("US", "Japan", but "defence");
    a word with capitals in the name keeps them ("iPhone", "NATO"). Only an all-lowercase
    first word gets a capital."""
    words = [w for w in _SLUG_SEPARATORS.split(path.stem) if w]
    if not words:
        return path.name
    cased = _case_in_text({w for w in words if w.islower()}, text[:TITLE_CASE_SAMPLE])
    words = [cased.get(w, w) for w in words]
    if words[0].islower():
        words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words)


def _case_in_text(words: set[str], text: str) -> dict[str, str]:
    """How `text` most often writes each of `words` (lowercase) where case carries meaning:
    not as a sentence's first word. Ties keep the lowercase form."""
    seen: dict[str, Counter[str]] = {}
    if not words:
        return {}
    for start, end in split_sentences(text):
        for match in list(_TEXT_WORD.finditer(text, start, end))[1:]:
            form = match.group()
            if form.lower() in words:
                seen.setdefault(form.lower(), Counter())[form] += 1
    return {
        word: max(forms, key=lambda form: (forms[form], form == word))
        for word, forms in seen.items()
    }


def load_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadReport:
    """Load one file into Documents. Problems with the whole file raise CorpusError;
    problems with single JSONL lines are reported and the rest still loads."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise CorpusError(
            f"{path}: unsupported file type '{suffix or path.name}' "
            f"(use {', '.join(sorted(SUPPORTED_EXTENSIONS))})"
        )
    text = read_text(path, max_bytes)
    report = LoadReport()
    doc_id = str(path.resolve())
    if suffix in JSONL_EXTENSIONS:
        return _load_jsonl(path, text)
    if not text.strip():
        raise CorpusError(f"{path}: empty file")
    if suffix in HTML_EXTENSIONS:
        title, main = html_main_text(text)
        if not main.strip():
            raise CorpusError(f"{path}: no readable text in this HTML page")
        report.documents.append(
            Document(doc_id, main, str(path), title=title or _title_from_path(path, main))
        )
    elif suffix in TRANSCRIPT_EXTENSIONS:
        report.documents.append(
            Document(doc_id, text, str(path), title=_title_from_path(path, text), kind="transcript")
        )
    else:
        kind = "transcript" if looks_like_transcript(text) else "article"
        title = _markdown_title(text) if suffix in {".md", ".markdown"} else None
        report.documents.append(
            Document(
                doc_id, text, str(path), title=title or _title_from_path(path, text), kind=kind
            )
        )
    return report


def _load_jsonl(path: Path, text: str) -> LoadReport:
    report = LoadReport()
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            report.skipped.append((where, f"not valid JSON ({exc.msg})"))
            continue
        if not isinstance(record, dict):
            report.skipped.append((where, "not a JSON object"))
            continue
        doc_id, body = record.get("id"), record.get("text")
        if doc_id is None or (isinstance(doc_id, str) and not doc_id.strip()):
            report.skipped.append((where, "missing 'id'"))
            continue
        if not isinstance(body, str) or not body.strip():
            report.skipped.append((where, "missing or empty 'text'"))
            continue
        doc_id = str(doc_id)
        if doc_id in seen:
            report.skipped.append((where, f"duplicate id '{doc_id}'"))
            continue
        seen.add(doc_id)
        report.documents.append(
            Document(
                doc_id=doc_id,
                text=body,
                path=str(path),
                title=_optional_str(record.get("title")),
                source=_optional_str(record.get("source")),
                date=_optional_str(record.get("date")),
                kind="transcript" if looks_like_transcript(body) else "article",
            )
        )
    if not report.documents and not report.skipped:
        raise CorpusError(f"{path}: empty file")
    return report


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def load_paths(paths: list[str | os.PathLike], max_bytes: int = DEFAULT_MAX_BYTES) -> LoadReport:
    """Load every supported file below `paths`; unusable files are reported, not fatal."""
    report = LoadReport()
    for path, explicit in iter_files(paths):
        if not explicit and path.suffix.lower() not in SUPPORTED_EXTENSIONS:
            report.ignored.append(str(path))  # a README or image beside the articles
            continue
        try:
            loaded = load_file(path, max_bytes)
        except CorpusError as exc:
            report.skipped.append((str(path), str(exc).removeprefix(f"{path}: ")))
            continue
        report.documents.extend(loaded.documents)
        report.skipped.extend(loaded.skipped)
    return report

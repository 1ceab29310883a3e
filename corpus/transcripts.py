"""Transcripts: speaker-labelled lines and SRT/VTT subtitles -> stored text + attributions.

Here the speaker is *given* by the markup, not inferred, so every utterance becomes a
`direct` attribution with the label as speaker. The returned text is what the document is
stored as (cue numbers, timestamps and markup removed; one utterance per line, prefixed
"NAME: " when a speaker is known), and all spans index that text.
"""

from __future__ import annotations

import re

from corpus.models import Attribution

# "NAME: utterance" — a label of 1-5 words, capitalised or upper-case, before a colon.
_LABEL = re.compile(
    r"^\s*(?:>>\s*)?(?P<name>(?:[A-Z][\w.'’-]*|[A-Z]{2,}[\w.'’-]*)(?:\s+[A-Z][\w.'’-]*){0,4}"
    r"(?:\s*\([^)]{1,40}\))?)\s*:\s+(?P<utt>\S.*)$")
_NOT_LABEL = {"Note", "Update", "Editor", "Source", "Photo", "Q", "A", "Warning", "Http",
              "Https", "Time", "Date"}
_TIMING = re.compile(r"^\s*(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}\s*-->\s*")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|\{\\[^}]*\}")


def _clean_name(name: str) -> str:
    """ "JOHN SMITH (voice-over)" -> "John Smith"; mixed-case names are kept as written."""
    name = re.sub(r"\s*\([^)]*\)", "", name).strip()
    if name.isupper():
        name = " ".join(w.capitalize() if len(w) > 2 or "." not in w else w
                        for w in name.split())
    return name


def _split_label(line: str) -> tuple[str | None, str]:
    m = _LABEL.match(line)
    if not m:
        return None, line.strip()
    name = m.group("name")
    if name.split()[0].rstrip(".") in _NOT_LABEL or re.fullmatch(r"\d+", name):
        return None, line.strip()
    return _clean_name(name), m.group("utt").strip()


def _cues(text: str, fmt: str) -> list[tuple[str | None, str]]:
    """(speaker, utterance) per subtitle cue / transcript line, in order."""
    out: list[tuple[str | None, str]] = []
    if fmt == "txt":
        for line in text.splitlines():
            if line.strip():
                out.append(_split_label(line))
        return out
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    for block in blocks:
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        if lines[0].startswith("WEBVTT") or lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        ti = next((i for i, ln in enumerate(lines) if _TIMING.match(ln)), None)
        if ti is None:
            continue
        body = lines[ti + 1:]
        speaker: str | None = None
        parts = []
        for ln in body:
            v = _VOICE.search(ln)
            if v:
                speaker = _clean_name(v.group(1).strip())
            ln = _TAG.sub("", ln).strip()
            if not ln:
                continue
            who, utt = _split_label(ln)
            if who:
                if parts:  # a new speaker inside one cue ("- A: ... / - B: ...")
                    out.append((speaker, " ".join(parts)))
                    parts = []
                speaker = who
            parts.append(utt.lstrip("- ").strip() if who is None else utt)
        if parts:
            out.append((speaker, " ".join(parts)))
    return out


def parse_transcript(text: str, fmt: str) -> tuple[str, list[Attribution]]:
    """Parse a transcript (`fmt`: "srt", "vtt" or "txt") into stored text and attributions.

    Consecutive cues by the same speaker are joined into one utterance (subtitles break
    sentences across cues). Lines without a label keep speaker None: a speaker is never
    guessed from the previous line.
    """
    if fmt not in {"srt", "vtt", "txt"}:
        raise ValueError(f"unknown transcript format {fmt!r}")
    if fmt == "txt":
        return text, _txt_attributions(text)
    merged: list[list] = []
    for speaker, utt in _cues(text, fmt):
        if merged and speaker is not None and merged[-1][0] == speaker and fmt != "txt":
            merged[-1][1] += " " + utt
        else:
            merged.append([speaker, utt])
    lines: list[str] = []
    atts: list[Attribution] = []
    pos = 0
    for speaker, utt in merged:
        if speaker:
            prefix = f"{speaker}: "
            line = prefix + utt
            atts.append(Attribution(
                quote=utt, quote_span=(pos + len(prefix), pos + len(line)), speaker=speaker,
                speaker_span=(pos, pos + len(speaker)), cue=":", kind="direct",
                speaker_kind="person", mention=speaker))
        else:
            line = utt
        lines.append(line)
        pos += len(line) + 1
    return "\n".join(lines), atts


def _txt_attributions(text: str) -> list[Attribution]:
    """A plain transcript is stored verbatim; spans point at its own "NAME: " labels."""
    atts = []
    for m in re.finditer(r"[^\n]+", text):
        line = m.group()
        lm = _LABEL.match(line)
        if not lm:
            continue
        name = lm.group("name")
        if name.split()[0].rstrip(".") in _NOT_LABEL:
            continue
        us, ue = lm.span("utt")
        utt_end = ue - (len(line[us:ue]) - len(line[us:ue].rstrip()))
        atts.append(Attribution(
            quote=line[us:utt_end], quote_span=(m.start() + us, m.start() + utt_end),
            speaker=_clean_name(name),
            speaker_span=(m.start() + lm.start("name"), m.start() + lm.end("name")),
            cue=":", kind="direct", speaker_kind="person", mention=name))
    return atts

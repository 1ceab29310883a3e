"""Transcripts: speaker-labelled lines and SRT/VTT subtitles -> stored text + attributions.

Here the speaker is *given* by the markup, not inferred, so every utterance becomes a
`direct` attribution with the label as speaker. The returned text is what the document is
stored as (cue numbers, timestamps and markup removed; one utterance per line, prefixed
"NAME: " when a speaker is known), and all spans index that text.
"""

from __future__ import annotations

import re

from corpus.models import Attribution

# A word of a speaker label: capitalised ("Mayor", "O'Neil", "Jr."). Also the headline
# labels of the attribution fast path (attribution/fastpath.py) are made of it.
LABEL_WORD = r"[A-Z][\w.'’-]*"
# "NAME: utterance" — a label of 1-5 words, capitalised or upper-case, before a colon. The
# one regex for "Label:" lines: the loader's transcript test uses it too (loaders.py).
LABEL = re.compile(
    rf"^\s*(?:>>\s*)?(?P<name>(?:{LABEL_WORD}|[A-Z]{{2,}}[\w.'’-]*)(?:\s+{LABEL_WORD}){{0,4}}"
    r"(?:\s*\([^)]{1,40}\))?)\s*:\s+(?P<utt>\S.*)$"
)
_NOT_LABEL = {
    "Note",
    "Update",
    "Editor",
    "Source",
    "Photo",
    "Q",
    "A",
    "Warning",
    "Http",
    "Https",
    "Time",
    "Date",
}
_TIMING = re.compile(r"^\s*(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}\s*-->\s*")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|\{\\[^}]*\}")


# Words that make a label prefix a role ("Finance Director Arjun Mehta", "MINISTER
# HALVORSEN"): the prefix up to the last such word is the role, the rest the name. A label
# made only of such words ("MODERATOR", "Audience Member") is a role, not a person.
_ROLE_WORDS_TEXT = """
    chair chairman chairwoman chairperson vice deputy director minister secretary mayor
    councillor councilor councilmember alderman alderwoman resident member senator sen.
    representative rep. congressman congresswoman governor gov. president commissioner judge
    justice officer chief inspector detective sergeant sgt. captain capt. lieutenant lt.
    general gen. colonel col. superintendent speaker clerk treasurer ambassador spokesperson
    spokesman spokeswoman professor prof. witness host co-host anchor moderator reporter
    correspondent interviewer presenter attorney counsel lawyer executive manager ceo cfo coo
    chancellor premier prosecutor defendant plaintiff auditor engineer planner administrator
    trustee principal coach caller questioner audience participant panelist panellist narrator
    announcer interpreter translator leader head coordinator advisor adviser analyst economist
    editor chairs pastor reverend rev. father bishop rabbi imam sheriff constable deputy-mayor
    voice official staff staffer applicant petitioner student teacher parent guest
    unidentified unknown male female crowd
"""
_ROLE_WORDS = set(_ROLE_WORDS_TEXT.split())


def _titlecase(name: str) -> str:
    if not name.isupper():
        return name
    return " ".join(w.capitalize() if len(w) > 2 or "." not in w else w for w in name.split())


def _clean_name(name: str) -> str:
    """ "JOHN SMITH (voice-over)" -> "John Smith"; mixed-case names are kept as written."""
    name = re.sub(r"\s*\([^)]*\)", "", name).strip()
    return _titlecase(name)


def split_label(label: str) -> tuple[str, str | None, str]:
    """A speaker label -> (speaker, role, speaker_kind).

    "Chair Rosa Delgado" -> ("Rosa Delgado", "Chair", "person"); "MINISTER HALVORSEN" ->
    ("Halvorsen", "Minister", "person"); "MODERATOR" -> ("Moderator", "Moderator", "unknown").
    Honorifics ("Dr. Ann Lee") stay part of the name.
    """
    name = _clean_name(label)
    words = name.split()
    roleish = [w.lower().strip(",") in _ROLE_WORDS for w in words]
    if words and all(roleish):
        return name, name, "unknown"
    last = max((i for i, r in enumerate(roleish[:-1]) if r), default=-1)
    if last < 0:
        return name, None, "person"
    rest = words[last + 1 :]
    if not all(w[:1].isupper() for w in rest):
        return name, None, "person"
    return " ".join(rest), " ".join(words[: last + 1]).strip(","), "person"


def _split_label(line: str) -> tuple[str | None, str]:
    m = LABEL.match(line)
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
        body = lines[ti + 1 :]
        speaker: str | None = None
        parts: list[str] = []
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
        # Cues carry the label as written; role and name are split when the line is built.
        if merged and speaker is not None and merged[-1][0] == speaker and fmt != "txt":
            merged[-1][1] += " " + utt
        else:
            merged.append([speaker, utt])
    lines: list[str] = []
    atts: list[Attribution] = []
    pos = 0
    for speaker, utt in merged:
        if speaker:
            name, role, skind = split_label(speaker)
            prefix = f"{speaker}: "
            line = prefix + utt
            ns = pos + speaker.rfind(name) if name in speaker else pos
            atts.append(
                Attribution(
                    quote=utt,
                    quote_span=(pos + len(prefix), pos + len(line)),
                    speaker=name,
                    speaker_span=(ns, ns + len(name) if name in speaker else pos + len(speaker)),
                    role=role,
                    cue=":",
                    kind="direct",
                    speaker_kind=skind,
                    mention=speaker,
                )
            )
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
        lm = LABEL.match(line)
        if not lm:
            continue
        name = lm.group("name")
        if name.split()[0].rstrip(".") in _NOT_LABEL:
            continue
        us, ue = lm.span("utt")
        utt_end = ue - (len(line[us:ue]) - len(line[us:ue].rstrip()))
        speaker, role, skind = split_label(name)
        ns, ne = lm.span("name")
        # Point the span at the name part of a "ROLE NAME" label, as written.
        k = name.lower().rfind(speaker.lower()) if role and skind == "person" else -1
        if k >= 0:
            ns, ne = ns + k, ns + k + len(speaker)
        atts.append(
            Attribution(
                quote=line[us:utt_end],
                quote_span=(m.start() + us, m.start() + utt_end),
                speaker=speaker,
                speaker_span=(m.start() + ns, m.start() + ne),
                role=role,
                cue=":",
                kind="direct",
                speaker_kind=skind,
                mention=name,
            )
        )
    return atts

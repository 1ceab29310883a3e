"""Quote-mark spans and cheap sentence splitting, done on raw text with no parse.

Why regex here: only sentences with a quote mark or a cue word are sent to the parser (the
speed budget), so quote spans and sentence bounds must come from something much cheaper.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPEN_CURLY = "“«"
CLOSE_CURLY = "”»"
STRAIGHT = '"'


@dataclass(slots=True)
class QuoteSpan:
    start: int  # first character inside the marks
    end: int  # one past the last character inside the marks
    open_at: int  # offset of the opening mark
    close_at: int | None  # offset of the closing mark (None: runs to paragraph end)
    paragraphs: int = 1  # how many paragraphs the quote runs over


def paragraph_bounds(text: str) -> list[tuple[int, int]]:
    """Non-empty lines as (start, end): news text here is one paragraph per line."""
    out = []
    for m in re.finditer(r"[^\n]+", text):
        if m.group().strip():
            out.append((m.start(), m.end()))
    return out


def _closes(text: str, k: int, end: int) -> bool:
    """An opening curly mark typed where a closing one belongs ("not,“ he said"): after a
    word or punctuation, before a space, punctuation or the end."""
    return (
        text[k] in OPEN_CURLY
        and k > 0
        and not text[k - 1].isspace()
        and (k + 1 >= end or text[k + 1].isspace() or text[k + 1] in ",.;:!?")
    )


def _closer(text: str, pos: int, end: int) -> int | None:
    """Where the quote opened at `pos` closes, marks mismatched as typists mismatch them:
    a straight opener closes at a straight or curly closer, a curly one at a curly closer,
    else at a straight mark or an opening mark used as a closer."""
    straight = None
    for k in range(pos + 1, end):
        ch = text[k]
        if ch in CLOSE_CURLY or _closes(text, k, end):
            return k
        if ch == STRAIGHT:
            if text[pos] == STRAIGHT:
                return k
            straight = k if straight is None else straight
    return straight


def _pair_quotes(text: str, paras: list[tuple[int, int]]) -> list[QuoteSpan]:
    """Pair quote marks, honouring the convention that a quote running over several
    paragraphs opens each paragraph with a mark and closes only in the last one."""
    spans: list[QuoteSpan] = []
    i = 0
    while i < len(paras):
        ps, pe = paras[i]
        pos = ps
        while pos < pe:
            ch = text[pos]
            if (ch in OPEN_CURLY and not _closes(text, pos, pe)) or ch == STRAIGHT:
                close = _closer(text, pos, pe)
                if ch in OPEN_CURLY:
                    # A new opener before any closer means the first one is unbalanced.
                    nxt_open = next(
                        (
                            k
                            for k in range(pos + 1, pe)
                            if text[k] in OPEN_CURLY and not _closes(text, k, pe)
                        ),
                        None,
                    )
                    if nxt_open is not None and (close is None or nxt_open < close):
                        pos += 1
                        continue
                if close is not None:
                    if close - pos > 1:
                        spans.append(QuoteSpan(pos + 1, close, pos, close))
                    pos = close + 1
                    continue
                # No closer in this paragraph: continues if the next paragraph opens with a mark.
                j = i
                n_par = 1
                c = None
                while j + 1 < len(paras):
                    ns, ne = paras[j + 1]
                    lead = text[ns:ne].lstrip()
                    if not lead or lead[0] not in OPEN_CURLY + STRAIGHT:
                        break
                    j += 1
                    n_par += 1
                    off = ns + (len(text[ns:ne]) - len(lead))
                    c = _closer(text, off, ne)
                    if c is not None:
                        spans.append(QuoteSpan(pos + 1, c, pos, c, n_par))
                        i = j
                        ps, pe = paras[i]
                        pos = c + 1
                        break
                if c is None:
                    end = paras[j][1]
                    while end > pos + 1 and text[end - 1].isspace():
                        end -= 1
                    spans.append(QuoteSpan(pos + 1, end, pos, None, n_par))
                    i = j
                    ps, pe = paras[i]
                    pos = pe
                continue
            pos += 1
        i += 1
    return spans


def find_quotes(text: str, paras: list[tuple[int, int]] | None = None) -> list[QuoteSpan]:
    """All quoted stretches in `text`, inner offsets (marks excluded).

    Two apostrophes ('') are read as a straight double quote: some archives (the New York
    Times among them) store quotes that way. They are mapped onto a same-length view so that
    offsets still index `text`.
    """
    paras = paras if paras is not None else paragraph_bounds(text)
    if "''" not in text:
        return _pair_quotes(text, paras)
    view = text.replace("''", '"\x00')
    spans = _pair_quotes(view, paras)
    for q in spans:
        if view[q.start : q.start + 1] == "\x00":
            q.start += 1
    return [q for q in spans if q.end - q.start > 1]

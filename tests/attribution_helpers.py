"""Shared by the attribution tests: extract, and check that every span points at its text."""

from corpus.attribution import extract


def check(text):
    res = extract(text)
    for a in res:
        assert text[a.quote_span[0] : a.quote_span[1]] == a.quote
        if a.speaker_span:
            assert text[a.speaker_span[0] : a.speaker_span[1]] == a.mention
    return res

"""Transcript parsing: given speakers, spans into the stored text."""

from corpus.transcripts import parse_transcript

VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
<v Jane Doe>We will build the bridge.

2
00:00:04.500 --> 00:00:06.000
<v Jane Doe>And we will finish it soon.

00:00:06.500 --> 00:00:08.000
OMAR HASSAN: Nobody believes that.
"""

SRT = """1
00:00:01,000 --> 00:00:02,500
MARY ELLIS: Good evening.

2
00:00:02,500 --> 00:00:04,000
<i>Music plays</i>
"""


def _check_spans(text, atts):
    for a in atts:
        assert text[a.quote_span[0] : a.quote_span[1]] == a.quote
        assert a.kind == "direct"


def test_vtt_voice_tags_and_prefix_labels():
    text, atts = parse_transcript(VTT, "vtt")
    _check_spans(text, atts)
    assert [(a.speaker, a.quote) for a in atts] == [
        ("Jane Doe", "We will build the bridge. And we will finish it soon."),
        ("Omar Hassan", "Nobody believes that."),
    ]
    assert "-->" not in text and "<v" not in text
    assert text[atts[1].speaker_span[0] : atts[1].speaker_span[1]] == "Omar Hassan"


def test_srt_unlabelled_cue_has_no_speaker():
    text, atts = parse_transcript(SRT, "srt")
    _check_spans(text, atts)
    assert [(a.speaker, a.quote) for a in atts] == [("Mary Ellis", "Good evening.")]
    assert "Music plays" in text


def test_txt_is_stored_verbatim():
    raw = "HOST: Welcome back to the show.\nDr. Ann Lee: Thanks for having me.\nNote: edited.\n"
    text, atts = parse_transcript(raw, "txt")
    assert text == raw
    _check_spans(text, atts)
    assert [a.speaker for a in atts] == ["Host", "Dr. Ann Lee"]
    assert text[atts[0].speaker_span[0] : atts[0].speaker_span[1]] == "HOST"


def test_title_prefix_becomes_role():
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Chair Rosa Delgado>The hearing is open.\n\n"
        "00:00:03.000 --> 00:00:05.000\n<v Finance Director Arjun Mehta>Costs will rise.\n"
    )
    text, atts = parse_transcript(vtt, "vtt")
    _check_spans(text, atts)
    assert [(a.speaker, a.role) for a in atts] == [
        ("Rosa Delgado", "Chair"),
        ("Arjun Mehta", "Finance Director"),
    ]
    assert all(text[a.speaker_span[0] : a.speaker_span[1]] == a.speaker for a in atts)


def test_all_caps_title_label_and_role_only_labels():
    raw = "MODERATOR: Welcome.\nMINISTER HALVORSEN: Fares rise in June.\nREPORTER: Why?\n"
    text, atts = parse_transcript(raw, "txt")
    _check_spans(text, atts)
    got = [(a.speaker, a.role, a.speaker_kind) for a in atts]
    assert got == [
        ("Moderator", "Moderator", "unknown"),
        ("Halvorsen", "Minister", "person"),
        ("Reporter", "Reporter", "unknown"),
    ]
    assert text[atts[1].speaker_span[0] : atts[1].speaker_span[1]] == "HALVORSEN"

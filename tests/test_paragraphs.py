from corpus.paragraphs import split_paragraphs
from corpus.text import split_sentences


def test_blank_lines_separate_paragraphs_with_exact_offsets():
    text = "First paragraph here.\n\n  Second one,\nwrapped over lines\nof prose.\n\n\nThird."
    paras = split_paragraphs("d", text)
    assert [p.text for p in paras] == [
        "First paragraph here.",
        "Second one,\nwrapped over lines\nof prose.",
        "Third.",
    ]
    for p in paras:
        assert text[p.start : p.end] == p.text
    assert [p.index for p in paras] == [0, 1, 2]


def test_one_paragraph_per_line_when_lines_end_sentences():
    text = "The mayor spoke first.\nThe council voted after that.\nIt passed, 7 to 2."
    paras = split_paragraphs("d", text)
    assert len(paras) == 3
    assert paras[2].text == "It passed, 7 to 2."


def test_long_paragraph_split_at_sentence_boundaries_within_the_limit():
    sentence = "The committee met again on Thursday to discuss the harbour budget."
    text = " ".join([sentence] * 40)
    paras = split_paragraphs("d", text, max_tokens=60, count_tokens=lambda t: len(t.split()))
    assert len(paras) > 1
    for p in paras:
        assert len(p.text.split()) <= 60
        assert p.text.endswith(".")
        assert text[p.start : p.end] == p.text
    # Nothing lost: the pieces cover every sentence.
    assert sum(p.text.count("committee") for p in paras) == 40


def test_sentence_split_keeps_closing_quotes():
    text = '"We will go," she said. He agreed. "Good."'
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ['"We will go," she said.', "He agreed.", '"Good."']


def test_crlf_text_keeps_exact_offsets():
    text = "One line.\r\n\r\nTwo line.\r\n"
    paras = split_paragraphs("d", text)
    assert [p.text for p in paras] == ["One line.", "Two line."]
    assert all(text[p.start : p.end] == p.text for p in paras)

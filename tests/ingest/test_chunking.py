"""Sentence splitting and chunking invariants, on the real article and on generated text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.config import ChunkParams
from qa.ingest.chunking import chunk_document
from qa.ingest.clean import clean_document
from qa.ingest.sentences import split_sentences


def sentence_texts(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_abbreviations_and_quotes_do_not_split():
    text = (
        'The U.S. warned Mr. Smith in Jan. 2024. He said "we will not send jets." '
        "Then Russia replied."
    )
    got = sentence_texts(text)
    assert got[0] == "The U.S. warned Mr. Smith in Jan. 2024."
    assert got[-1] == "Then Russia replied."
    assert len(got) == 3


def test_sentence_offsets_cover_text_without_overlap(document):
    spans = split_sentences(document.text)
    for (a, b), (c, _) in zip(spans, spans[1:], strict=False):
        assert a < b <= c
    for a, b in spans:
        assert document.text[a:b] == document.text[a:b].strip()


def check_invariants(doc, params: ChunkParams) -> None:
    chunks = chunk_document(doc, params)
    assert chunks, "every document yields chunks"
    sections = {s.anchor: s for s in doc.sections}
    covered: set[tuple[int, int]] = set()
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        section = sections[chunk.anchor]
        assert section.start <= chunk.start < chunk.end <= section.end, "crosses a section"
        assert chunk.section == section.title and chunk.doc_id == doc.doc_id
        assert chunk.sentences[0][0] == chunk.start and chunk.sentences[-1][1] == chunk.end
        for a, b in chunk.sentences:
            assert chunk.start <= a < b <= chunk.end
            covered.add((a, b))
        if len(chunk.sentences) > 1:
            assert len(chunk.text) <= params.max_chars
    for section in doc.sections:
        for span in split_sentences(doc.text, section.start, section.end):
            assert span in covered, "a sentence landed in no chunk"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(max_chars=st.integers(40, 3000), overlap=st.integers(0, 4))
def test_invariants_on_the_article(document, max_chars, overlap):
    check_invariants(document, ChunkParams(max_chars=max_chars, overlap=overlap))


WORD = st.text(alphabet="abcdefghij U.S.Mr\"'?!", min_size=1, max_size=12)
SENTENCE = st.lists(WORD, min_size=1, max_size=12).map(lambda ws: " ".join(ws).strip() + ".")
SECTION = st.tuples(
    st.text(alphabet="ABCdefgh ", min_size=1, max_size=20).map(str.strip).filter(bool),
    st.lists(SENTENCE, min_size=1, max_size=8),
)


@settings(max_examples=60, deadline=None)
@given(
    sections=st.lists(SECTION, min_size=1, max_size=5),
    max_chars=st.integers(20, 400),
    overlap=st.integers(0, 3),
)
def test_invariants_on_generated_markdown(sections, max_chars, overlap):
    raw = "# Generated\n\n" + "\n\n".join(
        f"## {title}\n\n" + " ".join(body) for title, body in sections
    )
    doc = clean_document(raw, "generated.md")
    check_invariants(doc, ChunkParams(max_chars=max_chars, overlap=overlap))

"""Answer-type grammar, named codes, follow-up floor, opinion and summary requests, evidence."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.answer.abstain import AbstentionPolicy, asks_for
from qa.answer.evidence import select_evidence
from qa.answer.followup import contextualise, mentioning_first, proper_names
from qa.answer.ranking import Ranked
from qa.answer.summary import is_summary_request
from qa.ingest.documents import Chunk


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("On what date was the new pact signed?", "when"),
        ("In which year did Russia first send troops to Syria?", "when"),
        ("Since when have they cooperated?", "when"),
        ("When the article mentions the fall of Assad, does it mean his regime ended?", None),
        ("How large is trade between Turkiye and Iran?", "how many"),
        ("What was the annual trade volume between them?", "how much"),
        ("How far does trade reach, in US dollars?", "how much"),
        ("What is the total of their joint exercises?", "how much"),
        ("Which tank models did Russia sell to Iran?", "which models"),
        ("What UN resolution did Moscow block?", "which resolution"),
        ("What model of cooperation do they follow?", None),
        ("Which countries does Russia court?", None),
        ("What is the value of the alliance to Moscow?", None),
        ("What do you think of Russia's policy?", "opinion"),
        ("Translate the conclusion into French.", "opinion"),
        ("Does Russia think Iran is a reliable partner?", None),
    ],
)
def test_what_a_question_asks_for_by_its_grammar(question, kind):
    assert asks_for(question) == kind


def _chunk(text: str, chunk_id: int = 0) -> Chunk:
    return Chunk(chunk_id, "doc.txt", "Section", "section", 0, len(text), text, [(0, len(text))])


def _ranked(relevance: float) -> list[Ranked]:
    return [Ranked(0, relevance, relevance, relevance, 0.0)]


def test_codes_the_document_never_mentions_are_named():
    policy = AbstentionPolicy([_chunk("Iran bought the Su-35 in 2023 and drones.")])
    assert policy.absent_codes("Did Iran buy the Su-35 or the MiG-29 in 2023?") == ["MiG-29"]
    assert policy.absent_codes("Did Iran buy the su-35?") == []
    decision = policy.decide("Did Iran buy the MiG-29?", _ranked(0.6), True)
    assert decision.abstain and "MiG-29" in decision.reason
    assert not policy.decide("Did Iran buy the Su-35?", _ranked(0.6), True).abstain


def test_a_designation_needs_a_code_in_the_passages():
    policy = AbstentionPolicy([_chunk("Iran flies Russian-made jets and builds its own drones.")])
    decision = policy.decide("Which drone models does Iran build?", _ranked(0.6), True)
    assert decision.abstain and decision.reason == " which models"
    coded = AbstentionPolicy([_chunk("Iran builds the Shahed-136 and other drones.")])
    assert not coded.decide("Which drone models does Iran build?", _ranked(0.6), True).abstain


def test_the_asked_for_type_is_read_in_the_top_passage_and_the_answers_own():
    policy = AbstentionPolicy(
        [_chunk("Talks between them go on.", 0), _chunk("They met in March 2024.", 1)]
    )
    ranked = [Ranked(0, 0.6, 0.6, 0.6, 0.0), Ranked(1, 0.5, 0.5, 0.5, 0.0)]
    question = "When did they last meet?"
    assert policy.params.passages == 1
    assert policy.decide(question, ranked, True).reason == " when"
    assert not policy.decide(question, ranked, True, answer_chunk=1).abstain


def test_a_follow_up_borrows_the_conversation_topic():
    policy = AbstentionPolicy([_chunk("Russia and Iran share intelligence.")])
    p = policy.params
    between = (p.followup_min_relevance + p.min_relevance) / 2
    assert policy.decide("Do they share intel?", _ranked(between), True).abstain
    assert not policy.decide(
        "Do they share intel?", _ranked(between), True, topic_given=True
    ).abstain
    below = p.followup_min_relevance / 2
    assert policy.decide("Do they share intel?", _ranked(below), True, topic_given=True).abstain


def test_opinions_and_translations_get_an_honest_reason():
    policy = AbstentionPolicy([_chunk("Russia and Iran share intelligence.")])
    decision = policy.decide("What do you think about Russia?", _ranked(0.9), True)
    assert decision.abstain and "opinions" in decision.reason


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Summarize the article", True),
        ("summarise this piece in two sentences please", True),
        ("What's the gist?", True),
        ("What is this article about?", True),
        ("What are the key takeaways?", True),
        ("tl;dr", True),
        ("What is the analysts' bottom line?", False),
        ("What does the article say about China?", False),
        ("Give me an overview of Russia's arms sales to Iran", False),
        ("Why does Russia hesitate?", False),
    ],
)
def test_summary_requests(question, expected):
    assert is_summary_request(question) is expected


def _section_chunks(n_sentences: int, size: int, overlap: int) -> list[Chunk]:
    """Overlapping windows of `size` sentences over one section of 10-character sentences."""
    spans = [(i * 10, i * 10 + 9) for i in range(n_sentences)]
    chunks, first = [], 0
    while True:
        window = spans[first : first + size]
        start, end = window[0][0], window[-1][1]
        chunks.append(Chunk(len(chunks), "d", "S", "s", start, end, "x" * (end - start), window))
        if first + size >= n_sentences:
            return chunks
        first += size - overlap


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_evidence_never_repeats_a_sentence(data):
    chunks = _section_chunks(data.draw(st.integers(4, 30)), 4, data.draw(st.integers(0, 3)))
    order = data.draw(st.permutations(range(len(chunks))))
    ranked = [Ranked(i, 1.0 - n / 100, 0, 0, 0) for n, i in enumerate(order)]
    keep = data.draw(st.none() | st.sampled_from(order))
    k = data.draw(st.integers(1, 5))
    shown = select_evidence(ranked, chunks, k, keep)
    assert 1 <= len(shown) <= k
    for i, a in enumerate(shown):
        for b in shown[:i]:
            assert a.end <= b.start or b.end <= a.start, "a sentence is shown twice"
    positions = [order.index(e.ranked.chunk_id) for e in shown]
    assert positions == sorted(positions), "rank order is kept"
    if keep is not None:
        whole = [e for e in shown if e.ranked.chunk_id == keep]
        assert whole and (whole[0].start, whole[0].end) == (chunks[keep].start, chunks[keep].end)
    for e in shown:
        c = chunks[e.ranked.chunk_id]
        assert c.start <= e.start < e.end <= c.end
        assert (e.start, e.end) == (c.start, c.end) or e.ranked.chunk_id != keep


NAMES = proper_names(["Ties between Russia and Iran, and China or Turkiye, and Israel."])


@pytest.mark.parametrize(
    ("question", "previous", "expected"),
    [
        ("And China?", "Is Russia ready to defend Iran?", "Is China ready to defend Iran?"),
        ("what about china", "Is Russia's army ready?", "Is china's army ready?"),
        ("And Turkiye?", "What is China's stance on Iran?", "What is Turkiye's stance on Iran?"),
        ("Why not?", "Would Russia defend Iran against Israel?", None),
        ("And Iran?", "Is Russia ready to defend Iran?", None),  # no new name
        ("And China and Israel?", "Is Russia ready to defend Iran?", None),  # two: ambiguous
        ("And China?", "Is the alliance strong?", None),  # nothing to replace
        ("What about China, then?", "Is Russia ready?", "Is China ready?"),
        ("How would that change things for China?", "Is Russia ready?", None),  # asks more
    ],
)
def test_a_follow_up_on_a_new_subject_asks_the_earlier_question_about_it(
    question, previous, expected
):
    context = contextualise(question, [previous], NAMES)
    assert context.rewritten == expected
    assert context.lexical_text == (expected or f"{question} {previous}")


def test_names_are_words_written_capitalised_inside_a_sentence():
    assert {"iran", "china", "turkiye", "israel"} <= NAMES
    assert "ties" not in NAMES  # capitalised only as the first word


def test_passages_naming_the_new_subject_are_read_first():
    texts = ["Russia sells jets.", "China buys oil.", "Russia and Iran.", "china again"]
    ranked = [Ranked(i, 1.0 - n / 10, 0, 0, 0) for n, i in enumerate((0, 2, 1, 3))]
    moved = mentioning_first(ranked, texts.__getitem__, "China")
    assert [r.chunk_id for r in moved] == [1, 3, 0, 2]
    assert mentioning_first(ranked, texts.__getitem__, "Turkiye") == ranked  # none: unchanged

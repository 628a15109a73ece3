"""The answer sentence, abstention signals and follow-up resolution."""

from __future__ import annotations

import pytest

from qa.answer.abstain import asks_for, holds
from qa.answer.answer_sentence import MAX_LEAD, points_back
from qa.answer.followup import contextualise, is_elliptical
from qa.ingest.sentences import split_sentences


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did the treaty start?", "when"),
        ("In what year was the pact signed?", "when"),
        ("How many drones were sold?", "how many"),
        ("How much oil does China buy?", "how much"),
        ("What is the author's email?", "personal details"),
        ("Where can I find her phone number?", "personal details"),
        ("How old is the writer?", "personal details"),
        ("Why does Russia hesitate?", None),
        ("How does Russia address Western sanctions?", None),
        ("Which partner matters most to Moscow?", None),
    ],
)
def test_what_a_question_asks_for(question, kind):
    assert asks_for(question) == kind


def test_answer_types_are_recognised_in_text():
    assert holds("when", "The pact was signed in January 2025.")
    assert holds("when", "Ties deepened over the last decade.")
    assert not holds("when", "Leaders met to discuss cooperation.")
    # times of day and of the year answer "when" too (a gardening guide, not the article)
    assert holds("when", "Water tomatoes early in the morning so the leaves dry before noon.")
    assert holds("when", "Prune the roses in late winter.")
    assert holds("when", "The shop opens at 9 am.")
    assert not holds("when", "Water tomatoes at the base so the leaves stay dry.")
    assert holds("how many", "Russia sent 40 jets.")
    assert holds("how many", "Russia sent two dozen jets.")
    assert not holds("how many", "Russia sent jets.")


@pytest.mark.parametrize(
    "question", ["What about China?", "And militarily?", "Why not?", "Does that include troops?"]
)
def test_elliptical_questions_lean_on_history(question):
    assert is_elliptical(question)
    ctx = contextualise(question, ["Will Russia defend Iran?"])
    assert ctx.history_weight > 0 and "Russia" in ctx.lexical_text


def test_a_full_new_question_is_not_dragged_back():
    question = "Which country buys most of Iran's oil exports today?"
    ctx = contextualise(question, ["Will Russia give Iran fighter jets?"])
    assert ctx.history_weight == 0 and ctx.lexical_text == question


def test_follow_up_is_resolved_against_the_earlier_question(engine):
    alone = engine.ask("What about China?").to_json()
    follow = engine.ask("What about China?", ["Will Russia support Iran?"]).to_json()
    assert "China" in follow["passages"][0]["text"] or "Beijing" in follow["passages"][0]["text"]
    assert follow["passages"] != alone["passages"] or not alone["abstained"]


def test_history_does_not_change_a_self_contained_question(engine):
    question = "Is the relationship between Russia and Iran monolithic?"
    plain = engine.ask(question).to_json()
    with_history = engine.ask(question, ["How do I change a flat tire?"]).to_json()
    assert plain == with_history


def test_answer_sentence_is_a_whole_sentence_of_the_first_passages(engine):
    out = engine.ask("Why can't Russia fully commit to one partner in the Middle East?").to_json()
    assert not out["abstained"]
    holder = next(p for p in out["passages"] if p["answer_start"] is not None)
    assert out["passages"].index(holder) < 2
    assert holder["text"][holder["answer_start"] : holder["answer_end"]] == out["answer"]
    assert out["answer"][0].isupper() and out["answer"].rstrip()[-1] in '.!?"”'


@pytest.mark.parametrize(
    "question",
    ["What's the capital of Australia?", "How do I bake sourdough bread?"],
)
def test_off_topic_questions_abstain_with_nearest_passages(engine, question):
    out = engine.ask(question).to_json()
    assert out["abstained"] and out["answer"].startswith("The article does not say")
    assert out["passages"] and all(p["answer_start"] is None for p in out["passages"])


def test_asking_for_personal_data_abstains(engine):
    out = engine.ask("What is the phone number of the person who wrote this?").to_json()
    assert out["abstained"] and "personal details" in out["answer"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("This tacit understanding highlights Russia's pragmatic approach.", True),
        ("Such experts generally agree that the support is strategic.", True),
        ("Providing such systems would risk escalation.", True),
        ("It is not an ally for whom Moscow would risk a war.", True),
        ("“These analysts often point out the costs.”", True),
        ("Russia declined to give Iran advanced fighter jets.", False),
        ("Perhaps the most significant constraint is Israel.", False),
        ("Thistle and Suchet are not pointing words.", False),
        ("", False),
    ],
)
def test_sentences_that_point_back(sentence, expected):
    assert points_back(sentence) is expected


def test_an_answer_that_points_back_starts_with_what_it_points_to(engine):
    out = engine.ask("How valuable is Russia's diplomatic shield?").to_json()
    holder = next(p for p in out["passages"] if p["answer_start"] is not None)
    assert holder["text"][holder["answer_start"] : holder["answer_end"]] == out["answer"]
    assert out["answer"].startswith("Moscow can block resolutions")
    assert "This diplomatic shield is invaluable" in out["answer"]


def test_no_answer_opens_by_pointing_back_when_its_passage_holds_the_antecedent(
    engine, dev_questions
):
    for q in dev_questions:
        out = engine.ask(q["question"], q.get("history") or []).to_json()
        holder = next((p for p in out["passages"] if p["answer_start"] is not None), None)
        if out["abstained"] or holder is None or holder["answer_start"] == 0:
            continue
        spans = split_sentences(out["answer"])
        first = out["answer"][spans[0][0] : spans[0][1]]
        assert len(spans) == 1 + MAX_LEAD or not points_back(first), (q["id"], out["answer"])


def test_a_when_question_is_answered_by_a_time_of_day(tmp_path):
    """A new user's gardening guide: "early in the morning" answers "when"."""
    from qa.answer.engine import QAEngine
    from qa.config import Settings
    from qa.index.build import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tomatoes.md").write_text(
        "# Growing tomatoes\n\n## Watering\n\nWater tomatoes early in the morning so the leaves "
        "dry before noon. Give each plant about two litres at the base. Wet leaves in the "
        "evening invite blight.\n\n## Feeding\n\nFeed the plants with a potash-rich fertiliser "
        "once the first fruits set. Stop feeding when the fruits ripen.\n",
        encoding="utf-8",
    )
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings)
    out = QAEngine.load(settings).ask("When should I water tomatoes?")
    assert not out.abstained, out.answer
    assert "early in the morning" in out.answer

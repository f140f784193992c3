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
        raise InputError(f"{name}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except (OSError, csv.Error) as exc:
        raise InputError(f"{name}: cannot read CSV: {exc}") from exc


def _read(fh: TextIO, name: str, columns: Sequence[str]) -> list[dict[str, str]]:
    reader = csv.DictReader(fh)
    header = reader.fieldnames or []
    for col in columns:
        if col not in header:
            raise InputError(f"{name}: missing column {col!r} (found: {', '.join(header) or 'no header'})")
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
        raise InputError(f"labels must be positive/negative/neutral, found: {', '.join(bad[:5])}")
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
        out["systems"][name] = {"full": full, "binary": binary}
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
    lines.append("(binary: rows labelled neutral left out, polarity = sign of the score)")
    lines.append(f"macro_f1={systems['ours']['binary']['macro_f1']:.4f}")
    return "\n".join(lines)


# --- priorities ------------------------------------------------------------------------------------


def shared_priority_rows(data_dir: Path) -> list[dict[str, str]]:
    """The standard priority set from the team's development data: CEC emergency articles (title +
    text, label ``emergency``), CED rumours (label ``false_info``) and news titles outside society
    and politics (label ``none``)."""
    rows = [{"text": f"{r['title']}\n{r['text']}", "label": "emergency"}
            for r in read_csv(data_dir / "emergency_dev.csv", ["title", "text"])]
    rows += [{"text": r["text"], "label": "false_info"}
             for r in read_csv(data_dir / "rumor_dev.csv", ["text", "label"]) if r["label"] == "rumor"]
    rows += [{"text": r["text"], "label": "none"}
             for r in read_csv(data_dir / "news_titles_dev.csv", ["text", "label"])
             if r["label"] not in ("society", "politics")]
    return rows


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
        raise InputError(f"labels must be a priority id or 'none', found: {', '.join(bad[:5])}")
    texts = [r["text"] for r in rows]
    ours = [{h.id for h in analyzer.priorities.match(t) if h.parent is None} for t in texts]
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

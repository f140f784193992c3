"""Analysis throughput: 20,000 mentions through the analysis vs bare ``jieba.lcut`` on the same texts.

What is compared. Left: ``Analyzer.analyze_many`` with every feature on — lexicon and negation,
the shared hashed features, sentiment, emotion, the false-information model and rules,
department, collection priorities, place, keywords and handling kind, plus the casualty figures
each mention states (``analysis.casualties.extract``, which the incident step reads per mention) —
on mentions as the crawler stores them, i.e. with ``title_seg``/``text_seg`` already filled. Right: bare
``jieba.lcut`` of the same full texts (title + text).

Why it is fair. The crawler segments every mention once, because it must (the ``*_seg`` fields
are what Elasticsearch searches, and the SimHash for reprints is computed from the tokens);
the analysis reads those tokens instead of segmenting a second time. So the segmentation cost
is paid once per mention whatever the analysis does, and the question the ratio answers is: does
everything the analysis adds cost no more than one segmentation pass over the same text
(``ratio`` ≥ 0.8 means at most 1.25×)? The stored tokens are prepared outside the timed region,
exactly as the crawler would have stored them (``yuqing.segment.segmenter().cut``). For
transparency, a second figure times the analysis segmenting by itself (mentions without stored
tokens, as ``yuqing analyze-text`` does).

Like with like. Both sides get the same texts in the same process, one after the other chunk by
chunk; neither side caches anything across texts that the other could not (the analysis keeps its
models, dictionaries and the keyword-weight table built at start-up, as jieba keeps its
dictionary). The analysis pauses Python's cyclic garbage collector while it scores a batch
(``analysis.pipeline._collector_paused``; reference counting still frees everything as it goes):
measured with ``gc.callbacks``, no collection then falls inside jieba's timed chunks, so no cost
moves from one side to the other.

Texts are drawn in turn from the team's development data (Weibo posts, news titles, emergency
articles, rumours; ``yuqing.paths.shared_data_dir()``), or from a few built-in sentences when it is
absent. Both sides are warmed up first (models, dictionaries) and timed in CPU time, interleaved
in chunks of 500, so a busy machine does not favour either side. The last line is
``ratio=<jieba time / analysis time>`` (1.0 = as fast as jieba alone; the aim is at least 0.8).

    .venv/bin/python bench/analysis_throughput.py [--n 20000]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import logging
import time
from pathlib import Path

FALLBACK = [
    ("楚雄市一化工企业发生爆炸 已造成3人死亡12人受伤", "楚雄市经济技术开发区内一化工企业生产车间发生爆炸。"),
    ("早上好昆明", "今天阳光超好，翠湖的红嘴鸥已经来了，周末带娃去喂海鸥～"),
    ("曲靖一工地47名农民工讨薪半年无果", "曲靖市麒麟区某工地的47名农民工反映，从今年6月起被拖欠工资。"),
]


def load_texts(data: Path) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    try:
        with (data / "sentiment_dev.csv").open(encoding="utf-8") as fh:
            out += [(r["text"][:60], r["text"]) for r in csv.DictReader(fh)]
        with (data / "news_titles_dev.csv").open(encoding="utf-8") as fh:
            out += [(r["text"], "") for r in csv.DictReader(fh)]
        with (data / "emergency_dev.csv").open(encoding="utf-8") as fh:
            out += [(r["title"], r["text"]) for r in csv.DictReader(fh)]
        with (data / "rumor_dev.csv").open(encoding="utf-8") as fh:
            out += [(r["text"][:60], r["text"]) for r in csv.DictReader(fh)]
    except FileNotFoundError:
        return FALLBACK
    # interleave kinds so every batch looks like a real crawl
    return [t for t in itertools.chain.from_iterable(itertools.zip_longest(out[::4], out[1::4], out[2::4], out[3::4]))
            if t is not None]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import jieba

    from analysis.casualties import extract as casualty_figures
    from analysis.pipeline import Analyzer, TextInput, full_text
    from yuqing.config import load_config
    from yuqing.paths import shared_data_dir
    from yuqing.segment import segmenter

    pool = load_texts(shared_data_dir())
    chosen = list(itertools.islice(itertools.cycle(pool), args.n))
    analyzer = Analyzer(load_config())
    seg = segmenter()  # what the crawler segments with (crawlers.pipelines)
    items = [TextInput(title=t, text=x, jurisdiction="530000", title_tokens=tuple(seg.cut(t)),
                       text_tokens=tuple(seg.cut(x))) for t, x in chosen]
    plain = [TextInput(title=t, text=x, jurisdiction="530000") for t, x in chosen]
    texts = [full_text(i.title, i.text) for i in items]
    chars = sum(len(t) for t in texts)

    analyzer.analyze_many(items[:50])  # warm-up: models, gazetteer, tokenizer
    casualty_figures(texts[0])
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    jieba.lcut(texts[0])

    # Interleaved chunks, timed in this process's CPU time: other load on the machine slows both
    # sides alike instead of whichever happened to run second.
    ours = bare = own_seg = 0.0
    for start in range(0, len(items), 500):
        t0 = time.process_time()
        analyzer.analyze_many(items[start:start + 500])
        for text in texts[start:start + 500]:
            casualty_figures(text)
        t1 = time.process_time()
        for text in texts[start:start + 500]:
            jieba.lcut(text)
        t2 = time.process_time()
        if start % 2000 == 0:  # a sample: the analysis segmenting by itself
            analyzer.analyze_many(plain[start:start + 500])
            for text in texts[start:start + 500]:
                casualty_figures(text)
            own_seg += (time.process_time() - t2) * 4
        ours += t1 - t0
        bare += t2 - t1

    print(f"mentions: {len(items)}  characters: {chars}  (mean {chars / len(items):.0f} per mention)")
    print(f"analysis with every feature, stored segmentation reused: {ours:.2f} s CPU, "
          f"{len(items) / ours:.0f} mentions/s")
    print(f"analysis segmenting by itself (estimated from every fourth chunk): {own_seg:.2f} s CPU, "
          f"ratio {bare / own_seg:.2f}")
    print(f"bare jieba.lcut on the same texts: {bare:.2f} s CPU, {len(items) / bare:.0f} mentions/s")
    print(f"ratio={bare / ours:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The segmenter gives jieba's own tokens, whichever engine cut them.

Every stored ``*_seg`` field and every model feature was defined by jieba's segmentation; the faster
path (jieba-rs for the pieces where it agrees, jieba for the rest) must not change a single token.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from yuqing.segment import Segmenter, segmenter

TEXT_COLUMNS = ("text", "title", "content")


def _shared_texts(data: Path) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for path in sorted(data.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                texts.extend((f"{path.name}:{n}:{col}", row[col]) for col in TEXT_COLUMNS if row.get(col))
    for path in sorted((data / "pages_dev").glob("*.html")):  # raw HTML: markup, URLs, scripts
        texts.append((path.name, path.read_text(encoding="utf-8", errors="replace")))
    return texts


def test_tokens_equal_jiebas_on_the_shared_development_data(shared_data: Path) -> None:
    seg = segmenter()
    texts = _shared_texts(shared_data)
    assert len(texts) > 30_000
    differ = [(where, text[:80]) for where, text in texts if seg.cut(text) != seg.cut_jieba(text)]
    assert differ == []


@pytest.mark.parametrize("text", [
    "此震感类似与4-5级地震，风力达7-8级",  # hyphen inside a block
    "来自西陆军事http://www.xilu.com 新华社电",  # a URL
    "@goldfish_jinru @Rachel_jiasi 我也要链接 //@奥利奥Oh-My:",  # user names
    "Weiy点点点点点 啊哈哈哈哈哈哈 加油加油加油！！！",  # periodic runs
    "㐀中文𠀀字😀表情 ＡＢＣ１２３ 全角",  # extension A, astral Han, emoji, full-width
    "C++ 与 C# 的 50% 折扣 & 包邮",  # + # % &
    "  \r\n\t 前后空白\u3000全角空格 ",  # whitespace of every kind
    "",
])
def test_tokens_equal_jiebas_where_the_engines_differ(text: str) -> None:
    seg = segmenter()
    assert seg.cut(text) == seg.cut_jieba(text)


def test_tokens_equal_jiebas_on_random_mixtures() -> None:
    """Random strings built from the pieces that trip engines up, next to ordinary words."""
    seg = segmenter()
    rng = random.Random(20261130)
    parts = ["网传", "自来水", "被污染", "哈", "点", "加油", "呵呵", "7", "-", "8", "级", "www", ".", "com",
             "_", "A", "股", "T恤", "3D", "😀", "㐀", "，", "！", " ", "\n", "12345", "热线", "市场监管局", "的"]
    texts = ["".join(rng.choice(parts) for _ in range(rng.randint(1, 40))) for _ in range(3000)]
    assert [t for t in texts if seg.cut(t) != seg.cut_jieba(t)] == []


def test_digit_runs_give_jiebas_tokens_and_an_all_digit_user_word_keeps_them_so() -> None:
    """Runs of digits go to jieba-rs (no dictionary word is all digits, so there is no tie to break);
    a deployment's all-digit word (a hotline number) sends periodic digit runs back to jieba."""
    texts = [ctx.format(d) for d in ("22", "110110", "2000", "1111", "3.33", "12345", "1234512345", "11")
             for ctx in ("{}", "在{}年", "{}号店", "共{}人", "拨打{}热线", "{0}{0}")]
    seg = segmenter()
    assert [t for t in texts if seg.cut(t) != seg.cut_jieba(t)] == []
    hotline = Segmenter(["12345"])
    assert hotline.cut("拨打12345热线") == ["拨打", "12345", "热线"]
    assert [t for t in texts if hotline.cut(t) != hotline.cut_jieba(t)] == []


def test_the_user_dictionary_applies_to_both_engines() -> None:
    seg = segmenter()
    text = "网传某地拖欠农民工工资，烂尾楼业主要求政府信息公开"
    tokens = seg.cut(text)
    assert {"网传", "拖欠农民工工资", "烂尾楼", "政府信息公开"} <= set(tokens)  # words of yuqing/data/userdict.txt
    assert tokens == seg.cut_jieba(text)

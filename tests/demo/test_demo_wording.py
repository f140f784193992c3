"""The demo's own complaint wording lives in demo/config, not in the shipped lexicon."""

from __future__ import annotations

from pathlib import Path

from analysis import lexicon
from analysis.api import analyzer_for
from analysis.pipeline import TextInput
from demo.scenario import ITEMS_BY_ID
from demo.web import write_demo_config
from yuqing.config import load_config

DEMO_ONLY = ("没个说法", "一个字都没有")


def test_demo_complaint_wording_is_demo_configuration_and_still_reads_negative(tmp_path: Path) -> None:
    assert not set(DEMO_ONLY) & (set(lexicon.NEGATIVE) | set(lexicon.POSITIVE))
    shipped = load_config()
    demo = load_config(write_demo_config(tmp_path / "config", "http://127.0.0.1:9"))
    assert not set(DEMO_ONLY) & set(shipped.analysis.sentiment.terms)
    post = ITEMS_BY_ID["w-dali-01"]
    text = " ".join(post.body)
    assert "没个说法" in text
    assert "没个说法" not in analyzer_for(shipped).sentiment.lexicon(text).negative
    assert "没个说法" in analyzer_for(demo).sentiment.lexicon(text).negative
    result = analyzer_for(demo).analyze_many([TextInput(title=post.title, text=text)])[0]
    assert result.sentiment.label == "negative"

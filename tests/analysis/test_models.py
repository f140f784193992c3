"""The trained classifiers as a user meets them: analyze-text output, emotions, false information
(from the rumour posts themselves, linked to the official rebuttal), stored segmentation reused."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from analysis.api import analyze_pending, analyzer_for
from analysis.pipeline import TextInput
from demo.scenario import ITEMS_BY_ID
from yuqing.config import Config
from yuqing.models import EMOTIONS
from yuqing.storage import Store

DEPARTMENTS = {"城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生"}


def test_analyze_text_reads_title_and_text_and_gives_every_field(tmp_path: Path, config: Config,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from yuqing.cli import main

    path = tmp_path / "in.csv"
    path.write_text(
        "title,text\n"
        "官渡区小区旁工厂夜里偷排污水,河水发黑发臭，恳请环保部门尽快查处\n"
        ",今天阳光超好，翠湖的红嘴鸥已经来了\n"
        "楚雄市一化工企业发生爆炸,已造成3人死亡12人受伤\n", encoding="utf-8")
    assert main(["analyze-text", "--data", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3
    for row in rows:
        assert row["sentiment"]["label"] in ("negative", "neutral", "positive")
        assert row["emotion"]["label"] in EMOTIONS and set(row["emotion"]["scores"]) == set(EMOTIONS)
        assert abs(sum(row["emotion"]["scores"].values()) - 1) < 0.01
        assert row["department"]["label"] in DEPARTMENTS and 0 < row["department"]["confidence"] <= 1
        assert {"flagged", "confidence", "cues", "model_score"} <= set(row["false_info"])
        assert "priorities" in row and "keywords" in row and "place" in row
    assert rows[0]["place"]["code"] == "530111"  # the place is named in the title only
    assert rows[0]["department"]["label"] == "环境保护"
    assert rows[0]["sentiment"]["label"] == "negative"
    assert rows[2]["place"]["code"] == "532301" and any(h["id"] == "emergency" for h in rows[2]["priorities"])


def test_stored_segmentation_is_used_instead_of_segmenting_again(config: Config) -> None:
    analyzer = analyzer_for(config)
    text = "今天去翠湖看海鸥，海鸥好多"
    own = analyzer.analyze_many([TextInput(text=text)])[0]
    tokens = ("今天", "去", "翠湖看海鸥", "，", "海鸥", "好多")
    stored = analyzer.analyze_many([TextInput(text=text, text_tokens=tokens)])[0]
    assert "翠湖看海鸥" in stored.keywords and "翠湖看海鸥" not in own.keywords


@pytest.mark.parametrize(("text", "emotion"), [
    ("城管当街打人还有理了？气死我了，必须严惩这帮人！", "angry"),
    ("终于拿到录取通知书了，开心到飞起，谢谢所有帮过我的人[哈哈]", "happy"),
    ("外婆走了，再也听不到她叫我的小名了[泪]", "sad"),
    ("听说小区里又有确诊的了，好害怕，晚上都不敢出门", "fear"),
])
def test_plain_posts_get_their_emotion(config: Config, text: str, emotion: str) -> None:
    result = analyzer_for(config).analyze_text(text)
    assert result.emotion.label == emotion, result.emotion


def test_false_information_needs_no_rebuttal_and_news_titles_stay_clear(config: Config) -> None:
    analyzer = analyzer_for(config)
    rumour = "紧急通知：明天起全市自来水停供三天，据说是水源被投毒了，家里有老人孩子的赶紧囤水，转给身边的人！"
    news = ["省运会田径比赛收官 昆明代表团金牌数居首", "第二届云南民族服饰文化展在昆明开幕",
            "央行宣布下调存款准备金率0.5个百分点"]
    hit = analyzer.analyze_text(rumour)
    assert hit.false_info.flagged and hit.false_info.model_score >= config.analysis.false_info.model_threshold
    assert any(h.id == "false_info" for h in hit.priorities)
    for title in news:
        assert not analyzer.analyze_text(title).false_info.flagged, title


def test_a_board_message_is_not_called_false_information_by_the_model_alone(config: Config) -> None:
    # the demo's unpaid-wages plea as a Weibo post and as a message to the leaders' board: the model
    # reads both alike, but only the post is spread
    item = ITEMS_BY_ID["b-qj-01"]
    plea = " ".join(item.body)
    analyzer = analyzer_for(config)
    post, board = analyzer.analyze_many([TextInput(title=item.title, text=plea),
                                         TextInput(title=item.title, text=plea, doc_type="board_message")])
    assert post.false_info.model_score == board.false_info.model_score
    assert post.false_info.model_score >= config.analysis.false_info.model_threshold
    assert post.false_info.flagged and not board.false_info.flagged
    assert "false_info" not in {h.id for h in board.priorities}


def test_an_eyewitness_accident_report_flagged_by_the_model_alone_is_handled_as_an_emergency(
        config: Config) -> None:
    # the rumour model reads some first-hand accident posts like rumours; the handling (and so the
    # clocks) must follow the emergency they report, while the suspicion stays visible as evidence
    settings = config.analysis.false_info.model_copy(update={"model_threshold": 0.0})
    strict = dataclasses.replace(config, analysis=config.analysis.model_copy(update={"false_info": settings}))
    analyzer = analyzer_for(strict)
    accident = ITEMS_BY_ID["w-dali-01"]
    rumour = ITEMS_BY_ID["w-water-01"]
    seen, heard = analyzer.analyze_many([TextInput(title=accident.title, text=accident.text),
                                         TextInput(title=rumour.title, text=rumour.text)])
    assert "emergency" in {h.id for h in seen.priorities}
    assert seen.false_info.flagged and not seen.false_info.cues  # flagged by the model alone
    assert seen.handling_kind == "major_problem"
    assert heard.false_info.flagged and heard.handling_kind == "false_info"


@pytest.mark.integration
def test_demo_rumour_is_flagged_from_the_posts_and_later_linked_to_the_rebuttal(ana: Any, store: Store,
                                                                               config: Config) -> None:
    posts = [ITEMS_BY_ID[i] for i in ("w-water-01", "w-water-02", "w-water-03")]
    ana.store_mentions(store, *[ana.mention(p.id, p.title, p.text, source="weibo", at=f"09:{40 + 10 * n}")
                                for n, p in enumerate(posts)])
    analyze_pending(store, config, now=ana.DAY + dt.timedelta(hours=10, minutes=30))
    gid = ana.incident_of(store, "w-water-01")
    assert gid is not None
    incident = store.get("incidents", gid)
    assert incident is not None and "false_info" in incident["priorities"]
    assert incident["false_info"]["flagged"] and incident["false_info"].get("rebuttal") is None
    first = store.get("mentions", "w-water-01")
    assert first is not None and first["false_info"]["flagged"] and first["false_info"]["model_score"] > 0
    assert sum(incident["emotions"].values()) == incident["mention_count"]
    assert abs(sum(incident["emotion_shares"].values()) - 1) < 0.01

    rebuttal = ITEMS_BY_ID["p-water-rebut"]
    ana.store_mentions(store, ana.mention("p-water-rebut", rebuttal.title, rebuttal.text, source="portal",
                                          at="12:00"))
    analyze_pending(store, config, now=ana.DAY + dt.timedelta(hours=12, minutes=30))
    assert ana.incident_of(store, "p-water-rebut") == gid
    incident = store.get("incidents", gid)
    assert incident is not None and incident["false_info"]["rebuttal"] == "p-water-rebut"
    first = store.get("mentions", "w-water-01")
    assert first is not None and first["false_info"]["rebuttal"] == "p-water-rebut"


def test_an_outdated_sentiment_model_file_is_refused_with_the_command_to_retrain(tmp_path: Path) -> None:
    import numpy as np

    from analysis.sentiment import SentimentModel
    from yuqing.errors import YuqingError

    old = tmp_path / "old.npz"  # the file format before part weights were stored
    np.savez(old, info=np.array(json.dumps({"version": "sentiment-char13+word-lr+cnb"})))
    with pytest.raises(YuqingError, match="yuqing train sentiment"):
        SentimentModel.load(old)
    partial = tmp_path / "partial.npz"  # a part is weighted but its arrays are missing
    np.savez(partial, info=np.array(json.dumps({"version": "x", "weights": {"char_nb": 1.0}})))
    with pytest.raises(YuqingError, match="yuqing train sentiment"):
        SentimentModel.load(partial)
